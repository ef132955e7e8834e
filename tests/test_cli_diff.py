"""`policygen diff` through the CLI: a function against a policy file, a SAM project against its
declared roles, and bad input (exit 2, the file and position named, nothing on stdout)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from policygen.cli import main

HANDLER = """import os
import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    TABLE.put_item(Item={"id": event["id"]})
"""


def function(tmp_path: Path) -> Path:
    code = tmp_path / "fn"
    code.mkdir(exist_ok=True)
    (code / "app.py").write_text(HANDLER)
    return code


def current(tmp_path: Path, statements: list[dict]) -> Path:
    path = tmp_path / "current.json"
    path.write_text(json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=2))
    return path


def run(*args: str):
    return CliRunner().invoke(main, ["diff", *args, "--no-cache"], catch_exceptions=False)


def test_diff_a_function_against_an_over_broad_policy_file(tmp_path):
    policy = current(
        tmp_path,
        [
            {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
        ],
    )
    result = run(str(function(tmp_path)), "--current", str(policy), "--format", "json")
    assert result.exit_code == 0, result.output
    [(name, body)] = json.loads(result.stdout)["functions"].items()
    assert name == "fn" and body["current"] == [str(policy)]
    assert [w["action"] for w in body["widened"]] == ["dynamodb:PutItem"]
    assert body["widened"][0]["replacement"][0]["Action"] == ["dynamodb:PutItem"]
    levels = [e["access_level"] for e in body["excess"]]
    assert levels[0] == "Permissions management" and "Read" in levels
    assert body["summary"]["missing"] == 0 and body["summary"]["excess_actions"] > 50
    text = run(str(function(tmp_path)), "--current", str(policy))
    assert "WIDENED" in text.stdout and "EXCESS" in text.stdout and "s3:GetObject" in text.stdout


def test_missing_permission_is_reported(tmp_path):
    policy = current(tmp_path, [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}])
    result = run(str(function(tmp_path)), "--current", str(policy))
    assert result.exit_code == 0
    assert "MISSING" in result.stdout and "dynamodb:PutItem" in result.stdout


def test_invalid_json_names_the_file_and_position(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"Version": "2012-10-17",\n "Statement": [}\n')
    result = run(str(function(tmp_path)), "--current", str(bad))
    assert result.exit_code == 2 and result.stdout == ""
    assert f"{bad}:2" in result.stderr and "Traceback" not in result.stderr


def test_unknown_action_is_an_input_error(tmp_path):
    policy = current(tmp_path, [{"Effect": "Allow", "Action": ["s3:GetObjet"], "Resource": "*"}])
    result = run(str(function(tmp_path)), "--current", str(policy))
    assert result.exit_code == 2 and result.stdout == ""
    assert "'s3:GetObjet' matches no action the IAM data knows" in result.stderr
    assert "current.json" in result.stderr


def test_unreadable_policy_file(tmp_path):
    result = run(str(function(tmp_path)), "--current", str(tmp_path / "absent.json"))
    assert result.exit_code == 2 and "absent.json" in result.stderr


def test_code_without_a_deployment_needs_a_current_policy(tmp_path):
    result = run(str(function(tmp_path)))
    assert result.exit_code == 2 and "--current FILE" in result.stderr


def test_sam_project_against_its_declared_roles(tmp_path):
    code = function(tmp_path)
    (tmp_path / "template.yaml").write_text(
        """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::DynamoDB::Table
  PutFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.handler
      Runtime: python3.12
      Environment:
        Variables:
          TABLE_NAME: !Ref Orders
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref Orders
"""
    )
    assert code.is_dir()
    result = run(str(tmp_path), "--format", "json")
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)["functions"]["PutFunction"]
    excess = {a for group in body["excess"] for a in group["actions"]}
    assert {"dynamodb:DeleteItem", "dynamodb:Scan"} <= excess and "dynamodb:PutItem" not in excess
    assert any("AWSLambdaBasicExecutionRole" in s for s in body["current"])
    assert body["summary"]["missing"] == 0


def test_what_sam_adds_to_the_role_by_itself_is_granted(tmp_path):
    """SAM's own statements for the dead-letter queue, EventInvokeConfig destinations and a
    stream event's OnFailure destination are part of the role: sending there is not missing."""
    code = tmp_path / "fn"
    code.mkdir()
    (code / "app.py").write_text("def handler(event, context):\n    return event\n")
    (tmp_path / "template.yaml").write_text(
        """Transform: AWS::Serverless-2016-10-31
Resources:
  Failed:
    Type: AWS::SQS::Queue
  Alerts:
    Type: AWS::SNS::Topic
  Clicks:
    Type: AWS::Kinesis::Stream
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.handler
      Runtime: python3.12
      DeadLetterQueue:
        Type: SQS
        TargetArn: !GetAtt Failed.Arn
      EventInvokeConfig:
        DestinationConfig:
          OnFailure:
            Type: SNS
            Destination: !Ref Alerts
      Events:
        Stream:
          Type: Kinesis
          Properties:
            Stream: !GetAtt Clicks.Arn
            StartingPosition: LATEST
            DestinationConfig:
              OnFailure:
                Type: SNS
                Destination: !Ref Alerts
"""
    )
    result = run(str(tmp_path), "--format", "json")
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)["functions"]["Fn"]
    assert body["missing"] == [] and body["summary"]["missing"] == 0
    assert {w["action"] for w in body["widened"]} <= {
        "kinesis:DescribeStream",
        "kinesis:DescribeStreamSummary",
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:ListShards",
        "kinesis:ListStreams",
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }


# -- colour: on a terminal, never in a pipe or a file, NO_COLOR honoured, --color/--no-color force
ESC = "\x1b["


def _missing_case(tmp_path: Path) -> list[str]:
    policy = current(tmp_path, [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}])
    (tmp_path / "fn").mkdir(exist_ok=True)
    (tmp_path / "fn" / "app.py").write_text(
        HANDLER.replace("put_item", "put_item(Item={})\n    boto3.client('sns').publish")
    )
    return [str(tmp_path / "fn"), "--current", str(policy), "--no-cache"]


def test_text_is_plain_when_not_a_terminal_and_coloured_when_forced(tmp_path):
    args = _missing_case(tmp_path)
    plain = CliRunner().invoke(main, ["diff", *args], color=True)
    assert plain.exit_code == 0 and "MISSING" in plain.stdout and ESC not in plain.stdout
    forced = CliRunner().invoke(main, ["diff", *args, "--color"], color=True)
    assert f"{ESC}31m{ESC}1m  MISSING" in forced.stdout  # red, bold
    assert click.unstyle(forced.stdout) == plain.stdout
    check = CliRunner().invoke(main, ["check", *args, "--color"], color=True)
    assert check.exit_code == 1 and f"{ESC}31m{ESC}1mexit 1: missing" in check.stdout
    for fmt in ("json", "markdown", "sarif"):  # machine formats are never painted
        assert (
            ESC
            not in CliRunner().invoke(main, ["diff", *args, "--format", fmt, "--color"], color=True).stdout
        )


def _on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """Run the CLI with its stdout on a pseudo-terminal, as a user's shell would."""
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "policygen", *args],
            stdout=follower,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **env},
            check=False,
        )
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal is closed once everything is read
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
    assert done.returncode == 0
    return b"".join(chunks).decode()


def test_a_terminal_gets_colour_unless_no_color_is_set(tmp_path):
    args = ["diff", *_missing_case(tmp_path)]
    assert ESC in _on_a_terminal(args, {"NO_COLOR": ""})
    assert ESC not in _on_a_terminal(args, {"NO_COLOR": "1"})
    assert ESC not in _on_a_terminal([*args, "--no-color"], {"NO_COLOR": ""})
