"""Drains a job queue: each job is announced on an SNS topic, then the batch is deleted."""

import json
import os

import boto3
from settings import api_token

sqs = boto3.client("sqs")
sns = boto3.client("sns")
QUEUE_URL = os.environ["JOBS_QUEUE_URL"]
TOPIC_ARN = os.environ["DONE_TOPIC_ARN"]


def handler(event, context):
    token = api_token()
    response = sqs.receive_message(QueueUrl=QUEUE_URL, MaxNumberOfMessages=10, WaitTimeSeconds=0)
    messages = response.get("Messages", [])
    for message in messages:
        job = json.loads(message["Body"])
        sns.publish(TopicArn=TOPIC_ARN, Message=json.dumps({"job": job["id"], "by": token[:4]}))
    if messages:
        sqs.delete_message_batch(
            QueueUrl=QUEUE_URL,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )
    return len(messages)
