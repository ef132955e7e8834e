"""Drops the expired rows of one shard."""

import os
import time

import boto3

dynamodb = boto3.client("dynamodb")


def handler(event, context):
    table = os.environ["SHARD_TABLE"]
    now = int(time.time())
    for page in dynamodb.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            if int(item["expires"]["N"]) < now:
                dynamodb.delete_item(TableName=table, Key={"tenant": item["tenant"]})
