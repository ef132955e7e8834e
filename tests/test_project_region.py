"""The region the ARNs are written for: ``--region`` given on the command line, else the one the
project states (Serverless ``provider.region``, samconfig's ``region``, the Terraform ``aws``
provider's), else any (``*``); the run says which and from where."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from click.testing import CliRunner

from policygen.cli import main

HANDLER = """import os
import boto3


def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody="x")
"""

SERVERLESS = """
service: billing
provider:
  name: aws
  runtime: python3.12
  region: ${opt:region, self:custom.region, 'us-east-1'}
  environment:
    QUEUE_URL: https://sqs.${aws:region}.amazonaws.com/123456789012/jobs
custom:
  region: eu-west-1
functions:
  send:
    handler: src/app.handler
"""

SAM = """AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Send:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      Environment:
        Variables:
          QUEUE_URL: !Sub https://sqs.${AWS::Region}.amazonaws.com/${AWS::AccountId}/jobs
"""

SAMCONFIG = """version = 0.1
[default.global.parameters]
stack_name = "billing"

[default.deploy.parameters]
capabilities = "CAPABILITY_IAM"
region = "ap-southeast-2"
"""

TERRAFORM = """
variable "region" {
  default = "eu-central-1"
}

provider "aws" {
  region = var.region
}

provider "aws" {
  alias  = "us"
  region = "us-east-1"
}

data "archive_file" "send" {
  type        = "zip"
  source_dir  = "${path.module}/src"
  output_path = "${path.module}/build/send.zip"
}

resource "aws_lambda_function" "send" {
  function_name = "send"
  role          = "arn:aws:iam::123456789012:role/send"
  handler       = "app.handler"
  runtime       = "python3.12"
  filename      = data.archive_file.send.output_path
  environment {
    variables = {
      QUEUE_URL = "https://sqs.${data.aws_region.current.name}.amazonaws.com/123456789012/jobs"
    }
  }
}

data "aws_region" "current" {}
"""


def project(root: Path, files: dict[str, str]) -> Path:
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src" / "app.py").write_text(HANDLER)
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text))
    return root


def generate(root: Path, *extra: str):
    args = ["generate", str(root), "--account", "123456789012", "--no-cache", *extra]
    return CliRunner().invoke(main, args)


def resources(result) -> set[str]:
    assert result.exit_code == 0, result.stderr
    return {r for s in json.loads(result.stdout)["Statement"] for r in s["Resource"]}


def line_of(path: Path, needle: str) -> int:
    return next(i for i, t in enumerate(path.read_text().splitlines(), 1) if needle in t)


def test_serverless_provider_region_is_used_unless_region_is_given(tmp_path):
    root = project(tmp_path, {"serverless.yml": SERVERLESS})
    stated = generate(root)
    assert "arn:aws:sqs:eu-west-1:123456789012:jobs" in resources(stated)
    assert any(":logs:eu-west-1:" in r for r in resources(stated))
    line = line_of(root / "serverless.yml", "region: ${opt:region")
    assert f"region eu-west-1, from serverless.yml:{line} provider.region" in stated.stderr
    given = generate(root, "--region", "us-west-2")
    assert "arn:aws:sqs:us-west-2:123456789012:jobs" in resources(given)
    assert not any("eu-west-1" in r for r in resources(given))
    assert "region us-west-2, from --region; the project states eu-west-1" in given.stderr


def test_an_explicit_star_region_is_given_too(tmp_path):
    root = project(tmp_path, {"serverless.yml": SERVERLESS})
    result = generate(root, "--region", "*")
    assert any(":logs:*:" in r for r in resources(result))
    assert "region *, from --region" in result.stderr


def test_samconfig_region_for_a_sam_project(tmp_path):
    root = project(tmp_path, {"template.yaml": SAM, "samconfig.toml": SAMCONFIG})
    result = generate(root)
    assert "arn:aws:sqs:ap-southeast-2:123456789012:jobs" in resources(result)
    line = line_of(root / "samconfig.toml", "region =")
    assert f"from samconfig.toml:{line} default.deploy.parameters.region" in result.stderr


def test_terraform_default_provider_region_with_its_variables(tmp_path):
    root = project(tmp_path, {"main.tf": TERRAFORM})
    result = generate(root)
    assert "arn:aws:sqs:eu-central-1:123456789012:jobs" in resources(result)
    line = line_of(root / "main.tf", 'provider "aws" {')
    assert f'from main.tf:{line} provider "aws" region' in result.stderr
    assert "arn:aws:sqs:sa-east-1:123456789012:jobs" in resources(generate(root, "--var", "region=sa-east-1"))


def test_no_region_anywhere_stays_any_region_and_says_so(tmp_path):
    root = project(tmp_path, {"template.yaml": SAM})
    result = generate(root)
    assert "arn:aws:sqs:*:123456789012:jobs" in resources(result)
    assert "region *: neither --region nor the project names one" in result.stderr


def test_a_stated_region_that_does_not_exist_is_an_input_error_naming_where(tmp_path):
    root = project(tmp_path, {"template.yaml": SAM, "samconfig.toml": SAMCONFIG.replace("ap-southeast-2", "ap-southeast-9")})
    result = generate(root)
    assert result.exit_code == 2
    assert "samconfig.toml:7" in result.stderr and "ap-southeast-9" in result.stderr
    assert "Traceback" not in result.stderr


def test_diff_uses_and_reports_the_project_region(tmp_path):
    root = project(tmp_path, {"serverless.yml": SERVERLESS})
    result = CliRunner().invoke(main, ["diff", str(root), "--account", "123456789012", "--no-cache"])
    assert result.exit_code in (0, 1), result.stderr
    assert "region eu-west-1, from serverless.yml:" in result.stderr
