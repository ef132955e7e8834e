"""An s3:// URI whose bucket name is only partly known (``f"s3://{project}-results-{account}/"``,
an Athena output location as serverless-samples' monetization writes it): the grants keep the
known part of the bucket's name, where the whole bucket became '*' (every bucket's objects)."""

from __future__ import annotations

import textwrap

from policygen.model import Target
from policygen.options import Options
from policygen.pipeline import generate

TARGET = Target("aws", "us-east-1", "123456789012")
QUERY = textwrap.dedent(
    """
    import os
    import boto3

    athena = boto3.client("athena")
    OUTPUT = {output}

    def handler(event, context):
        athena.start_query_execution(
            QueryString="SELECT 1", WorkGroup="primary", ResultConfiguration={{"OutputLocation": OUTPUT}}
        )
    """
)


def s3_grants(tmp_path, output: str) -> dict[str, set[str]]:
    (tmp_path / "app.py").write_text(QUERY.format(output=output))
    result = generate(tmp_path, Options(target=TARGET))
    out: dict[str, set[str]] = {}
    for p in result.permissions:
        if p.action.startswith("s3:"):
            out.setdefault(p.action, set()).add(p.resource)
    return out


def test_a_partly_known_bucket_keeps_its_known_parts(tmp_path):
    grants = s3_grants(
        tmp_path, "f\"s3://{os.environ['PROJECT']}-athena-results-{os.environ['ACCOUNT']}/runs/\""
    )
    assert grants["s3:PutObject"] == {"arn:aws:s3:::*-athena-results-*/runs/*"}
    assert grants["s3:GetBucketLocation"] == {"arn:aws:s3:::*-athena-results-*"}


def test_a_known_bucket_and_an_unknown_uri_are_unchanged(tmp_path):
    assert s3_grants(tmp_path, '"s3://results/q/"')["s3:PutObject"] == {"arn:aws:s3:::results/q/*"}
    grants = s3_grants(tmp_path, 'os.environ["OUTPUT"]')
    assert grants["s3:PutObject"] == {"arn:aws:s3:::*/*"} and grants["s3:GetBucketLocation"] == {
        "arn:aws:s3:::*"
    }
    # No '/' after the bucket: nothing says where its name ends.
    assert s3_grants(tmp_path, "f\"s3://{os.environ['B']}\"")["s3:GetBucketLocation"] == {"arn:aws:s3:::*"}
