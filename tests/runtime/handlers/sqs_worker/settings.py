"""Configuration read once per container."""

import functools
import os

import boto3

secrets = boto3.client("secretsmanager")


@functools.cache
def api_token():
    return secrets.get_secret_value(SecretId=os.environ["API_TOKEN_SECRET"])["SecretString"]
