"""Handlers that read resource names from the event their trigger sends: the deployment's
triggers (an S3 bucket, an SNS topic) name them, and the policy is scoped to them."""

from __future__ import annotations

from policygen.deploy.events import object_keys
from policygen.model import Text, Trigger

from . import fixtures
from .harness import Case


def _uploads() -> None:
    fixtures.bucket("acme-uploads", {"incoming/cat.png": b"0123456789abcdefghijklmnop"})


def _alerts() -> None:
    fixtures.topic("ops-alerts")


def _s3_event(bucket: str, key: str) -> dict:
    return {"Records": [{"eventSource": "aws:s3", "s3": {"bucket": {"name": bucket}, "object": {"key": key}}}]}


CASES = (
    Case(
        "s3_thumbnail",
        _uploads,
        frozenset({"s3:GetObject", "s3:PutObject"}),
        events=(_s3_event("acme-uploads", "incoming/cat.png"),),
        # the notification's filter: only keys under incoming/ arrive
        triggers=(Trigger("s3", (Text.of("acme-uploads"),), object_keys("incoming/", None)),),
    ),
    Case(
        "sns_forward",
        _alerts,
        frozenset({"sns:Publish"}),
        events=(
            {
                "Records": [
                    {
                        "EventSource": "aws:sns",
                        "Sns": {"TopicArn": fixtures.topic_arn("ops-alerts"), "Subject": "disk", "Message": "full"},
                    }
                ]
            },
        ),
        triggers=(Trigger("sns", (Text.of(fixtures.topic_arn("ops-alerts")),)),),
    ),
)
