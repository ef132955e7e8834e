import os

ARCHIVE_BUCKET = os.environ["ARCHIVE_BUCKET"]
TABLE_NAME = os.environ.get("ORDERS_TABLE", "orders-dev")
QUEUE_URL = os.getenv("EVENTS_QUEUE_URL")
RAW_PREFIX = "raw/"
