"""Drains a queue with the resource API: each message returned is deleted through its own object."""

import json
import os

import boto3

queue = boto3.resource("sqs").Queue(os.environ["INBOX_URL"])
audit = boto3.resource("dynamodb").Table(os.environ["AUDIT_TABLE"])


def handler(event, context):
    handled = 0
    for message in queue.receive_messages(MaxNumberOfMessages=10):
        body = json.loads(message.body)
        audit.put_item(Item={"pk": body["id"]})
        message.delete()
        handled += 1
    return handled
