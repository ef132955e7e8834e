"""Fans a customer notification out to SNS, e-mail (SES) and the event bus."""

from boto3 import client

from clients import CLIENTS
from senders import send_email, send_sms

BUS = "customer-events"


def handler(event, context):
    for record in event["Records"]:
        message = record["body"]
        send_sms(CLIENTS["sns"], message)
        send_email(CLIENTS["ses"], record["email"], message)
    events = client("events")
    events.put_events(Entries=[{"EventBusName": BUS, "Source": "notifications", "DetailType": "sent", "Detail": "{}"}])
