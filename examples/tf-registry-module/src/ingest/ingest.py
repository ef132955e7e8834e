"""Stores an uploaded CSV in the reports bucket and records the run."""

import os
import uuid

import boto3

s3 = boto3.client("s3")
runs = boto3.resource("dynamodb").Table(os.environ["RUNS_TABLE"])


def handler(event, context):
    run_id = str(uuid.uuid4())
    s3.put_object(Bucket=os.environ["REPORTS_BUCKET"], Key=f"incoming/{run_id}.csv", Body=event["body"])
    runs.put_item(Item={"run_id": run_id, "status": "received"})
    return {"run_id": run_id}
