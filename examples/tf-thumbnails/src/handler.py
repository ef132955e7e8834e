import json
import os

import boto3

s3 = boto3.client("s3")
index = boto3.resource("dynamodb").Table(os.environ["INDEX_TABLE"])
BUCKET = os.environ["BUCKET"]


def handler(event, context):
    for record in event["Records"]:
        key = json.loads(record["body"])["key"]
        s3.download_file(BUCKET, f"originals/{key}", "/tmp/original")
        s3.upload_file("/tmp/original", BUCKET, f"thumbnails/{key}")
        index.update_item(Key={"key": key}, UpdateExpression="SET done = :t", ExpressionAttributeValues={":t": True})
