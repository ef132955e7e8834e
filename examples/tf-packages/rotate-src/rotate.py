"""Rotates the database password kept in Secrets Manager."""

import os
import secrets

import boto3

client = boto3.client("secretsmanager")


def handler(event, context):
    secret_id = os.environ["SECRET_ID"]
    current = client.get_secret_value(SecretId=secret_id, VersionStage="AWSCURRENT")
    client.put_secret_value(
        SecretId=secret_id,
        SecretString=secrets.token_urlsafe(32),
        VersionStages=["AWSPENDING"],
    )
    return {"previous": current["VersionId"]}
