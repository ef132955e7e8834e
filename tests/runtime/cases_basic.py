"""Everyday handlers: the patterns policygen already handles, proven at run time."""

from __future__ import annotations

import json

from . import fixtures
from .harness import Case


def _archive() -> None:
    fixtures.bucket("acme-uploads", {"incoming/a.csv": b"1,2", "incoming/b.csv": b"3,4", "other/c": b"x"})
    fixtures.table("inventory")


def _worker() -> None:
    fixtures.queue("jobs", ({"id": "j-1"}, {"id": "j-2"}))
    fixtures.topic("jobs-done")
    fixtures.secret("worker/api-token", "tok-123456")


def _orders() -> None:
    fixtures.table("orders", index="by-customer")


CASES = (
    Case(
        "s3_archive",
        _archive,
        # s3 ListObjectsV2 -> s3:ListBucket; Get/Put/DeleteObject; batch_writer -> BatchWriteItem
        frozenset({"s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject", "dynamodb:BatchWriteItem"}),
        env={"UPLOAD_BUCKET": "acme-uploads", "INVENTORY_TABLE": "inventory"},
        cli=True,
    ),
    Case(
        "sqs_worker",
        _worker,
        # DeleteMessageBatch is authorized as sqs:DeleteMessage (SQS API reference, "Permissions")
        frozenset({"sqs:ReceiveMessage", "sqs:DeleteMessage", "sns:Publish", "secretsmanager:GetSecretValue"}),
        env={
            "JOBS_QUEUE_URL": fixtures.queue_url("jobs"),
            "DONE_TOPIC_ARN": fixtures.topic_arn("jobs-done"),
            "API_TOKEN_SECRET": "worker/api-token",
        },
    ),
    Case(
        "orders_api",
        _orders,
        frozenset({"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:GetItem", "dynamodb:Query"}),
        env={"ORDERS_TABLE": "orders"},
        events=({"body": json.dumps({"id": "o-1", "customer": "c-7"})},),
        cli=True,
    ),
)
