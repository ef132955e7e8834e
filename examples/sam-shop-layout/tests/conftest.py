import os

os.environ.setdefault("ORDERS_TABLE", "test-orders")
os.environ.setdefault("EVENTS_TOPIC", "arn:aws:sns:us-east-1:000000000000:test")
