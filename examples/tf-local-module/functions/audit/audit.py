"""Writes each audit record from the queue to the audit bucket."""

import json
import os

import boto3

s3 = boto3.client("s3")


def handler(event, context):
    for record in event["Records"]:
        body = json.loads(record["body"])
        s3.put_object(
            Bucket=os.environ["AUDIT_BUCKET"],
            Key=f"audit/{body['order_id']}.json",
            Body=record["body"].encode(),
        )
