"""The current policy of a deployed role, read through boto3 (moto's IAM): inline and attached
customer managed policies, the default version of each, a boundary named as not applied."""

from __future__ import annotations

import json

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws

from policygen.cli import main
from policygen.errors import PolicyError
from policygen.live import read_role

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
HANDLER = """import os
import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    TABLE.put_item(Item={"id": event["id"]})
"""


def doc(action: str, resource: str = "*") -> str:
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}
    )


@pytest.fixture
def iam(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("iam")
        client.create_role(RoleName="orders-fn", AssumeRolePolicyDocument=json.dumps(TRUST))
        client.put_role_policy(RoleName="orders-fn", PolicyName="table", PolicyDocument=doc("dynamodb:*"))
        arn = client.create_policy(PolicyName="reads", PolicyDocument=doc("s3:GetObject"))["Policy"]["Arn"]
        client.create_policy_version(PolicyArn=arn, PolicyDocument=doc("s3:Get*"), SetAsDefault=True)
        client.attach_role_policy(RoleName="orders-fn", PolicyArn=arn)
        yield client


def test_inline_and_attached_default_version(iam):
    current = read_role("orders-fn")
    assert current.sources == (
        "role orders-fn inline policy table",
        "arn:aws:iam::123456789012:policy/reads (v2)",
    )
    actions = [s.actions for d in current.documents for s in d.statements]
    assert actions == [("dynamodb:*",), ("s3:Get*",)] and not current.unknown


def test_boundary_is_named_not_applied(iam):
    boundary = iam.create_policy(PolicyName="boundary", PolicyDocument=doc("dynamodb:*"))["Policy"]["Arn"]
    iam.put_role_permissions_boundary(RoleName="orders-fn", PermissionsBoundary=boundary)
    [note] = read_role("orders-fn").unknown
    assert boundary in note and "not applied" in note


def test_unknown_role_is_an_error_naming_it(iam):
    with pytest.raises(PolicyError, match="role nobody: cannot read"):
        read_role("nobody")


def test_diff_against_the_live_role(iam, tmp_path):
    (tmp_path / "app.py").write_text(HANDLER)
    result = CliRunner().invoke(
        main, ["diff", str(tmp_path), "--current-role", "orders-fn", "--format", "json", "--no-cache"]
    )
    assert result.exit_code == 0, result.stderr
    body = next(iter(json.loads(result.stdout)["functions"].values()))
    excess = {a for group in body["excess"] for a in group["actions"]}
    assert "dynamodb:DeleteTable" in excess and "s3:GetObject" in excess
    assert [w["action"] for w in body["widened"]] == ["dynamodb:PutItem"]
