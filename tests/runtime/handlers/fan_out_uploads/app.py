"""Renders one report per region in parallel, uploads each, and notifies when all are done."""

import functools
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import boto3

s3 = boto3.client("s3")
sns = boto3.client("sns")
BUCKET = os.environ["REPORTS_BUCKET"]
TOPIC = os.environ["REPORTS_TOPIC"]

upload = functools.partial(s3.put_object, Bucket=BUCKET)


def render(region):
    upload(Key=f"reports/{region}.txt", Body=f"report for {region}".encode())
    return f"reports/{region}.txt"


def notify(keys):
    sns.publish(TopicArn=TOPIC, Message=",".join(keys))


def handler(event, context):
    with ThreadPoolExecutor(max_workers=2) as pool:
        keys = list(pool.map(render, event["regions"]))
    sizes = list(map(lambda key: s3.head_object(Bucket=BUCKET, Key=key)["ContentLength"], keys))
    worker = threading.Thread(target=notify, args=(keys,))
    worker.start()
    worker.join()
    return sum(sizes)
