import os

import boto3

from summary import summarise

dynamodb = boto3.client("dynamodb")
sns = boto3.client("sns")


def handler(event, context):
    items = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=os.environ["TABLE_NAME"]):
        items.extend(page["Items"])
    key = summarise(items)
    sns.publish(TopicArn=os.environ["TOPIC_ARN"], Message=f"report ready: {key}")
