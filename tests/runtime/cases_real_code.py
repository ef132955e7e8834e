"""Code laid out as real repositories lay it out (issue 9): a handler whose module name is not an
identifier, and a handler that a smoke script and a test also call."""

from __future__ import annotations

from . import fixtures
from .harness import Case

EVENT = {"Records": [{"s3": {"object": {"key": "cat.jpg"}}}]}
ENV = {"SOURCE_BUCKET": "acme-photos", "THUMBS_BUCKET": "acme-thumbs"}


def _buckets() -> None:
    fixtures.bucket("acme-photos", {"cat.jpg": b"\xff\xd8" + b"\x00" * 62})
    fixtures.bucket("acme-thumbs")


CASES = (
    Case(
        # Lambda imports resize-image-function.py as module "resize-image-function".
        "resize_hyphen",
        _buckets,
        frozenset({"s3:GetObject", "s3:PutObject"}),
        env=ENV,
        events=(EVENT,),
        handler="resize-image-function.lambda_handler",
        cli=True,
    ),
    Case(
        # smoke.py and tests/test_app.py call the handler; the policy came out empty before.
        "thumbnail_runner",
        _buckets,
        frozenset({"s3:GetObject", "s3:PutObject"}),
        env=ENV,
        events=(EVENT,),
        handler="app.lambda_handler",
        cli=True,
    ),
)
