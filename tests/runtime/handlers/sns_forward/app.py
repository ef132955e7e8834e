"""SNS-triggered: re-publishes each alert to the topic it came from, marked as seen."""

import boto3

sns = boto3.client("sns")


def handler(event, context):
    for record in event["Records"]:
        message = record["Sns"]
        if message.get("Subject") != "seen":
            sns.publish(TopicArn=message["TopicArn"], Subject="seen", Message=message["Message"])
