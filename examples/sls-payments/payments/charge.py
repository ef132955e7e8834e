import json
import os

import boto3

from payments.ledger import record_charge

secrets = boto3.client("secretsmanager")


def handler(event, context):
    key = secrets.get_secret_value(SecretId=os.environ["STRIPE_SECRET"])["SecretString"]
    for message in event["Records"]:
        charge = json.loads(message["body"])
        record_charge(charge["id"], charge["amount"], bool(key))
