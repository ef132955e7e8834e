import json
import os
import uuid

import boto3

from src.shared.events import publish


def lambda_handler(event, context):
    # The handler makes its own client; tests and scripts below call this function too.
    table = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])
    order = json.loads(event["body"])
    order["id"] = str(uuid.uuid4())
    table.put_item(Item=order)
    publish("OrderPlaced", order)
    return {"statusCode": 201, "body": json.dumps({"id": order["id"]})}
