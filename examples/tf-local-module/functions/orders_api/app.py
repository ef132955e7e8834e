"""HTTP API for orders: reads and writes the orders table, records an audit event."""

import json
import os

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
SQS = boto3.client("sqs")
LAMBDA = boto3.client("lambda")


def lambda_handler(event, context):
    order_id = event["pathParameters"]["order_id"]
    if event["httpMethod"] == "GET":
        item = TABLE.get_item(Key={"order_id": order_id}).get("Item")
        return {"statusCode": 200 if item else 404, "body": json.dumps(item or {})}
    order = json.loads(event["body"])
    TABLE.put_item(Item={"order_id": order_id, **order})
    SQS.send_message(QueueUrl=os.environ["AUDIT_QUEUE"], MessageBody=json.dumps({"order_id": order_id}))
    LAMBDA.invoke(
        FunctionName=os.environ["AUDIT_FUNCTION"],
        InvocationType="Event",
        Payload=json.dumps({"order_id": order_id}).encode(),
    )
    return {"statusCode": 201, "body": ""}
