"""Restocks items in one transaction and announces each restock on the default event bus."""

import json
import os

import boto3

dynamodb = boto3.client("dynamodb")
events = boto3.client("events")
STOCK_TABLE = os.environ["STOCK_TABLE"]
LEDGER_TABLE = os.environ["LEDGER_TABLE"]


def _increment(sku, quantity):
    return {
        "Update": {
            "TableName": STOCK_TABLE,
            "Key": {"pk": {"S": sku}},
            "UpdateExpression": "ADD quantity :q",
            "ExpressionAttributeValues": {":q": {"N": str(quantity)}},
        }
    }


def handler(event, context):
    items = []
    for line in event["lines"]:
        items.append(_increment(line["sku"], line["quantity"]))
    items += [{"Put": {"TableName": LEDGER_TABLE, "Item": {"pk": {"S": f"restock#{line['sku']}"}}}} for line in event["lines"]]
    dynamodb.transact_write_items(TransactItems=items)

    entries = []
    for line in event["lines"]:
        entries.append({"Source": "acme.stock", "DetailType": "Restocked", "Detail": json.dumps(line)})
    events.put_events(Entries=entries)
    return len(items)
