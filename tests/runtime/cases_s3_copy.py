"""Copies between two buckets: each copy reads exactly the source object it names."""

from __future__ import annotations

from . import fixtures
from .harness import Case


def _buckets() -> None:
    fixtures.bucket(
        "acme-reports",
        {"reports/daily.csv": b"1,2", "reports/summary.json": b"{}", "reports/totals.csv": b"3", "other/x": b"x"},
    )
    fixtures.bucket("acme-archive")


CASES = (
    Case(
        "s3_copy",
        _buckets,
        # CopyObject: s3:GetObject on the source object, s3:PutObject on the destination (S3 API reference)
        frozenset({"s3:GetObject", "s3:PutObject"}),
        env={"SOURCE_BUCKET": "acme-reports", "ARCHIVE_BUCKET": "acme-archive"},
        cli=True,
    ),
)
