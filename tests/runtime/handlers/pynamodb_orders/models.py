import os

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model


class ByCustomer(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-customer"
        projection = AllProjection()

    customer = UnicodeAttribute(hash_key=True)


class Order(Model):
    class Meta:
        table_name = os.environ["ORDERS_TABLE"]
        region = "us-east-1"

    pk = UnicodeAttribute(hash_key=True)
    customer = UnicodeAttribute()
    total = NumberAttribute(default=0)
    by_customer = ByCustomer()
