"""Moves the day's uploads to the archive prefix and records each object in a DynamoDB table."""

import json
import os

import boto3

s3 = boto3.client("s3")
table = boto3.resource("dynamodb").Table(os.environ["INVENTORY_TABLE"])
BUCKET = os.environ["UPLOAD_BUCKET"]


def handler(event, context):
    paginator = s3.get_paginator("list_objects_v2")
    moved = []
    with table.batch_writer() as batch:
        for page in paginator.paginate(Bucket=BUCKET, Prefix="incoming/"):
            for obj in page.get("Contents", []):
                key = obj["Key"]
                body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
                target = "archive/" + key.split("/", 1)[1]
                s3.put_object(Bucket=BUCKET, Key=target, Body=body)
                s3.delete_object(Bucket=BUCKET, Key=key)
                batch.put_item(Item={"pk": target, "size": len(body)})
                moved.append(target)
    return {"statusCode": 200, "body": json.dumps(moved)}
