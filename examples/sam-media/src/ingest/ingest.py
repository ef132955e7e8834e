"""Counts clicks from the stream per page; asks the thumbnailer for missing previews."""

import base64
import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
lambda_client = boto3.client("lambda")


def handler(event, context):
    for record in event["Records"]:
        click = json.loads(base64.b64decode(record["kinesis"]["data"]))
        table.update_item(
            Key={"pk": click["page"]},
            UpdateExpression="ADD clicks :one",
            ExpressionAttributeValues={":one": 1},
        )
        if click.get("preview_missing"):
            lambda_client.invoke(
                FunctionName=os.environ["THUMBNAILER"],
                InvocationType="Event",
                Payload=json.dumps({"page": click["page"]}),
            )
