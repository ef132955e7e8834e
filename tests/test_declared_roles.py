"""The current policy as the deployment files declare the function's role: CloudFormation
``AWS::IAM::Role`` (Policies, ManagedPolicyArns, attached ``AWS::IAM::Policy`` and
``AWS::IAM::ManagedPolicy``, PermissionsBoundary), SAM's PermissionsBoundary, Serverless
``permissionsBoundary``, Terraform roles; the boundary applied; what can't be read named as
unknown; a policy IAM would reject an input error naming the file and line."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from policygen.cli import main

HANDLER = """import os
import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    TABLE.put_item(Item={"id": event["id"]})
"""

CFN = """AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  ExternalPolicy:
    Type: String
Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: orders
  Boundary:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: [BOUNDARY_ACTIONS]
            Resource: "*"
  Reads:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: s3:GetObject
            Resource: arn:aws:s3:::b/*
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: table
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: dynamodb:*
                Resource: !GetAtt Orders.Arn
      ManagedPolicyArns:
        - !Sub arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole
        - !Ref Reads
        - !Ref ExternalPolicy
      PermissionsBoundary: !Ref Boundary
  Queue:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: queue
      Roles: [!Ref Role]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: sqs:SendMessage
            Resource: "*"
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      Role: !GetAtt Role.Arn
      Environment:
        Variables:
          TABLE_NAME: !Ref Orders
"""


def project(tmp_path: Path, template: str) -> Path:
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "src" / "app.py").write_text(HANDLER)
    (tmp_path / "template.yaml").write_text(template)
    return tmp_path


def diff(path: Path, *extra: str):
    args = ["diff", str(path), "--format", "json", "--no-cache", "--region", "us-east-1", "--account", "111122223333"]
    return CliRunner().invoke(main, [*args, *extra])


def one(result) -> dict:
    assert result.exit_code == 0, result.stderr
    [body] = json.loads(result.stdout)["functions"].values()
    return body


def unreadable(body: dict) -> list[dict[str, str]]:
    """The policies of the role the diff could not read, each {"kind", "what"}."""
    return body["unreadable_policies"]


def excess_of(body: dict) -> set[str]:
    return {a for group in body["excess"] for a in group["actions"]}


BOUNDARY_OK = "dynamodb:PutItem, dynamodb:GetItem, logs:*"


def test_a_cloudformation_role_is_read_whole_and_bounded(tmp_path):
    body = one(diff(project(tmp_path, CFN.replace("BOUNDARY_ACTIONS", BOUNDARY_OK))))
    assert body["missing"] == []
    # The role grants dynamodb:* on the table, s3:GetObject (Reads), sqs:SendMessage (Queue):
    # through the boundary, only GetItem is effectively granted and unneeded.
    excess = excess_of(body)
    assert "dynamodb:GetItem" in excess
    assert not {"dynamodb:DeleteTable", "s3:GetObject", "sqs:SendMessage"} & excess
    assert any("AWSLambdaBasicExecutionRole" in s for s in body["current"])
    assert any(s.startswith("permissions boundary") for s in body["current"])
    # The ARN a parameter without a value gives is unknown, named, never taken as empty.
    [unknown] = unreadable(body)
    assert unknown["kind"] == "deployment-policy"
    assert "ExternalPolicy" in unknown["what"] and "not known" in unknown["what"]


def test_without_the_boundary_the_role_grants_everything_it_declares(tmp_path):
    template = CFN.replace("BOUNDARY_ACTIONS", BOUNDARY_OK).replace("      PermissionsBoundary: !Ref Boundary\n", "")
    excess = excess_of(one(diff(project(tmp_path, template))))
    assert {"dynamodb:DeleteTable", "s3:GetObject", "sqs:SendMessage"} <= excess


def test_a_permission_the_template_boundary_refuses_is_missing_and_says_so(tmp_path):
    body = one(diff(project(tmp_path, CFN.replace("BOUNDARY_ACTIONS", "dynamodb:GetItem, logs:*"))))
    [missing] = body["missing"]
    assert missing["action"] == "dynamodb:PutItem"
    assert "not by its permissions boundary" in missing["outcome"]
    checked = CliRunner().invoke(main, ["check", str(tmp_path), "--no-cache"])
    assert checked.exit_code == 1 and "MISSING dynamodb:PutItem" in checked.stdout


def test_an_aws_managed_boundary_not_in_the_data_is_unknown_not_empty_nor_full(tmp_path):
    template = CFN.replace("BOUNDARY_ACTIONS", BOUNDARY_OK).replace(
        "PermissionsBoundary: !Ref Boundary", "PermissionsBoundary: arn:aws:iam::aws:policy/NoSuchBoundaryPolicy"
    )
    body = one(diff(project(tmp_path, template)))
    boundary = [u for u in unreadable(body) if "NoSuchBoundaryPolicy" in u["what"]]
    assert boundary and boundary[0]["kind"] == "permissions-boundary" and "incomplete" in boundary[0]["what"]
    # Not applied: the identity policies are compared as they are, and the report says so.
    assert body["missing"] == [] and "dynamodb:DeleteTable" in excess_of(body)


def test_an_aws_managed_boundary_in_the_data_is_applied(tmp_path):
    template = CFN.replace("BOUNDARY_ACTIONS", BOUNDARY_OK).replace(
        "PermissionsBoundary: !Ref Boundary",
        "PermissionsBoundary: arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    )
    body = one(diff(project(tmp_path, template)))
    missing = {m["action"]: m["outcome"] for m in body["missing"]}
    assert "dynamodb:PutItem" in missing and "logs:PutLogEvents" in missing  # S3 read-only allows neither
    assert all("not by its permissions boundary" in outcome for outcome in missing.values())


def test_a_policy_iam_would_reject_is_an_input_error_naming_the_line(tmp_path):
    template = CFN.replace("BOUNDARY_ACTIONS", BOUNDARY_OK).replace(
        "              - Effect: Allow\n                Action: dynamodb:*",
        "              - Effect: Permit\n                Action: dynamodb:*",
    )
    result = diff(project(tmp_path, template))
    assert result.exit_code == 2 and "Traceback" not in result.stderr and result.stdout == ""
    lines = template.splitlines()
    line = lines.index("              - Effect: Permit") + 1
    assert f"template.yaml:{line}: Roletable Statement[0]" in result.stderr, result.stderr
    assert "Permit" in result.stderr


def test_a_boundary_ref_to_nothing_is_an_input_error(tmp_path):
    template = CFN.replace("BOUNDARY_ACTIONS", BOUNDARY_OK).replace(
        "PermissionsBoundary: !Ref Boundary", "PermissionsBoundary: !Ref NoSuchPolicy"
    )
    result = diff(project(tmp_path, template))
    assert result.exit_code == 2 and "NoSuchPolicy" in result.stderr and "Traceback" not in result.stderr
    assert "template.yaml:" in result.stderr


SAM = """Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: orders
  Guard:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: [dynamodb:GetItem, "logs:*"]
            Resource: "*"
  Extra:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: sqs:SendMessage
            Resource: "*"
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      PermissionsBoundary: !Ref Guard
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref Orders
        - !Ref Extra
      Environment:
        Variables:
          TABLE_NAME: !Ref Orders
"""


def test_a_sam_function_boundary_and_a_template_managed_policy(tmp_path):
    body = one(diff(project(tmp_path, SAM)))
    [missing] = body["missing"]
    assert missing["action"] == "dynamodb:PutItem" and "permissions boundary" in missing["outcome"]
    excess = excess_of(body)
    assert "dynamodb:GetItem" in excess and "sqs:SendMessage" not in excess  # Extra: outside the boundary
    unbounded = excess_of(one(diff(project(tmp_path, SAM.replace("      PermissionsBoundary: !Ref Guard\n", "")))))
    assert "sqs:SendMessage" in unbounded  # the !Ref'd managed policy of the template is read


SLS = """service: orders
provider:
  name: aws
  runtime: python3.12
  iam:
    role:
      permissionsBoundary: BOUNDARY
      statements:
        - Effect: Allow
          Action: dynamodb:*
          Resource: arn:aws:dynamodb:us-east-1:111122223333:table/orders
      managedPolicies:
        - arn:aws:iam::aws:policy/AmazonSQSFullAccess
functions:
  put:
    handler: app.handler
    environment:
      TABLE_NAME: orders
"""


def serverless(tmp_path: Path, boundary: str) -> Path:
    (tmp_path / "app.py").write_text(HANDLER)
    (tmp_path / "serverless.yml").write_text(SLS.replace("BOUNDARY", boundary))
    return tmp_path


def test_a_serverless_boundary_from_the_aws_managed_data_is_applied(tmp_path):
    body = one(diff(serverless(tmp_path, "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess")))
    missing = {m["action"]: m["outcome"] for m in body["missing"]}
    assert "dynamodb:PutItem" in missing and "permissions boundary" in missing["dynamodb:PutItem"]
    assert not any(a.startswith("sqs:") for a in excess_of(body))


def test_a_serverless_customer_boundary_is_unknown_and_the_diff_says_incomplete(tmp_path):
    body = one(diff(serverless(tmp_path, "arn:aws:iam::111122223333:policy/org-boundary")))
    [unknown] = [u["what"] for u in unreadable(body) if "org-boundary" in u["what"]]
    assert "customer managed" in unknown and "incomplete" in unknown
    # Identity policies compared as they are (the Framework's own log statements are not read).
    assert {m["action"] for m in body["missing"]} <= {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}
    assert "sqs:SendMessage" in excess_of(body)


TF = """
resource "aws_dynamodb_table" "orders" {
  name     = "orders"
  hash_key = "id"
  attribute {
    name = "id"
    type = "S"
  }
}

data "aws_iam_policy_document" "base" {
  statement {
    sid       = "Queue"
    actions   = ["sqs:SendMessage"]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "narrower" {
  statement {
    sid       = "Wide"
    actions   = ["dynamodb:*"]
    resources = [aws_dynamodb_table.orders.arn]
  }
}

data "aws_iam_policy_document" "table" {
  source_policy_documents   = [data.aws_iam_policy_document.base.json]
  override_policy_documents = [data.aws_iam_policy_document.narrower.json]
  statement {
    sid       = "Wide"
    actions   = ["*"]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "reads" {
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "arn:aws:s3:::b/*" }]
  })
}

resource "aws_iam_policy" "boundary" {
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = [BOUNDARY_ACTIONS], Resource = "*" }]
  })
}

resource "aws_iam_policy" "extra" {
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sqs:ReceiveMessage", Resource = "*" }]
  })
}

resource "aws_iam_role" "fn" {
  name = "orders-fn"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
  managed_policy_arns  = ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", aws_iam_policy.reads.arn]
  permissions_boundary = aws_iam_policy.boundary.arn
  inline_policy {
    name   = "table"
    policy = data.aws_iam_policy_document.table.json
  }
}

resource "aws_iam_policy_attachment" "extra" {
  name       = "extra"
  roles      = [aws_iam_role.fn.name]
  policy_arn = aws_iam_policy.extra.arn
}

data "aws_iam_policy" "external" {
  name = "External"
}

resource "aws_iam_role_policy_attachment" "external" {
  role       = aws_iam_role.fn.name
  policy_arn = data.aws_iam_policy.external.arn
}

variable "extra_policy" {
  type = string
}

resource "aws_iam_role_policy" "from_variable" {
  role   = aws_iam_role.fn.id
  policy = var.extra_policy
}

data "archive_file" "put" {
  type        = "zip"
  source_dir  = "${path.module}/src"
  output_path = "${path.module}/build/put.zip"
}

resource "aws_lambda_function" "put" {
  function_name = "orders-put"
  role          = aws_iam_role.fn.arn
  handler       = "app.handler"
  runtime       = "python3.12"
  filename      = data.archive_file.put.output_path
  environment {
    variables = {
      TABLE_NAME = aws_dynamodb_table.orders.name
    }
  }
}
"""


def terraform(tmp_path: Path, tf: str) -> Path:
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "src" / "app.py").write_text(HANDLER)
    (tmp_path / "main.tf").write_text(tf)
    return tmp_path


def test_a_terraform_role_is_read_whole_bounded_and_says_what_it_cannot_read(tmp_path):
    tf = TF.replace("BOUNDARY_ACTIONS", '"dynamodb:PutItem", "dynamodb:GetItem", "logs:*", "sqs:SendMessage"')
    body = one(diff(terraform(tmp_path, tf)))
    assert body["missing"] == []
    excess = excess_of(body)
    # Within the boundary: GetItem (inline), SendMessage (the source document); outside it:
    # the rest of dynamodb:*, s3:GetObject (managed_policy_arns), sqs:ReceiveMessage (attachment).
    # The override document's "Wide" statement replaced the document's own "*" on "*".
    assert {"dynamodb:GetItem", "sqs:SendMessage"} <= excess
    assert not {"dynamodb:DeleteTable", "s3:GetObject", "sqs:ReceiveMessage"} & excess
    unknown = " | ".join(u["what"] for u in unreadable(body))
    assert "data.aws_iam_policy.external" in unknown and "var.extra_policy" in unknown


def test_terraform_without_the_boundary(tmp_path):
    tf = TF.replace("BOUNDARY_ACTIONS", '"*"').replace("  permissions_boundary = aws_iam_policy.boundary.arn\n", "")
    excess = excess_of(one(diff(terraform(tmp_path, tf))))
    assert {"dynamodb:DeleteTable", "s3:GetObject", "sqs:ReceiveMessage", "sqs:SendMessage"} <= excess
    assert "iam:PassRole" not in excess  # the '*' statement was overridden by its sid


REGISTRY = """
resource "aws_iam_policy" "reads" {
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "arn:aws:s3:::b/*" }]
  })
}

resource "aws_iam_policy" "boundary" {
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:*", "logs:*"], Resource = "*" }]
  })
}

variable "statements" {
  type = any
}

module "put" {
  source        = "terraform-aws-modules/lambda/aws"
  function_name = "orders-put"
  handler       = "app.handler"
  runtime       = "python3.12"
  source_path   = "${path.module}/src"

  attach_policies    = true
  number_of_policies = 1
  policies           = [aws_iam_policy.reads.arn]

  attach_policy_statements = true
  policy_statements        = var.statements

  role_permissions_boundary = aws_iam_policy.boundary.arn
  environment_variables = {
    TABLE_NAME = "orders"
  }
}
"""


def test_the_registry_module_policies_of_the_project_its_boundary_and_unset_statements(tmp_path):
    body = one(diff(terraform(tmp_path, REGISTRY)))
    # The project's aws_iam_policy is read through the module's policies; the boundary cuts
    # DynamoDB, which nothing grants anyway: PutItem is missing, not from the boundary alone.
    assert "s3:GetObject" in excess_of(body)
    assert [m["action"] for m in body["missing"]] == ["dynamodb:PutItem"]
    assert any(s.startswith("permissions boundary") for s in body["current"])
    assert any("policy_statements" in u["what"] and "var.statements" in u["what"] for u in unreadable(body))


def test_a_terraform_boundary_refusing_a_needed_permission(tmp_path):
    tf = TF.replace("BOUNDARY_ACTIONS", '"dynamodb:GetItem", "logs:*"')
    [missing] = one(diff(terraform(tmp_path, tf)))["missing"]
    assert missing["action"] == "dynamodb:PutItem" and "permissions boundary" in missing["outcome"]


def test_a_terraform_policy_iam_would_reject_is_an_input_error(tmp_path):
    tf = TF.replace("BOUNDARY_ACTIONS", '"*"').replace('Effect = "Allow", Action = "s3:GetObject"', 'Effect = "Permit", Action = "s3:GetObject"')
    result = diff(terraform(tmp_path, tf))
    assert result.exit_code == 2 and "Permit" in result.stderr and "main.tf:" in result.stderr
    assert "Traceback" not in result.stderr


def test_json_report_shows_the_same_comparison_as_diff(tmp_path):
    root = project(tmp_path, CFN.replace("BOUNDARY_ACTIONS", "dynamodb:GetItem, logs:*"))
    args = ["--no-cache", "--region", "us-east-1", "--account", "111122223333"]
    report = CliRunner().invoke(main, ["generate", str(root), "--format", "json-report", *args])
    assert report.exit_code == 0, report.stderr
    deployment = json.loads(report.stdout)["functions"]["Fn"]["deployment"]
    body = one(diff(root))
    assert [(m["action"], m["resource"]) for m in body["missing"]] == [
        (m["action"], m["resource"]) for m in deployment["needed_but_not_declared"]
    ]
    assert deployment["permissions_boundary"] == "permissions boundary Boundary"
    assert any("ExternalPolicy" in u for u in deployment["not_compared"])


def test_a_malformed_sam_inline_statement_or_serverless_statement_is_an_input_error(tmp_path):
    sam = SAM.replace(
        "        - !Ref Extra\n",
        "        - !Ref Extra\n        - Statement:\n            - Effect: Allow\n              NotAction: s3:GetObject\n"
        "              Action: s3:PutObject\n              Resource: '*'\n",
    )
    (tmp_path / "sam").mkdir()
    result = diff(project(tmp_path / "sam", sam))
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    line = sam.splitlines().index("            - Effect: Allow") + 1
    assert f"template.yaml:{line}: Inline2 Statement[0]" in result.stderr, result.stderr
    (tmp_path / "sls").mkdir()
    sls = serverless(tmp_path / "sls", "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess")
    text = (sls / "serverless.yml").read_text().replace("Effect: Allow", "Effect: allow")
    (sls / "serverless.yml").write_text(text)
    result = diff(sls)
    line = text.splitlines().index("        - Effect: allow") + 1
    assert result.exit_code == 2 and f"serverless.yml:{line}: the role's statements: Statement[0]" in result.stderr
    assert '"allow"' in result.stderr and "Traceback" not in result.stderr
