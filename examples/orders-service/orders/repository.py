import boto3
from boto3.dynamodb.conditions import Key

from orders.config import TABLE_NAME

_table = None


def table():
    global _table
    if _table is None:
        _table = boto3.resource("dynamodb").Table(TABLE_NAME)
    return _table


def save_order(order):
    table().put_item(Item=order, ConditionExpression="attribute_not_exists(id)")


def orders_for_customer(customer_id):
    response = table().query(
        IndexName="by-customer",
        KeyConditionExpression=Key("customer_id").eq(customer_id),
    )
    return response["Items"]
