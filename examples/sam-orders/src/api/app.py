import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
sqs = boto3.client("sqs")


def lambda_handler(event, context):
    order = json.loads(event["body"])
    table.put_item(Item=order)
    sqs.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=json.dumps({"id": order["id"]}))
    return {"statusCode": 201}
