import os

import boto3

ddb = boto3.client("dynamodb")


def record_charge(charge_id, amount, live):
    ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": os.environ["LEDGER_TABLE"], "Item": {"id": {"S": charge_id}}}},
            {"Update": {"TableName": os.environ["LEDGER_TABLE"], "Key": {"id": {"S": "totals"}}, "UpdateExpression": "ADD amount :a"}},
        ]
    )
