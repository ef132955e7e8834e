"""Optional arguments passed as variables that default to null, as public Terraform modules
write them (``kms_key_arn = var.kms_key_arn``, ``image_uri = var.image_uri``): Terraform leaves
them unset. They were read as set: a ``kms:Decrypt`` on the resource "" (a policy IAM rejects)
and a zip function taken for a container image."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from click.testing import CliRunner

from policygen.cli import main

HANDLER = "import boto3\n\ndef handler(event, context):\n    boto3.client('sns').publish(TopicArn='arn:aws:sns:us-east-1:123456789012:alerts', Message='m')\n"
MAIN = """
variable "kms_key_arn" {
  type    = string
  default = null
}
variable "image_uri" {
  default = null
}
variable "package_type" {
  default = "Zip"
}
variable "dead_letter_target" {
  default = ""
}

data "archive_file" "fn" {
  type        = "zip"
  source_dir  = "${path.module}/src"
  output_path = "${path.module}/build/fn.zip"
}

resource "aws_lambda_function" "fn" {
  function_name = "notify"
  role          = "arn:aws:iam::123456789012:role/notify"
  handler       = "app.handler"
  runtime       = "python3.12"
  filename      = data.archive_file.fn.output_path
  kms_key_arn   = var.kms_key_arn
  image_uri     = var.image_uri
  package_type  = var.package_type
  dead_letter_config {
    target_arn = var.dead_letter_target
  }
  environment {
    variables = { MODE = "x" }
  }
}
"""
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def project(root: Path) -> Path:
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text(HANDLER)
    (root / "main.tf").write_text(textwrap.dedent(MAIN))
    return root


def grants(*args: str) -> dict[str, set[str]]:
    cli = CliRunner().invoke(
        main, ["generate", *args, "--region", "us-east-1", "--account", "123456789012", "--no-cache"]
    )
    assert cli.exit_code == 0, cli.output
    out: dict[str, set[str]] = {}
    for statement in json.loads(cli.stdout)["Statement"]:
        for action in statement["Action"]:
            out.setdefault(action, set()).update(statement["Resource"])
    return out


def test_null_and_empty_optional_arguments_are_unset(tmp_path):
    policy = grants(str(project(tmp_path)))
    assert "sns:Publish" in policy  # analysed: not taken for a container image
    assert "kms:Decrypt" not in policy and "sqs:SendMessage" not in policy and "sns:Publish" in policy
    assert all(resource for resources in policy.values() for resource in resources)


def test_the_same_arguments_given_values_are_granted(tmp_path):
    root = project(tmp_path)
    dlq = "arn:aws:sqs:us-east-1:123456789012:notify-dlq"
    policy = grants(str(root), "--var", f"kms_key_arn={KEY}", "--var", f"dead_letter_target={dlq}")
    assert policy["kms:Decrypt"] == {KEY}
    assert policy["sqs:SendMessage"] == {dlq}
    cli = CliRunner().invoke(
        main, ["generate", str(root), "--var", "image_uri=1.dkr.ecr/x:1", "--var", "package_type=Image"]
    )
    assert cli.exit_code == 2 and "container image" in cli.stderr
