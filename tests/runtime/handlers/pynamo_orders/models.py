"""The order model, mapped to its table with PynamoDB."""

import os

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model


class Order(Model):
    class Meta:
        table_name = os.environ["ORDERS_TABLE"]
        region = "us-east-1"

    pk = UnicodeAttribute(hash_key=True)
    total = NumberAttribute(default=0)
