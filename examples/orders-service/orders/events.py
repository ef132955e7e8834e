import json

import boto3 as aws

from orders import config

sqs = aws.client("sqs", region_name="us-east-1")


def publish_order_created(order_id):
    sqs.send_message_batch(
        QueueUrl=config.QUEUE_URL,
        Entries=[{"Id": "1", "MessageBody": json.dumps({"type": "order.created", "id": order_id})}],
    )
