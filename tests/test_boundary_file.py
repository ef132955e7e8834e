"""`diff`/`check --boundary FILE`: a permissions boundary from a policy file, applied as the
evaluator's `Bounded` applies a live role's or a template's (identity policies ∩ boundary, an
explicit Deny in either winning), and bad boundary files named with their position (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from policygen.cli import main
from policygen.gate import read_boundary_file, read_policy_file
from policygen.policy.diff import diff
from policygen.policy.evaluate import Bounded

HANDLER = """import os
import boto3

TABLE = boto3.resource("dynamodb").Table("orders")
S3 = boto3.client("s3")


def handler(event, context):
    TABLE.put_item(Item={"id": event["id"]})
    S3.put_object(Bucket="orders-archive", Key="raw/x.json", Body=b"")
"""
IDENTITY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
    ],
}
# The organisation's boundary: DynamoDB item writes and reads, S3 objects of one bucket, no deletes.
BOUNDARY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["dynamodb:PutItem", "dynamodb:GetItem"], "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:*Object", "Resource": "arn:aws:s3:::orders-archive/*"},
        {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
    ],
}


def setup(tmp_path: Path, boundary: dict | str = BOUNDARY) -> tuple[Path, Path, Path]:
    code = tmp_path / "fn"
    code.mkdir(exist_ok=True)
    (code / "app.py").write_text(HANDLER)
    identity, bound = tmp_path / "identity.json", tmp_path / "boundary.json"
    identity.write_text(json.dumps(IDENTITY, indent=2))
    bound.write_text(boundary if isinstance(boundary, str) else json.dumps(boundary, indent=2))
    return code, identity, bound


def run(*args: str):
    base = ["--no-cache", "--region", "us-east-1", "--account", "111122223333"]
    return CliRunner().invoke(main, [*args, *base])


def excess_of(body: dict) -> set[str]:
    return {a for group in body["excess"] for a in group["actions"]}


def test_the_boundary_file_limits_the_current_policy(tmp_path):
    code, identity, bound = setup(tmp_path)
    unbounded = json.loads(run("diff", str(code), "--current", str(identity), "--format", "json").stdout)
    result = run("diff", str(code), "--current", str(identity), "--boundary", str(bound), "--format", "json")
    assert result.exit_code == 0, result.stderr
    [body] = json.loads(result.stdout)["functions"].values()
    assert body["current"] == [str(identity), f"permissions boundary {bound}"]
    assert body["missing"] == [] and body["unreadable_policies"] == []
    # Only what the boundary lets through is granted: dynamodb:GetItem and the other object actions.
    excess = excess_of(body)
    assert "dynamodb:GetItem" in excess and "s3:GetObject" in excess
    assert not {"dynamodb:DeleteTable", "s3:DeleteObject", "s3:DeleteBucket", "s3:ListBucket"} & excess
    [unbounded_body] = unbounded["functions"].values()
    assert {"dynamodb:DeleteTable", "s3:DeleteObject"} <= excess_of(unbounded_body)
    # The same as the evaluator's Bounded on the same documents.
    from policygen.options import Options
    from policygen.pipeline import generate
    from policygen.regions import check_target

    needed = generate(code, Options(target=check_target("aws", "us-east-1", "111122223333"))).permissions
    direct = diff(Bounded(read_policy_file(identity).documents, read_boundary_file(bound)), needed)
    assert {e.action for e in direct.excess} == {
        a for group in body["excess"] for a in group["actions"]
    } and len(direct.missing) == 0


def test_a_permission_the_boundary_refuses_is_missing_and_check_fails(tmp_path):
    narrow = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "*"}],
    }
    code, identity, bound = setup(tmp_path, narrow)
    result = run("check", str(code), "--current", str(identity), "--boundary", str(bound))
    assert result.exit_code == 1
    assert (
        "MISSING s3:PutObject on arn:aws:s3:::orders-archive/raw/x.json: allowed by the role's policies but not by its permissions boundary"
        in result.stdout
    )


def test_the_boundary_file_replaces_the_one_a_template_names_but_cannot_give(tmp_path):
    _, _, bound = setup(tmp_path)
    (tmp_path / "template.yaml").write_text(
        """Transform: AWS::Serverless-2016-10-31
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
      PermissionsBoundary: arn:aws:iam::111122223333:policy/org-boundary
      Policies:
        - PolicyName: own
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: ["dynamodb:*", "s3:*"]
                Resource: "*"
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.handler
      Role: !GetAtt Role.Arn
"""
    )
    without = json.loads(run("diff", str(tmp_path), "--format", "json").stdout)["functions"]["Fn"]
    assert [u["kind"] for u in without["unreadable_policies"]] == ["permissions-boundary"]
    result = run("diff", str(tmp_path), "--boundary", str(bound), "--format", "json")
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)["functions"]["Fn"]
    assert body["unreadable_policies"] == [] and body["current"][-1] == f"permissions boundary {bound}"
    assert "dynamodb:DeleteTable" in excess_of(without) and "dynamodb:DeleteTable" not in excess_of(body)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"Version": "2012-10-17",\n "Statement": [\n', "boundary.json:3:1: "),
        (
            json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}],
                },
                indent=2,
            ),
            "boundary.json:4: Statement[0]: action 's3:GetObjekt' matches no action",
        ),
        (
            json.dumps([BOUNDARY, BOUNDARY]),
            "boundary.json:1:1: a list of 2 policy documents; a permissions boundary is one",
        ),
        (
            json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:*"}]}),
            "boundary.json:1:16: Statement[0]: no Resource or NotResource",
        ),
    ],
    ids=["invalid-json", "unknown-action", "two-documents", "no-resource"],
)
def test_a_bad_boundary_file_is_exit_2_naming_it(tmp_path, text, message):
    code, identity, bound = setup(tmp_path, text)
    for command in ("diff", "check"):
        result = run(command, str(code), "--current", str(identity), "--boundary", str(bound))
        assert result.exit_code == 2 and result.stdout == "", (command, result.output)
        assert message in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_a_missing_boundary_file_is_exit_2(tmp_path):
    code, identity, _ = setup(tmp_path)
    result = run("check", str(code), "--current", str(identity), "--boundary", str(tmp_path / "nope.json"))
    assert result.exit_code == 2 and "nope.json" in result.stderr and result.stdout == ""
