"""``unquote``/``unquote_plus`` of an S3 key keeps the known text they cannot change: a literal with
no ``%`` (nor ``+`` for unquote_plus) comes out as it went in, so the key keeps the prefix and
suffix the S3 trigger's filter (or the code) gives it; anything they may change is unknown."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import policygen
from policygen.cli import main
from policygen.model import Hole, Text
from policygen.resolve.interpreter import _unquoted

TARGET = policygen.Target("aws", "us-east-1", "123456789012")
HOLE = Hole("the key")
UNQUOTE, PLUS = "urllib.parse.unquote", "urllib.parse.unquote_plus"


@pytest.mark.parametrize(
    ("text", "qualname", "pattern"),
    [
        (Text(("incoming/", HOLE, ".csv")), PLUS, "incoming/*.csv"),
        (Text(("incoming/", HOLE, ".csv")), UNQUOTE, "incoming/*.csv"),
        (Text(("in+coming/", HOLE)), UNQUOTE, "in+coming/*"),  # unquote leaves '+' alone
        # negative: text the call may change is not kept
        (Text(("in+coming/", HOLE)), PLUS, "*"),
        (Text(("a%2Fb/", HOLE)), UNQUOTE, "*"),
        (Text(("raw/", HOLE, "/x%20y")), PLUS, "raw/*"),
        # hex digits right after a hole may end an escape that began in it ("%4" + "1")
        (Text(("raw/", HOLE, "41.csv")), UNQUOTE, "raw/*.csv"),
        (Text(("raw/", HOLE, "a.csv")), UNQUOTE, "raw/*.csv"),
        (Text(("raw/", HOLE, "/b.csv")), UNQUOTE, "raw/*/b.csv"),
        # a known string is decoded exactly
        (Text.of("my+file%2Ename"), PLUS, "my file.name"),
        (Text.of("my+file%2Ename"), UNQUOTE, "my+file.name"),
    ],
)
def test_unquoted_keeps_only_what_the_call_cannot_change(text: Text, qualname: str, pattern: str) -> None:
    assert _unquoted(text, qualname).pattern() == pattern


def _object_grants(report: dict) -> set[tuple[str, str]]:
    return {(p["action"], p["resource"]) for p in report["permissions"] if p["action"].startswith("s3:")}


def test_code_prefix_survives_unquote_plus(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        textwrap.dedent(
            """
            import urllib.parse
            import boto3
            def handler(event, context):
                key = urllib.parse.unquote_plus("uploads/" + event["name"] + ".json")
                boto3.client("s3").get_object(Bucket="data", Key=key)
                raw = urllib.parse.unquote_plus("in+box/" + event["name"])
                boto3.client("s3").delete_object(Bucket="data", Key=raw)
            """
        )
    )
    result = policygen.generate(tmp_path, policygen.Options(target=TARGET))
    granted = {(p.action, p.resource) for p in result.permissions}
    assert granted == {("s3:GetObject", "arn:aws:s3:::data/uploads/*.json"), ("s3:DeleteObject", "arn:aws:s3:::data/*")}


TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Uploads:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: acme-uploads
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      Events:
        Up:
          Type: S3
          Properties:
            Bucket: !Ref Uploads
            Events: s3:ObjectCreated:*
            Filter:
              S3Key:
                Rules:
                  - {Name: prefix, Value: PREFIX}
                  - {Name: suffix, Value: .csv}
"""
HANDLER = """\
import urllib.parse
from urllib.parse import unquote
import boto3
s3 = boto3.client("s3")
def handler(event, context):
    record = event["Records"][0]
    bucket = record["s3"]["bucket"]["name"]
    s3.get_object(Bucket=bucket, Key=urllib.parse.unquote_plus(record["s3"]["object"]["key"]))
    s3.delete_object(Bucket=bucket, Key=unquote(record["s3"]["object"]["key"]))
"""


@pytest.mark.parametrize(
    ("prefix", "get", "delete"),
    [
        ("incoming/", "incoming/*.csv", "incoming/*.csv"),
        ("in+box/", "*.csv", "in+box/*.csv"),  # negative for unquote_plus only
        ("a%20b/", "*.csv", "*.csv"),  # negative for both
    ],
)
def test_trigger_filter_survives_unquote_through_the_cli(tmp_path: Path, prefix: str, get: str, delete: str) -> None:
    (tmp_path / "template.yaml").write_text(TEMPLATE.replace("PREFIX", prefix))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(HANDLER)
    args = ["generate", str(tmp_path), "--no-cache", "--format", "json-report"]
    result = CliRunner().invoke(main, [*args, "--region", TARGET.region, "--account", TARGET.account])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["functions"]["Fn"]
    assert _object_grants(report) == {
        ("s3:GetObject", f"arn:aws:s3:::acme-uploads/{get}"),
        ("s3:DeleteObject", f"arn:aws:s3:::acme-uploads/{delete}"),
    }
