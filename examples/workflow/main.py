"""Starts the fulfilment workflow, invokes a worker, and reports progress on the bus."""

import json
import os

import boto3

from progress import Reporter

REGION = "us-east-1"
ACCOUNT = "123456789012"
sfn = boto3.client("stepfunctions")
lam = boto3.client("lambda")


def state_machine_arn():
    return "arn:aws:states:{}:{}:stateMachine:{}".format(REGION, ACCOUNT, os.environ["STATE_MACHINE"])


def handler(event, context):
    execution = sfn.start_execution(stateMachineArn=state_machine_arn(), input=json.dumps(event))
    lam.invoke(FunctionName=os.environ["WORKER_FUNCTION"], InvocationType="Event", Payload=b"{}")
    Reporter(boto3.client("events")).report(execution["executionArn"])
    return execution["executionArn"]
