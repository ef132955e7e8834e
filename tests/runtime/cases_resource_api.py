"""Issue 10, calls the code does not spell out: resource attributes that load implicitly, objects
returned by resource actions and collections, and libraries that call AWS for the code."""

from __future__ import annotations

from . import fixtures
from .harness import REGION, Case


def _stats() -> None:
    fixtures.table("events", items=({"pk": "e-1"},))
    import boto3

    boto3.client("s3", region_name=REGION).create_bucket(Bucket="acme-data")
    boto3.client("s3", region_name=REGION).put_object(Bucket="acme-data", Key="manifest.json", Body=b"{}", Metadata={"owner": "ops"})


def _drain() -> None:
    fixtures.queue("inbox", ({"id": "m-1"}, {"id": "m-2"}))
    fixtures.table("audit")


def _sweep() -> None:
    fixtures.bucket("acme-scratch", {"tmp/a": b"1", "tmp/b": b"2", "keep/c": b"3"})
    fixtures.bucket("acme-backup")


def _pynamo() -> None:
    fixtures.table("orders")
    fixtures.secret("payments/key", "pk_live_123")


def _flags() -> None:
    import boto3

    ssm = boto3.client("ssm", region_name=REGION)
    for name, value in {"/shop/flags/beta": "on", "/shop/flags/dark": "off", "/shop/checkout-mode": "fast"}.items():
        ssm.put_parameter(Name=name, Value=value, Type="String")
    fixtures.secret("shop/webhook", "whsec_1")


CASES = (
    Case(
        "feature_flags",
        _flags,
        # Powertools' IAM table: get_parameters -> ssm:GetParametersByPath, get_parameter ->
        # ssm:GetParameter, get_secret -> secretsmanager:GetSecretValue
        frozenset({"ssm:GetParametersByPath", "ssm:GetParameter", "secretsmanager:GetSecretValue"}),
        env={"FLAGS_PATH": "/shop/flags", "WEBHOOK_SECRET": "shop/webhook"},
    ),
    Case(
        "table_stats",
        _stats,
        # Table.load is DescribeTable; Object.load is HeadObject, authorized as s3:GetObject
        frozenset({"dynamodb:DescribeTable", "s3:GetObject"}),
        env={"EVENTS_TABLE": "events", "DATA_BUCKET": "acme-data"},
    ),
    Case(
        "queue_drain",
        _drain,
        frozenset({"sqs:ReceiveMessage", "sqs:DeleteMessage", "dynamodb:PutItem"}),
        env={"INBOX_URL": fixtures.queue_url("inbox"), "AUDIT_TABLE": "audit"},
    ),
    Case(
        "prefix_sweeper",
        _sweep,
        # objects.filter is ListObjects (s3:ListBucket); each summary's get/delete act on its object
        frozenset({"s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"}),
        env={"SOURCE_BUCKET": "acme-scratch", "BACKUP_BUCKET": "acme-backup"},
        cli=True,
    ),
    Case(
        "pynamo_orders",
        _pynamo,
        # PynamoDB save -> PutItem, get -> GetItem; SecretCache refreshes with DescribeSecret and
        # GetSecretValue (aws-secretsmanager-caching-python, SecretCacheItem)
        frozenset({"dynamodb:PutItem", "dynamodb:GetItem", "secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"}),
        env={"ORDERS_TABLE": "orders", "PAYMENT_KEY_SECRET": "payments/key"},
        events=({"id": "o-1", "total": 42},),
    ),
)
