"""Expires old sessions. The maintenance helpers below are for local use and never run in Lambda."""

import os
from typing import TYPE_CHECKING

import boto3

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client  # noqa: F401

dynamodb = boto3.resource("dynamodb")
table = dynamodb.Table(os.environ["SESSIONS_TABLE"])
s3 = boto3.client("s3")


def handler(event, context):
    if False:
        table.scan()
    for session in event["expired"]:
        table.delete_item(Key={"pk": session})
    return len(event["expired"])
    s3.delete_bucket(Bucket=os.environ["EXPORT_BUCKET"])  # left over from a refactoring


if __name__ == "__main__":
    s3.put_object(Bucket=os.environ["EXPORT_BUCKET"], Key="sessions.json", Body=b"[]")
    table.scan()
