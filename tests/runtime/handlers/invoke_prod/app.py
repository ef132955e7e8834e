"""Hands a job to the pricing function's production alias."""

import json
import os

import boto3

lambda_client = boto3.client("lambda")


def handler(event, context):
    response = lambda_client.invoke(
        FunctionName=os.environ["PRICING_FUNCTION"],
        Qualifier="prod",
        InvocationType="RequestResponse",
        Payload=json.dumps({"sku": event["sku"]}),
    )
    return response["StatusCode"]
