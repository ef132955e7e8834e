import json
import os

import boto3

ses = boto3.client("ses")


def lambda_handler(event, context):
    for record in event["Records"]:
        order = json.loads(record["Sns"]["Message"])
        ses.send_email(
            Source=os.environ["SENDER"],
            Destination={"ToAddresses": [order["email"]]},
            Message={
                "Subject": {"Data": f"Order {order['id']}"},
                "Body": {"Text": {"Data": "Thank you for your order."}},
            },
        )
