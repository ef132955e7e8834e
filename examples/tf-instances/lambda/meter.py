"""Adds each usage message of a tenant to its counters."""

import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["USAGE_TABLE"])


def handler(event, context):
    tenant = os.environ["TENANT"]
    for record in event["Records"]:
        units = int(json.loads(record["body"])["units"])
        table.update_item(
            Key={"tenant": tenant},
            UpdateExpression="ADD units :u",
            ExpressionAttributeValues={":u": units},
        )
