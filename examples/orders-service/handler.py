"""Order intake: validates an order, stores it, archives the raw payload, emits an event."""

import json

from orders import repository
from orders.archive import Archive
from orders.events import publish_order_created

archive = Archive()


def lambda_handler(event, context):
    order = json.loads(event["body"])
    order_id = order["id"]
    archive.save_raw(order_id, event["body"])
    repository.save_order(order)
    existing = repository.orders_for_customer(order["customer_id"])
    publish_order_created(order_id)
    return {"statusCode": 201, "body": json.dumps({"id": order_id, "previous": len(existing)})}


def _backfill(order_ids):
    # Operator tool, never called from the handler: must not be granted.
    for order_id in order_ids:
        archive.delete_raw(order_id)
