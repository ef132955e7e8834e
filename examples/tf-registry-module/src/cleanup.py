"""Deletes the objects of runs named in the queue's messages."""

import json
import os

import boto3

s3 = boto3.client("s3")


def handler(event, context):
    bucket = os.environ["REPORTS_BUCKET"]
    for record in event["Records"]:
        run_id = json.loads(record["body"])["run_id"]
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"incoming/{run_id}")
        for page in pages:
            for obj in page.get("Contents", []):
                s3.delete_object(Bucket=bucket, Key=obj["Key"])
