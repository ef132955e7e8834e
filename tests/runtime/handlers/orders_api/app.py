"""API Gateway handler: create an order, read it back, list a customer's orders."""

import json
import os

from repository import OrderRepository

orders = OrderRepository(os.environ["ORDERS_TABLE"])


def handler(event, context):
    order = json.loads(event["body"])
    orders.save(order)
    orders.mark_paid(order["id"])
    stored = orders.get(order["id"])
    history = orders.for_customer(order["customer"])
    return {"statusCode": 200, "body": json.dumps({"order": stored["pk"], "history": len(history)})}
