"""Tidies an upload inbox and a work queue with boto3's resource API, then records a summary.

Every AWS call here is made by a resource object: listed object summaries, received messages, and
attributes whose first read loads the resource (HeadObject, GetQueueAttributes, DescribeTable).
"""

import json
import os

import boto3

s3 = boto3.resource("s3")
sqs = boto3.resource("sqs")
dynamodb = boto3.resource("dynamodb")
INBOX = os.environ["INBOX_BUCKET"]
QUEUE_URL = os.environ["WORK_QUEUE_URL"]
STATS_TABLE = os.environ["STATS_TABLE"]


def handler(event, context):
    bucket = s3.Bucket(INBOX)
    moved = 0
    for summary in bucket.objects.filter(Prefix="incoming/"):
        if summary.size == 0:
            summary.delete()
            continue
        body = summary.get()["Body"].read()
        bucket.Object("processed/" + summary.key.split("/", 1)[1]).put(Body=body)
        summary.delete()
        moved += 1

    manifest = s3.Object(INBOX, "manifest.json")
    manifest_size = manifest.content_length

    queue = sqs.Queue(QUEUE_URL)
    waiting = int(queue.attributes["ApproximateNumberOfMessages"])
    for message in queue.receive_messages(MaxNumberOfMessages=10):
        if json.loads(message.body).get("retry"):
            message.change_visibility(VisibilityTimeout=0)
        else:
            message.delete()

    table = dynamodb.Table(STATS_TABLE)
    table.put_item(
        Item={
            "pk": "tidy",
            "moved": moved,
            "manifest": manifest_size,
            "waiting": waiting,
            "rows": table.item_count,
        }
    )
    return moved
