"""Loads configuration and credentials, decrypts a data key, and reports health."""

from settings import load_settings
from crypto import unwrap_key


def lambda_handler(event, context):
    settings = load_settings()
    key = unwrap_key(event["wrapped_key"])
    return {"ok": bool(settings) and bool(key)}
