"""Reports a table's size and an object's metadata (the resource API loads both implicitly)."""

import os

import boto3

dynamodb = boto3.resource("dynamodb")
s3 = boto3.resource("s3")


def handler(event, context):
    table = dynamodb.Table(os.environ["EVENTS_TABLE"])
    manifest = s3.Object(os.environ["DATA_BUCKET"], "manifest.json")
    return {
        "items": table.item_count,
        "keys": [k["AttributeName"] for k in table.key_schema],
        "manifest_bytes": manifest.content_length,
        "owner": manifest.metadata.get("owner"),
    }
