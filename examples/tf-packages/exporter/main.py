"""Exports yesterday's summary to the artifacts bucket, under the prefix kept in SSM."""

import json
import os

import boto3

from summary import build

ssm = boto3.client("ssm")
s3 = boto3.client("s3")


def handler(event, context):
    prefix = ssm.get_parameter(Name=os.environ["PREFIX_PARAM"])["Parameter"]["Value"]
    s3.put_object(
        Bucket=os.environ["BUCKET"],
        Key=prefix + event["day"] + ".json",
        Body=json.dumps(build(event)).encode(),
    )
