"""``getattr`` on an SDK client: a known name is the method itself; a name computed at run time is
reported as unresolved where the method is called, never dropped and never granted."""

from __future__ import annotations

import textwrap

from policygen.model import Target
from policygen.options import Options
from policygen.pipeline import generate

TARGET = Target("aws", "us-east-1", "123456789012")


def _generate(tmp_path, code):
    (tmp_path / "app.py").write_text(textwrap.dedent(code))
    return generate(tmp_path, Options(target=TARGET))


def test_a_method_named_by_a_constant_is_that_method(tmp_path):
    result = _generate(
        tmp_path,
        """
        import boto3
        s3 = boto3.client("s3")

        def handler(event, context):
            getattr(s3, "delete_object")(Bucket="reports", Key="old.json")
        """,
    )
    assert {(p.action, p.resource) for p in result.permissions} == {
        ("s3:DeleteObject", "arn:aws:s3:::reports/old.json")
    }
    assert result.unresolved == ()


def test_a_method_named_at_run_time_is_unresolved_where_it_is_called(tmp_path):
    result = _generate(
        tmp_path,
        """
        import boto3
        s3 = boto3.client("s3")

        def handler(event, context):
            operation = getattr(s3, f"{event['mode']}_object")
            return operation(Bucket="reports", Key="old.json")
        """,
    )
    assert result.permissions == ()
    [item] = result.unresolved
    assert str(item.location) == "app.py:7:12"
    assert item.detail == "s3.*_object"
    assert "whose name is computed at run time (getattr(..., '*_object')" in item.reason
    assert "nothing is granted" in item.reason


def test_getattr_on_other_objects_is_left_alone(tmp_path):
    result = _generate(
        tmp_path,
        """
        import boto3
        s3 = boto3.client("s3")

        class Config:
            bucket = "reports"

        def handler(event, context):
            s3.put_object(Bucket=getattr(Config, "bucket"), Key="a", Body=b"")
        """,
    )
    # not an SDK object: getattr is what it was before (the call on the client is still seen)
    assert {p.action for p in result.permissions} == {"s3:PutObject"}
    assert result.unresolved == ()
