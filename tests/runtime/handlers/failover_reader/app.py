"""Reads a session from the primary region, or from the replica table when failing over."""

import os

import boto3

primary = boto3.client("dynamodb", region_name="us-east-1")
replica = boto3.client("dynamodb", region_name="us-west-2")
TABLE = os.environ["SESSIONS_TABLE"]


def handler(event, context):
    client = replica if event.get("failover") else primary
    item = client.get_item(TableName=TABLE, Key={"pk": {"S": event["session"]}}).get("Item")
    return item is not None
