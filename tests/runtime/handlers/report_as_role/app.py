"""Reads a partner's report with the partner's role: the function itself only assumes that role."""

import os

import boto3

sts = boto3.client("sts")


def _partner_session():
    credentials = sts.assume_role(RoleArn=os.environ["PARTNER_ROLE_ARN"], RoleSessionName="report-reader")["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def handler(event, context):
    s3 = _partner_session().client("s3")
    body = s3.get_object(Bucket=os.environ["PARTNER_BUCKET"], Key=event["key"])["Body"].read()
    return len(body)
