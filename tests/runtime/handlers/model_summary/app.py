"""Summarizes a ticket with a foundation model on Bedrock."""

import json
import os

import boto3

bedrock = boto3.client("bedrock-runtime")
MODEL_ID = os.environ.get("MODEL_ID", "anthropic.claude-3-haiku-20240307-v1:0")


def handler(event, context):
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 200,
            "messages": [{"role": "user", "content": event["ticket"]}]}
    response = bedrock.invoke_model(modelId=MODEL_ID, body=json.dumps(body))
    return response["ResponseMetadata"]["HTTPStatusCode"]
