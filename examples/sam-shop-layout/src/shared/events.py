import json
import os

import boto3


def publish(kind, detail):
    boto3.client("sns").publish(
        TopicArn=os.environ["EVENTS_TOPIC"],
        Message=json.dumps(detail),
        MessageAttributes={"kind": {"DataType": "String", "StringValue": kind}},
    )
