"""Issue 10's resource-object and library classes: boto3 resource objects (implicit loads, objects
returned by actions and collections) and libraries that call AWS for the code
(aws-secretsmanager-caching, Powertools, PynamoDB; mappings/wrappers.yaml)."""

from __future__ import annotations

import importlib.util
import json

import boto3

from . import fixtures
from .harness import MINIMAL, REGION, Case


def _inbox() -> None:
    fixtures.bucket(
        "acme-inbox",
        {"incoming/a.csv": b"1,2", "incoming/empty.csv": b"", "manifest.json": b"{}", "other/keep": b"x"},
    )
    fixtures.queue("work", ({"id": 1}, {"id": 2, "retry": True}))
    fixtures.table("tidy-stats")


def _partner_secrets() -> None:
    fixtures.secret("partner/api-key", "key-123456")
    fixtures.secret("partner/oauth", json.dumps({"id": "client-1", "secret": "s3cr3t"}))


def _shop() -> None:
    boto3.client("ssm", region_name=REGION).put_parameter(
        Name="/shop/discount-rate", Value="0.1", Type="String"
    )
    fixtures.secret("shop/signing-key", "k-1")
    fixtures.table("shop-flags", items=({"pk": "discounts", "value": "on"},))
    fixtures.table("shop-idempotency")


def _orders() -> None:
    fixtures.table(
        "pyn-orders", index="by-customer", items=({"pk": "draft-1", "customer": "c-7", "total": 0},)
    )


def _notes() -> None:
    fixtures.table("pyn-notes", region="eu-central-1")


def _installed(*modules: str) -> bool:
    # The libraries are dev dependencies (pyproject.toml); an older .venv may predate them.
    return all(importlib.util.find_spec(m) is not None for m in modules)


CASES: tuple[Case, ...] = (
    Case(
        "resource_objects",
        _inbox,
        # ListObjects -> s3:ListBucket; HeadObject (content_length) -> s3:GetObject; GetQueueAttributes
        # (queue.attributes), DescribeTable (table.item_count): boto3 loads the resource on first read.
        frozenset(
            {
                "s3:ListBucket",
                "s3:GetObject",
                "s3:PutObject",
                "s3:DeleteObject",
                "sqs:GetQueueAttributes",
                "sqs:ReceiveMessage",
                "sqs:ChangeMessageVisibility",
                "sqs:DeleteMessage",
                "dynamodb:DescribeTable",
                "dynamodb:PutItem",
            }
        ),
        env={
            "INBOX_BUCKET": "acme-inbox",
            "WORK_QUEUE_URL": fixtures.queue_url("work"),
            "STATS_TABLE": "tidy-stats",
        },
        cli=True,
    ),
)

if _installed("aws_secretsmanager_caching"):
    CASES += (
        Case(
            "secrets_cache",
            _partner_secrets,
            # The cache describes the secret (to pick the version) and reads that version's value.
            frozenset({"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}),
            env={"API_KEY_SECRET": "partner/api-key"},
        ),
    )

if _installed("aws_lambda_powertools"):
    CASES += (
        Case(
            "powertools_tools",
            _shop,
            # Powertools' documented permissions: ssm:GetParameter, secretsmanager:GetSecretValue,
            # dynamodb:GetItem (DynamoDBProvider.get); idempotency: GetItem, PutItem, UpdateItem, DeleteItem.
            frozenset(
                {
                    "ssm:GetParameter",
                    "secretsmanager:GetSecretValue",
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                }
            ),
            env={"FLAGS_TABLE": "shop-flags", "IDEMPOTENCY_TABLE": "shop-idempotency"},
            events=({"order": "o-1", "total": 100},),
            known={
                MINIMAL: "Powertools documents GetItem (a conflicting record DynamoDB did not return) and "
                "DeleteItem (the handler raised) on the idempotency table: paths one successful run does not take"
            },
        ),
    )

if _installed("pynamodb"):
    CASES += (
        Case(
            "pynamodb_orders",
            _orders,
            # save -> PutItem, get -> GetItem, update -> UpdateItem, index query -> Query on the index,
            # delete -> DeleteItem, count() without a hash key -> DescribeTable (ItemCount).
            frozenset(
                {
                    "dynamodb:PutItem",
                    "dynamodb:GetItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:Query",
                    "dynamodb:DeleteItem",
                    "dynamodb:DescribeTable",
                }
            ),
            env={"ORDERS_TABLE": "pyn-orders"},
            events=({"order": "o-9", "customer": "c-7", "total": 5},),
        ),
        Case(
            "pynamodb_notes",
            _notes,
            # The model's Meta sets region eu-central-1 unless DynamoDB Local is used; its save and its
            # subclass's delete override the library's and go on to it through super():
            # save -> PutItem, get -> GetItem, delete -> DeleteItem, all on the table in eu-central-1.
            frozenset({"dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DeleteItem"}),
            env={"NOTES_TABLE": "pyn-notes"},
            events=(
                {"action": "create", "id": "n-1", "text": "buy milk"},
                {"action": "edit", "id": "n-1", "text": "buy oat milk"},
                {"action": "archive", "id": "n-1"},
            ),
            known={
                MINIMAL: "flow-insensitive Meta: the DynamoDB Local branch sets no region, so the deployment's "
                "region (us-east-1) is kept possible and granted too; removing that grant is not denied"
            },
        ),
    )
