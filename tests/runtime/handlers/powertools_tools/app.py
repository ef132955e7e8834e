"""Applies a discount once per order: configuration from Parameter Store, Secrets Manager and a
DynamoDB feature-flag table through Powertools' providers, idempotency records in DynamoDB."""

import os

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent
from aws_lambda_powertools.utilities.parameters import DynamoDBProvider, SecretsProvider, SSMProvider

ssm = SSMProvider()
secrets = SecretsProvider()
flags = DynamoDBProvider(table_name=os.environ["FLAGS_TABLE"], key_attr="pk")
persistence = DynamoDBPersistenceLayer(table_name=os.environ["IDEMPOTENCY_TABLE"], key_attr="pk")


@idempotent(persistence_store=persistence)
def handler(event, context):
    rate = float(ssm.get("/shop/discount-rate"))
    signing_key = secrets.get("shop/signing-key")
    enabled = flags.get("discounts") == "on"
    total = event["total"] * (1 - rate) if enabled else event["total"]
    return {"order": event["order"], "total": round(total, 2), "signed": bool(signing_key)}
