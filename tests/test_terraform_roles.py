"""The policies a Terraform role has, as the diff reads them: each statement located at the file
and line that writes it (an item of a ``jsonencode`` ``Statement`` list, of a JSON heredoc, a
``statement`` block of an ``aws_iam_policy_document``), so SARIF points at the statement and not
at the function; roles declared with ``count``/``for_each``, one per instance, and what can't be
expanded reported as an incomplete comparison, never read as an empty policy."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from policygen.cli import main
from policygen.deploy.terraform import positions

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-2.1.0.json").read_text())
HANDLER = """import os
import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    TABLE.put_item(Item={"id": event["id"]})
"""

ROLE = """
resource "aws_dynamodb_table" "orders" {
  name     = "orders"
  hash_key = "id"
}

resource "aws_iam_role" "fn" {
  name = "orders-fn"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
  inline_policy {
    name   = "first"
    policy = jsonencode({ Statement = { Effect = "Allow", Action = "sns:Publish", Resource = "*" } })
  }
  inline_policy {
    name   = "heredoc"
    policy = <<-EOF
      {
        "Version": "2012-10-17",
        "Statement": [
          {
            "Effect": "Allow",
            "Action": "kinesis:PutRecord",
            "Resource": "*"
          },
          {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}
        ]
      }
    EOF
  }
}

resource "aws_iam_role_policy" "table" {
  name = "table"
  role = aws_iam_role.fn.id
  # a comment with { braces ] and "Statement" in it
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["dynamodb:PutItem"]
        Resource = aws_dynamodb_table.orders.arn
      },
      { Effect = "Allow", Action = "dynamodb:DeleteTable", Resource = "${aws_dynamodb_table.orders.arn}" },
    ]
  })
}

resource "aws_iam_policy" "reads" {
  name   = "reads"
  policy = data.aws_iam_policy_document.reads.json
}

resource "aws_iam_role_policy_attachment" "reads" {
  role       = aws_iam_role.fn.name
  policy_arn = aws_iam_policy.reads.arn
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

DOCUMENTS = """
data "aws_iam_policy_document" "reads" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::b/*"]
  }

  statement {
    sid       = "Logs"
    actions   = ["ssm:GetParameter"]
    resources = ["*"]
  }
}
"""


def project(root: Path, files: dict[str, str], handler: str = HANDLER) -> Path:
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src" / "app.py").write_text(handler)
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text))
    return root


def diff(path: Path, *extra: str):
    args = ["diff", str(path), "--no-cache", "--region", "us-east-1", "--account", "111122223333"]
    return CliRunner().invoke(main, [*args, *extra])


def line_of(root: Path, name: str, needle: str) -> int:
    [line] = [i for i, text in enumerate((root / name).read_text().splitlines(), 1) if needle in text]
    return line


def excess_statements(root: Path) -> dict[str, str]:
    result = diff(root, "--format", "json")
    assert result.exit_code == 0, result.stderr
    [body] = json.loads(result.stdout)["functions"].values()
    return {a: group["statement"] for group in body["excess"] for a in group["actions"]}


def test_each_terraform_statement_is_located_at_its_own_line(tmp_path):
    root = project(tmp_path, {"main.tf": ROLE, "policies.tf": DOCUMENTS})
    where = excess_statements(root)
    at = lambda name, needle: line_of(root, name, needle)  # noqa: E731
    assert where["sns:Publish"] == f"main.tf:{at('main.tf', 'sns:Publish')} aws_iam_role.fn inline_policy Statement[0]"
    # the heredoc's first statement starts on the line of its "{", the second is one line
    assert where["kinesis:PutRecord"] == f"main.tf:{at('main.tf', 'kinesis:PutRecord') - 2} aws_iam_role.fn inline_policy Statement[0]"
    assert where["sqs:SendMessage"] == f"main.tf:{at('main.tf', 'sqs:SendMessage')} aws_iam_role.fn inline_policy Statement[1]"
    assert where["dynamodb:DeleteTable"] == f"main.tf:{at('main.tf', 'dynamodb:DeleteTable')} aws_iam_role_policy.table Statement[1]"
    # a data document in another file: its statement blocks there
    assert where["s3:GetObject"] == f"policies.tf:{at('policies.tf', 'sid') - 6} aws_iam_policy.reads Statement[0]"
    assert where["ssm:GetParameter"] == f"policies.tf:{at('policies.tf', 'sid') - 1} aws_iam_policy.reads Statement[1]"


def test_sarif_locates_terraform_findings_at_the_statement(tmp_path, monkeypatch):
    root = project(tmp_path / "infra", {"main.tf": ROLE, "policies.tf": DOCUMENTS})
    monkeypatch.chdir(tmp_path)
    result = diff(Path("infra"), "--format", "sarif")
    assert result.exit_code == 0, result.stderr
    log = json.loads(result.stdout)
    jsonschema.validate(log, SCHEMA)
    located = {
        (r["ruleId"], loc["physicalLocation"]["artifactLocation"]["uri"], loc["physicalLocation"]["region"]["startLine"])
        for r in log["runs"][0]["results"]
        for loc in r["locations"]
    }
    excess = {(uri, line) for rule, uri, line in located if rule == "excess-grant"}
    assert ("infra/main.tf", line_of(root, "main.tf", "dynamodb:DeleteTable")) in excess
    assert ("infra/main.tf", line_of(root, "main.tf", "sns:Publish")) in excess
    assert ("infra/policies.tf", line_of(root, "policies.tf", "sid") - 1) in excess
    function_line = line_of(root, "main.tf", 'resource "aws_lambda_function" "put"')
    assert ("infra/main.tf", function_line) not in excess


def test_a_statement_list_built_by_an_expression_is_placed_at_its_argument():
    text = textwrap.dedent(
        """
        resource "aws_iam_role_policy" "p" {
          role   = aws_iam_role.fn.id
          policy = jsonencode({
            Statement = concat(local.base, [{ Effect = "Allow" }])
          })
        }
        """
    )
    written = positions.policy_argument(text, 2, "policy")
    assert written.line == 4 and written.statements is None


def test_strings_comments_and_heredocs_do_not_confuse_the_scanner():
    text = textwrap.dedent(
        """
        resource "aws_iam_policy" "p" {
          description = "a } brace and ${jsonencode({ a = "}" })}"
          /* policy = { Statement = [{}] } */
          other = <<EOT
        { "Statement": [ {
        EOT
          policy = jsonencode({
            Statement = [
              { Effect = "Allow" },  # }
              { Effect = "Deny" },
            ]
          })
        }
        """
    )
    written = positions.policy_argument(text, 2, "policy")
    assert written == positions.Written(8, (10, 11))


SEND = """import os
import boto3


def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody="x")
"""

PER_TENANT = """
locals {
  tenants = { acme = "pro", globex = "free" }
}

resource "aws_sqs_queue" "usage" {
  for_each = local.tenants
  name     = "usage-${each.key}"
}

resource "aws_iam_role" "meter" {
  for_each = local.tenants
  name     = "meter-${each.key}"
  inline_policy {
    name   = "logs"
    policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "logs:*", Resource = "*" }] })
  }
}

resource "aws_iam_role_policy" "queue" {
  for_each = local.tenants
  role     = aws_iam_role.meter[each.key].id
  policy = jsonencode({
    Statement = [
      { Effect = "Allow", Action = "sqs:SendMessage", Resource = aws_sqs_queue.usage[each.key].arn },
    ]
  })
}

resource "aws_iam_policy" "purge" {
  count  = 2
  policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "sqs:PurgeQueue", Resource = "arn:aws:sqs:*:*:usage-${count.index}" }] })
}

resource "aws_iam_role_policy_attachment" "purge" {
  role       = aws_iam_role.meter["acme"].name
  policy_arn = aws_iam_policy.purge[1].arn
}

data "archive_file" "meter" {
  type        = "zip"
  source_dir  = "${path.module}/src"
  output_path = "${path.module}/build/meter.zip"
}

resource "aws_lambda_function" "meter" {
  for_each      = local.tenants
  function_name = "meter-${each.key}"
  role          = aws_iam_role.meter[each.key].arn
  handler       = "app.handler"
  runtime       = "python3.12"
  filename      = data.archive_file.meter.output_path
  environment {
    variables = {
      QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/111122223333/usage-${each.key}"
    }
  }
}
"""


def functions(root: Path) -> dict[str, dict]:
    result = diff(root, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["functions"]


def test_a_role_with_for_each_is_read_per_instance_with_its_attachments(tmp_path):
    project(tmp_path, {"main.tf": PER_TENANT}, SEND)
    found = functions(tmp_path)
    acme, globex = found['aws_lambda_function.meter["acme"]'], found['aws_lambda_function.meter["globex"]']
    for body in (acme, globex):
        # each instance's own aws_iam_role_policy instance grants its queue: nothing missing
        assert body["missing"] == [] and body["unreadable_policies"] == []
    # the purge policy instance [1] is attached to acme's role only
    excess = lambda body: {a for g in body["excess"] for a in g["actions"]}  # noqa: E731
    assert "sqs:PurgeQueue" in excess(acme) and "sqs:PurgeQueue" not in excess(globex)
    statements = {g["statement"] for g in acme["excess"]}
    assert any('aws_iam_policy.purge[1] Statement[0]' in s for s in statements), statements
    assert any('aws_iam_role.meter["acme"] inline_policy' in s for s in statements), statements


UNCOUNTABLE = PER_TENANT.replace(
    'locals {\n  tenants = { acme = "pro", globex = "free" }\n}',
    'variable "shards" {\n  type = number\n}\n\nlocals {\n  tenants = { acme = "pro", globex = "free" }\n}',
).replace(
    'resource "aws_iam_role_policy_attachment" "purge" {\n  role ',
    'resource "aws_iam_role_policy_attachment" "purge" {\n  count      = var.shards\n  role ',
)


def test_an_attachment_whose_instances_cannot_be_counted_makes_the_comparison_incomplete(tmp_path):
    project(tmp_path, {"main.tf": UNCOUNTABLE}, SEND)
    found = functions(tmp_path)
    line = line_of(tmp_path, "main.tf", 'resource "aws_iam_role_policy_attachment" "purge"')
    for body in found.values():
        [unreadable] = body["unreadable_policies"]
        unknown = unreadable["what"]
        assert unreadable["kind"] == "deployment-policy"
        assert f"aws_iam_role_policy_attachment.purge (main.tf:{line})" in unknown and "var.shards" in unknown
    text = diff(tmp_path)
    assert "the comparison is incomplete" in text.stdout


def test_a_role_whose_instances_cannot_be_counted_is_not_read_as_empty(tmp_path):
    tf = PER_TENANT.replace(
        'resource "aws_iam_role" "meter" {\n  for_each = local.tenants',
        'variable "roles" {\n  type = map(string)\n}\n\nresource "aws_iam_role" "meter" {\n  for_each = var.roles',
    )
    project(tmp_path, {"main.tf": tf}, SEND)
    found = functions(tmp_path)
    line = line_of(tmp_path, "main.tf", 'resource "aws_iam_role" "meter"')
    for body in found.values():
        assert any(f"aws_iam_role.meter (main.tf:{line})" in u["what"] and "var.roles" in u["what"] for u in body["unreadable_policies"])
    # what is missing is reported as from an incomplete comparison, never from an empty role
    assert "the comparison is incomplete" in diff(tmp_path).stdout


def test_an_event_source_mapping_whose_instances_cannot_be_counted_is_said(tmp_path):
    tf = PER_TENANT + """
variable "queues" {
  type = map(string)
}

resource "aws_lambda_event_source_mapping" "usage" {
  for_each         = var.queues
  event_source_arn = each.value
  function_name    = aws_lambda_function.meter[each.key].arn
}
"""
    project(tmp_path, {"main.tf": tf}, SEND)
    args = ["generate", str(tmp_path), "--format", "json-report", "--no-cache", "--region", "us-east-1"]
    result = CliRunner().invoke(main, [*args, "--account", "111122223333"])
    assert result.exit_code == 0, result.stderr
    line = line_of(tmp_path, "main.tf", 'resource "aws_lambda_event_source_mapping" "usage"')
    for body in json.loads(result.stdout)["functions"].values():
        notes = body["deployment"]["notes"]
        assert any(f"main.tf:{line}: aws_lambda_event_source_mapping.usage" in n and "var.queues" in n for n in notes)
