"""Emails an order confirmation from the shop's address."""

import boto3

ses = boto3.client("ses")
SENDER = "Acme Orders <orders@acme-shop.example>"


def handler(event, context):
    ses.send_email(
        Source=SENDER,
        Destination={"ToAddresses": [event["email"]]},
        Message={"Subject": {"Data": "Your order"}, "Body": {"Text": {"Data": f"Order {event['id']} confirmed"}}},
    )
    return "sent"
