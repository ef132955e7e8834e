"""record, generate --observed and verify on a SAM project: each recorded call is attributed to
its function by code folder, and by handler where functions share a folder."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from policygen.cli import main

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Ingest:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: ingest.handler
      Runtime: python3.12
  Purge:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: purge.handler
      Runtime: python3.12
  Audit:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: audit/
      Handler: app.handler
      Runtime: python3.12
"""

SHARED = """\
import boto3

def store(kind, key):
    # the operation comes from the caller: static analysis cannot name it
    return getattr(boto3.client("s3", region_name="us-east-1"), f"{kind}_object")(Bucket="data", Key=key, **({"Body": b"x"} if kind == "put" else {}))
"""

INGEST = """\
import shared

def handler(event, context):
    return shared.store(event["mode"], event["key"])
"""

PURGE = """\
import shared

def handler(event, context):
    return shared.store(event.get("mode", "delete"), event["key"])
"""

AUDIT = """\
import boto3

def handler(event, context):
    return boto3.client("s3", region_name="us-east-1").list_objects_v2(Bucket="data")
"""

TESTS = """\
import os, sys
from pathlib import Path
import boto3, pytest
from moto import mock_aws

ROOT = Path(__file__).resolve().parent.parent
os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")

def load(folder, module):
    sys.path.insert(0, str(ROOT / folder))
    try:
        sys.modules.pop(module, None)
        sys.modules.pop("shared", None)
        return __import__(module)
    finally:
        sys.path.pop(0)

@pytest.fixture(autouse=True)
def aws():
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket="data")
        yield

def test_ingest_then_purge():
    load("src", "ingest").handler({"key": "in/a.json", "mode": "put"}, None)
    load("src", "purge").handler({"key": "in/a.json"}, None)

def test_the_helper_alone():
    sys.path.insert(0, str(ROOT / "src"))
    try:
        sys.modules.pop("shared", None)
        import shared
        shared.store("put", "direct.json")
    finally:
        sys.path.pop(0)

def test_audit():
    load("audit", "app").handler({}, None)
"""


@pytest.fixture
def sam_app(tmp_path):
    app = tmp_path / "sam-app"
    for name, text in {
        "template.yaml": TEMPLATE,
        "src/shared.py": SHARED,
        "src/ingest.py": INGEST,
        "src/purge.py": PURGE,
        "audit/app.py": AUDIT,
        "tests/test_app.py": TESTS,
    }.items():
        (app / name).parent.mkdir(parents=True, exist_ok=True)
        (app / name).write_text(text)
    return app


def _tests(app: Path) -> list[str]:
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(app), "tests"]


def _run(app: Path, args: list[str]):
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(app)
        return CliRunner().invoke(main, args)


def test_record_a_project_then_generate_gives_each_function_its_own_calls(sam_app):
    result = _run(sam_app, ["record", ".", "--out", "observed.json", "--", *_tests(sam_app)])
    assert result.exit_code == 0, result.output
    recording = json.loads((sam_app / "observed.json").read_text())
    assert sorted(recording["roots"]) == ["audit", "src"]
    assert "(4 by the function" in result.output
    # each function's calls, with what they named and where; the helper test's call is every sharer's
    shared = " (no handler on its stack: counted for every function of the folder)"
    assert (
        "policygen: Ingest (src/): 2 distinct call(s)\n"
        f"    s3.put_object(Bucket=data, Key=direct.json) at src/shared.py:5 (store){shared}\n"
        "    s3.put_object(Bucket=data, Key=in/a.json) at src/shared.py:5 (store)\n"
        "policygen: Purge (src/): 2 distinct call(s)\n"
        "    s3.delete_object(Bucket=data, Key=in/a.json) at src/shared.py:5 (store)\n"
        f"    s3.put_object(Bucket=data, Key=direct.json) at src/shared.py:5 (store){shared}\n"
        "policygen: Audit (audit/): 1 distinct call(s)\n"
        "    s3.list_objects_v2(Bucket=data) at audit/app.py:4 (handler)\n"
        "policygen: next: policygen generate . --observed observed.json\n"
    ) in result.output
    generated = _run(
        sam_app,
        ["generate", ".", "--region", "us-east-1", "--account", "123456789012",
         "--observed", "observed.json", "--format", "json-report", "--no-cache"],
    )
    assert generated.exit_code == 0, generated.output
    reports = json.loads(generated.stdout)["functions"]
    granted = {
        name: sorted((p["action"], p["resource"]) for p in report["permissions"])
        for name, report in reports.items()
    }
    # the folder is shared: the handler on the stack says whose call it was
    assert ("s3:PutObject", "arn:aws:s3:::data/in/a.json") in granted["Ingest"]
    assert not any(a == "s3:DeleteObject" for a, _ in granted["Ingest"])
    assert ("s3:DeleteObject", "arn:aws:s3:::data/in/a.json") in granted["Purge"]
    assert ("s3:PutObject", "arn:aws:s3:::data/in/a.json") not in granted["Purge"]
    assert not any(a in ("s3:PutObject", "s3:DeleteObject") for a, _ in granted["Audit"])
    # a test calling the shared helper itself: no handler says whose it is; both get it, said so
    for name in ("Ingest", "Purge"):
        assert ("s3:PutObject", "arn:aws:s3:::data/direct.json") in granted[name]
        notes = [u for u in reports[name]["unresolved"] if "under none of their handlers" in u["reason"]]
        assert [n["location"] for n in notes] == ["shared.py:5"], reports[name]["unresolved"]
    # the getattr call static analysis could only report is matched to its recording
    matched = reports["Purge"]["resolved_by_recording"]
    assert matched[0]["kind"] == "unresolved" and matched[0]["location"] == "shared.py:5:12"
    assert matched[0]["observed"] == [
        {"action": "s3:DeleteObject", "resource": "arn:aws:s3:::data/in/a.json"},
        {"action": "s3:PutObject", "resource": "arn:aws:s3:::data/direct.json"},  # the helper test's
    ]


def test_verify_one_function_of_a_project(sam_app):
    args = ["verify", ".", "--function", "Purge", "--region", "us-east-1", "--account", "123456789012"]
    tests = [*_tests(sam_app), "-k", "not helper_alone"]  # a helper called directly is every sharer's
    result = _run(sam_app, [*args, "--report", "report.txt", "--", *tests])
    # Purge's static policy misses the getattr call: denied, named; Ingest's call in the shared
    # file is not Purge's and is not judged against Purge's policy
    assert result.exit_code == 1, result.output
    assert "DENIED s3:DeleteObject on arn:aws:s3:::data/in/a.json" in result.output
    assert "call: s3.delete_object at src/shared.py:5 (store)" in result.output
    assert "s3:PutObject" not in (sam_app / "report.txt").read_text()
    assert "under another function's handler: not Purge's, not judged" in result.output


def test_verify_a_project_with_several_functions_asks_which(sam_app):
    result = _run(sam_app, ["verify", ".", "--", *_tests(sam_app)])
    assert result.exit_code == 2
    assert "choose one with --function NAME" in result.output
