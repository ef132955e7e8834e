"""Issue 10, how calls are reached: items built in loops, calls through partial/executors/threads/
lambdas, a client chosen by a branch, code that can never run, calls made as another role."""

from __future__ import annotations

from . import fixtures
from .harness import Case


def _restock() -> None:
    fixtures.table("stock")
    fixtures.table("ledger")


def _fan_out() -> None:
    fixtures.bucket("acme-reports")
    fixtures.topic("reports-ready")


def _failover() -> None:
    fixtures.table("sessions", region="us-east-1", items=({"pk": "s-1"},))
    fixtures.table("sessions", region="us-west-2", items=({"pk": "s-1"},))


def _cleanup() -> None:
    fixtures.table("sessions", items=({"pk": "s-1"}, {"pk": "s-2"}))
    fixtures.bucket("acme-session-exports")


def _partner() -> None:
    fixtures.bucket("partner-reports", {"daily.csv": b"a,b\n"})
    fixtures.role(
        "partner-reader",
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::partner-reports/*"}],
        },
    )


CASES = (
    Case(
        "restock_transaction",
        _restock,
        # TransactWriteItems is authorized per item: Update -> UpdateItem, Put -> PutItem (DynamoDB
        # developer guide, "Using IAM with DynamoDB transactions"); PutEvents on the default bus.
        frozenset({"dynamodb:UpdateItem", "dynamodb:PutItem", "events:PutEvents"}),
        env={"STOCK_TABLE": "stock", "LEDGER_TABLE": "ledger"},
        events=({"lines": [{"sku": "a-1", "quantity": 3}, {"sku": "b-2", "quantity": 1}]},),
    ),
    Case(
        "fan_out_uploads",
        _fan_out,
        # HeadObject is authorized as s3:GetObject (S3 API reference, HeadObject "Permissions")
        frozenset({"s3:PutObject", "s3:GetObject", "sns:Publish"}),
        env={"REPORTS_BUCKET": "acme-reports", "REPORTS_TOPIC": fixtures.topic_arn("reports-ready")},
        events=({"regions": ["eu", "us"]},),
    ),
    Case(
        "failover_reader",
        _failover,
        frozenset({"dynamodb:GetItem"}),
        env={"SESSIONS_TABLE": "sessions"},
        events=({"session": "s-1"}, {"session": "s-1", "failover": True}),
    ),
    Case(
        "dead_code_cleanup",
        _cleanup,
        frozenset({"dynamodb:DeleteItem"}),
        env={"SESSIONS_TABLE": "sessions", "EXPORT_BUCKET": "acme-session-exports"},
        events=({"expired": ["s-1", "s-2"]},),
    ),
    Case(
        "report_as_role",
        _partner,
        # The function only assumes the partner role; the S3 read is the partner role's to grant.
        frozenset({"sts:AssumeRole"}),
        env={"PARTNER_ROLE_ARN": "arn:aws:iam::123456789012:role/partner-reader", "PARTNER_BUCKET": "partner-reports"},
        events=({"key": "daily.csv"},),
    ),
)
