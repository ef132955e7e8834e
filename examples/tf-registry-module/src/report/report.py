"""Builds the report of one run from its CSV."""

import csv
import io
import os

import boto3

s3 = boto3.client("s3")
BUCKET = os.environ["REPORTS_BUCKET"]


def lambda_handler(event, context):
    run_id = event["run_id"]
    body = s3.get_object(Bucket=BUCKET, Key=f"incoming/{run_id}.csv")["Body"].read().decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    out = io.StringIO()
    out.write(f"{len(rows)} rows\n")
    s3.put_object(Bucket=BUCKET, Key=f"reports/{run_id}.txt", Body=out.getvalue().encode())
    return {"rows": len(rows)}
