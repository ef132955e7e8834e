"""Forwards each alert to the topic it came from, tagged as seen."""

import boto3

sns = boto3.client("sns")


def handler(event, context):
    for record in event["Records"]:
        message = record["Sns"]
        if message.get("Subject") == "seen":
            continue
        sns.publish(TopicArn=message["TopicArn"], Subject="seen", Message=message["Message"])
