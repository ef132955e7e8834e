"""Declared role policies keep what IAM reads in them: Deny, NotAction, NotResource and
conditions, in SAM/CloudFormation and Terraform; the comparison evaluates them as IAM would."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from policygen.compare import compare
from policygen.model import Condition, Target
from policygen.options import Options
from policygen.policy import Effect, to_json
from policygen.project import generate_project

TARGET = Target("aws", "us-east-1", "123456789012")
CODE = """\
import boto3
s3 = boto3.client("s3")
def handler(event, context):
    s3.get_object(Bucket="orders-data", Key="orders/" + event["id"])
    s3.put_object(Bucket="orders-data", Key="audit/" + event["id"], Body=b"x")
"""


def project(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(CODE)
    (tmp_path / name).write_text(textwrap.dedent(text))
    return tmp_path


SAM = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Runtime: python3.12
      Policies:
        - Statement:
            - Effect: Allow
              Action: s3:*
              Resource: arn:aws:s3:::orders-data/*
            - Effect: Deny
              Action: s3:PutObject
              Resource: arn:aws:s3:::orders-data/audit/*
            - Effect: Deny
              NotAction: [s3:*, logs:*]
              NotResource: arn:aws:s3:::orders-data/*
              Condition:
                Bool:
                  aws:SecureTransport: false
"""


def test_sam_declared_policy_keeps_deny_not_action_and_conditions(tmp_path: Path):
    [function] = generate_project(project(tmp_path, "template.yaml", SAM), Options(target=TARGET, cache_dir=None)).functions
    declared = function.spec.deployed
    assert declared is not None
    allow, deny, fence = declared.statements
    assert (allow.effect, deny.effect, fence.effect) == (Effect.ALLOW, Effect.DENY, Effect.DENY)
    assert fence.not_action and fence.not_resource and fence.actions == ("s3:*", "logs:*")
    assert fence.conditions == (Condition("Bool", "aws:SecureTransport", ("false",)),)
    assert to_json(declared)["Statement"][2] == {
        "Sid": "Inline02",
        "Effect": "Deny",
        "NotAction": ["s3:*", "logs:*"],
        "NotResource": ["arn:aws:s3:::orders-data/*"],
        "Condition": {"Bool": {"aws:SecureTransport": ["false"]}},
    }
    comparison = compare(function.spec, function.result)
    # The read is granted; the write is explicitly denied, so it is missing though s3:* allows it.
    assert [(p.action, p.resource) for p in comparison.missing if p.action.startswith("s3:")] == [
        ("s3:PutObject", "arn:aws:s3:::orders-data/audit/*")
    ]


TERRAFORM = """\
resource "aws_iam_role" "fn" {
  name               = "fn"
  assume_role_policy = "{}"
}

resource "aws_lambda_function" "fn" {
  function_name = "fn"
  role          = aws_iam_role.fn.arn
  handler       = "app.handler"
  runtime       = "python3.12"
  filename      = data.archive_file.fn.output_path
}

data "archive_file" "fn" {
  type        = "zip"
  source_dir  = "${path.module}/src"
  output_path = "${path.module}/build/fn.zip"
}

data "aws_iam_policy_document" "fn" {
  statement {
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["arn:aws:s3:::orders-data/*"]
    condition {
      test     = "StringEquals"
      variable = "s3:ExistingObjectTag/team"
      values   = ["orders"]
    }
  }
  statement {
    effect        = "Deny"
    not_actions   = ["s3:GetObject"]
    not_resources = ["arn:aws:s3:::orders-data/orders/*"]
  }
}

resource "aws_iam_role_policy" "fn" {
  role   = aws_iam_role.fn.id
  policy = data.aws_iam_policy_document.fn.json
}
"""


def test_terraform_policy_document_keeps_deny_not_elements_and_conditions(tmp_path: Path):
    root = project(tmp_path, "main.tf", TERRAFORM)
    [function] = generate_project(root, Options(target=TARGET, cache_dir=None)).functions
    declared = function.spec.deployed
    assert declared is not None, function.spec.notes
    grant, fence = declared.statements
    assert grant.conditions == (Condition("StringEquals", "s3:ExistingObjectTag/team", ("orders",)),)
    assert fence.effect is Effect.DENY and fence.not_action and fence.not_resource
    # The grant holds a condition: it can't be relied on, so both calls count as missing.
    missing = {(p.action, p.resource) for p in compare(function.spec, function.result).missing}
    assert ("s3:GetObject", "arn:aws:s3:::orders-data/orders/*") in missing
    assert ("s3:PutObject", "arn:aws:s3:::orders-data/audit/*") in missing


MANAGED = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Jobs:
    Type: AWS::SQS::Queue
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Runtime: python3.12
      Tracing: Active
      Policies:
        - AmazonS3ReadOnlyAccess
        - arn:aws:iam::aws:policy/NoSuchPolicyYet
      Events:
        Work:
          Type: SQS
          Properties:
            Queue: !GetAtt Jobs.Arn
"""


def test_managed_policies_attached_in_the_template_and_by_sam_are_expanded(tmp_path: Path):
    from click.testing import CliRunner

    from policygen.cli import main

    root = project(tmp_path, "template.yaml", MANAGED)
    [function] = generate_project(root, Options(target=TARGET, cache_dir=None)).functions
    assert function.spec.managed_policies == (
        "AmazonS3ReadOnlyAccess",
        "arn:aws:iam::aws:policy/NoSuchPolicyYet",
        "service-role/AWSLambdaBasicExecutionRole",
        "AWSXrayWriteOnlyAccess",
        "service-role/AWSLambdaSQSQueueExecutionRole",
    )
    args = ["generate", str(root), "--format", "json-report", "--no-cache", "--region", "us-east-1", "--account", "123456789012"]
    result = CliRunner().invoke(main, args)
    deployment = json.loads(result.stdout)["functions"]["Fn"]["deployment"]
    assert deployment["attached_managed_policies"][:2] == [
        {"policy": "AmazonS3ReadOnlyAccess", "arn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"},
        {
            "policy": "arn:aws:iam::aws:policy/NoSuchPolicyYet",
            "unknown": "not among the 1643 AWS managed policies policygen knows (snapshot 2026-08-22): a newer policy or a typo",
        },
    ]
    # Read-only S3, the log, X-Ray and queue-polling grants come from the managed policies; the
    # write does not (and the unknown policy is not assumed to grant it, nor to be empty: it is listed).
    assert deployment["needed_but_not_declared"] == [
        {"action": "s3:PutObject", "resource": "arn:aws:s3:::orders-data/audit/*"}
    ]
    assert "declared_policy" not in deployment  # the template declares no statements of its own


SERVERLESS = """\
service: orders
provider:
  name: aws
  runtime: python3.12
  iam:
    role:
      managedPolicies:
        - arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess
      statements:
        - Effect: Deny
          Action: s3:GetObject
          Resource: arn:aws:s3:::orders-data/orders/secret*
functions:
  fn:
    handler: src/app.handler
"""


def test_serverless_managed_policies_are_expanded_next_to_the_statements(tmp_path: Path):
    root = project(tmp_path, "serverless.yml", SERVERLESS)
    [function] = generate_project(root, Options(target=TARGET, cache_dir=None)).functions
    assert function.spec.managed_policies == ("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",)
    missing = compare(function.spec, function.result).missing
    s3 = [(p.action, p.resource) for p in missing if p.action.startswith("s3:")]
    # The read comes from the managed policy, but the Deny cuts a slice out of orders/*.
    assert s3 == [
        ("s3:GetObject", "arn:aws:s3:::orders-data/orders/*"),
        ("s3:PutObject", "arn:aws:s3:::orders-data/audit/*"),
    ]
