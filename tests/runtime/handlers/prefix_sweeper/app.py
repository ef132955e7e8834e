"""Copies every object under a prefix to a backup bucket, then deletes it (collections yield objects)."""

import os

import boto3

s3 = boto3.resource("s3")
SOURCE = os.environ["SOURCE_BUCKET"]
BACKUP = os.environ["BACKUP_BUCKET"]


def handler(event, context):
    swept = []
    for summary in s3.Bucket(SOURCE).objects.filter(Prefix="tmp/"):
        body = summary.get()["Body"].read()
        s3.Bucket(BACKUP).put_object(Key=summary.key, Body=body)
        summary.delete()
        swept.append(summary.key)
    return swept
