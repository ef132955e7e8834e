"""POST /orders: store the order and queue its fulfilment job."""

import json
import os
import uuid

import boto3

dynamodb = boto3.resource("dynamodb")
table = dynamodb.Table(os.environ["ORDERS_TABLE"])
sqs = boto3.client("sqs")
sns = boto3.client("sns")


def handler(event, context):
    order = json.loads(event["body"])
    order["id"] = str(uuid.uuid4())
    table.put_item(Item=order)
    sqs.send_message(QueueUrl=os.environ["JOBS_QUEUE_URL"], MessageBody=json.dumps({"order": order["id"]}))
    sns.publish(TopicArn=os.environ["AUDIT_TOPIC_ARN"], Message=f"order {order['id']} created")
    return {"statusCode": 201, "body": json.dumps({"id": order["id"]})}
