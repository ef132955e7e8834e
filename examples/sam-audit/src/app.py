"""Audit trail writer: each event a queue delivers is stored in the audit table, and its raw body in
the archive bucket."""

import json
import os

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["AUDIT_TABLE"])
S3 = boto3.client("s3")
ARCHIVE_BUCKET = os.environ["ARCHIVE_BUCKET"]


def handler(event, context):
    for record in event["Records"]:
        body = json.loads(record["body"])
        TABLE.put_item(Item={"pk": body["id"], "actor": body["actor"], "action": body["action"]})
        S3.put_object(Bucket=ARCHIVE_BUCKET, Key=f"raw/{body['id']}.json", Body=record["body"])
    return {"stored": len(event["Records"])}
