"""Asks the thumbnail function's live alias for a preview, and its pinned version for the archive copy."""

import json

import boto3

lambda_client = boto3.client("lambda")
LIVE = "thumbs:live"  # the alias travels inside FunctionName
ARCHIVE_VERSION = "1"


def handler(event, context):
    payload = json.dumps({"key": event["key"]})
    preview = lambda_client.invoke(FunctionName=LIVE, Payload=payload)
    archive = lambda_client.invoke(FunctionName="thumbs", Qualifier=ARCHIVE_VERSION, Payload=payload)
    return preview["StatusCode"], archive["StatusCode"]
