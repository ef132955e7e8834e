"""Sends the weekly newsletter through SES v2 from the shop's named sender, tracked by a configuration set."""

import os

import boto3

sesv2 = boto3.client("sesv2")
SENDER = "Acme News <news@acme-shop.example>"


def handler(event, context):
    sesv2.send_email(
        FromEmailAddress=SENDER,
        Destination={"ToAddresses": event["subscribers"]},
        Content={"Simple": {"Subject": {"Data": "This week"}, "Body": {"Text": {"Data": event["digest"]}}}},
        ConfigurationSetName=os.environ["TRACKING_SET"],
    )
    return len(event["subscribers"])
