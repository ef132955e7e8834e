"""SAM/CloudFormation reader on real-shaped templates: functions in other runtimes or with code
outside the project are listed as not analysed, never abort the others."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from policygen.cli import main
from policygen.deploy import cloudformation
from policygen.errors import DeploymentError
from policygen.model import Target
from policygen.project import generate_project

TARGET = Target("aws", "us-east-1", "123456789012")
HANDLER = "import boto3\n\ndef handler(event, context):\n    boto3.client('sqs').send_message(QueueUrl='q', MessageBody='x')\n"


def project(tmp_path: Path, template: str, code: str = HANDLER) -> Path:
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "src" / "app.py").write_text(code)
    (tmp_path / "template.yaml").write_text(textwrap.dedent(template))
    return tmp_path


MIXED = """
    Transform: AWS::Serverless-2016-10-31
    Globals:
      Function:
        Runtime: python3.12
    Resources:
      PyFunction:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: src
          Handler: app.handler
      NodeFunction:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: web
          Handler: index.handler
          Runtime: nodejs20.x
      ImageFunction:
        Type: AWS::Serverless::Function
        Properties:
          PackageType: Image
        Metadata:
          Dockerfile: Dockerfile
      InlineFunction:
        Type: AWS::Lambda::Function
        Properties:
          Runtime: python3.12
          Handler: index.handler
          Role: arn:aws:iam::123456789012:role/r
          Code:
            ZipFile: "def handler(e, c): pass"
      S3Function:
        Type: AWS::Lambda::Function
        Properties:
          Runtime: python3.12
          Handler: app.handler
          Role: arn:aws:iam::123456789012:role/r
          Code:
            S3Bucket: artefacts
            S3Key: fn.zip
      ZipFunction:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: dist/fn.zip
          Handler: app.handler
"""


def test_other_runtimes_and_remote_code_are_listed_with_their_reason(tmp_path):
    specs = {s.name: s for s in cloudformation.read(project(tmp_path, MIXED) / "template.yaml", TARGET)}
    assert specs["PyFunction"].skipped is None
    assert specs["NodeFunction"].skipped == "runtime nodejs20.x is not Python"
    assert "container image" in (specs["ImageFunction"].skipped or "")
    assert "inline code (Code.ZipFile)" in (specs["InlineFunction"].skipped or "")
    assert "in S3" in (specs["S3Function"].skipped or "")
    assert "prebuilt archive (dist/fn.zip)" in (specs["ZipFunction"].skipped or "")


def test_skipped_functions_never_abort_the_others(tmp_path):
    root = project(tmp_path, MIXED)
    result = generate_project(root, target=TARGET)
    assert result is not None
    assert [f.spec.name for f in result.functions] == ["PyFunction"]
    assert sorted(s.name for s in result.skipped) == [
        "ImageFunction",
        "InlineFunction",
        "NodeFunction",
        "S3Function",
        "ZipFunction",
    ]
    cli = CliRunner().invoke(main, ["generate", str(root), "--no-cache", "--format", "json-report"])
    assert cli.exit_code == 0, cli.output
    assert "NodeFunction: not analysed: runtime nodejs20.x is not Python" in cli.stderr
    report = json.loads(cli.stdout)
    assert report["not_analysed"]["NodeFunction"]["reason"] == "runtime nodejs20.x is not Python"
    assert list(report["functions"]) == ["PyFunction"]


def test_a_project_with_nothing_to_analyse_says_so(tmp_path):
    root = project(
        tmp_path,
        """
        Resources:
          NodeFunction:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: web
              Handler: index.handler
              Runtime: nodejs20.x
        """,
    )
    with pytest.raises(DeploymentError, match=r"no function whose code policygen can analyse.*nodejs20\.x"):
        generate_project(root, target=TARGET)
