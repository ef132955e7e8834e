"""Order bookkeeping with PynamoDB: record an order, bump its total, prune the customer's drafts
found through the index, and report the table's size."""

from models import Order


def handler(event, context):
    order = Order(event["order"], customer=event["customer"], total=event["total"])
    order.save()
    stored = Order.get(event["order"])
    stored.update(actions=[Order.total.add(1)])
    removed = 0
    for other in Order.by_customer.query(event["customer"]):
        if other.pk.startswith("draft-"):
            other.delete()
            removed += 1
    return {"drafts removed": removed, "orders": Order.count()}
