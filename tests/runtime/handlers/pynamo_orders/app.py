"""Records an order with PynamoDB; the payment key comes from Secrets Manager through its cache."""

import os

from aws_secretsmanager_caching import SecretCache
from models import Order

cache = SecretCache()


def handler(event, context):
    key = cache.get_secret_string(os.environ["PAYMENT_KEY_SECRET"])
    order = Order(event["id"], total=event["total"])
    order.save()
    stored = Order.get(event["id"])
    return {"total": stored.total, "signed": bool(key)}
