"""Lift queue worker: marks each queued order as fulfilled and archives its receipt."""

import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])
s3 = boto3.client("s3")


def handler(event, context):
    for record in event["Records"]:
        job = json.loads(record["body"])
        table.update_item(
            Key={"id": job["order"]},
            UpdateExpression="SET #s = :s",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": "fulfilled"},
        )
        s3.put_object(
            Bucket=os.environ["ARCHIVE_BUCKET"],
            Key=f"receipts/{job['order']}.json",
            Body=json.dumps(job),
        )
