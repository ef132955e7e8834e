"""Orders in DynamoDB through the resource API."""

import boto3
from boto3.dynamodb.conditions import Key


class OrderRepository:
    def __init__(self, table_name):
        self.table = boto3.resource("dynamodb").Table(table_name)

    def save(self, order):
        self.table.put_item(Item={"pk": order["id"], "customer": order["customer"], "status": "new"})

    def mark_paid(self, order_id):
        self.table.update_item(
            Key={"pk": order_id},
            UpdateExpression="SET #s = :s",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": "paid"},
        )

    def get(self, order_id):
        return self.table.get_item(Key={"pk": order_id})["Item"]

    def for_customer(self, customer):
        response = self.table.query(IndexName="by-customer", KeyConditionExpression=Key("customer").eq(customer))
        return response["Items"]
