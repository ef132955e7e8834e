"""Calls a partner API with credentials kept in Secrets Manager, read through the client-side cache."""

import json
import os

from aws_secretsmanager_caching import InjectKeywordedSecretString, SecretCache

cache = SecretCache()
API_KEY_SECRET = os.environ["API_KEY_SECRET"]


@InjectKeywordedSecretString(secret_id="partner/oauth", cache=cache, client_id="id", client_secret="secret")
def oauth_header(client_id, client_secret):
    return f"{client_id}:{client_secret[:2]}"


def handler(event, context):
    key = cache.get_secret_string(API_KEY_SECRET)
    return json.dumps({"key": key[:3], "auth": oauth_header()})
