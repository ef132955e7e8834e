"""The current policy of a deployed role, read through boto3 (moto's IAM): inline and attached
customer managed policies, the default version of each, the permissions boundary applied
(identity policies ∩ boundary), and `check --current-role` as the CI gate against the role."""

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
def aws_managed_policies(monkeypatch):
    """moto's IAM with the AWS managed policies in it, attachable as in a real account (slower:
    asked for before ``iam`` by the tests that need it)."""
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")


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
    assert actions == [("dynamodb:*",), ("s3:Get*",)] and not current.unreadable


def boundary(iam, document: str, versions: tuple[str, ...] = ()) -> str:
    arn = iam.create_policy(PolicyName="boundary", PolicyDocument=document)["Policy"]["Arn"]
    for later in versions:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=later, SetAsDefault=True)
    iam.put_role_permissions_boundary(RoleName="orders-fn", PermissionsBoundary=arn)
    return arn


def test_boundary_is_read_at_its_default_version_and_applied(iam):
    arn = boundary(iam, doc("s3:*"), versions=(doc("dynamodb:PutItem"), doc("dynamodb:GetItem")))
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v2")
    current = read_role("orders-fn")
    assert current.sources[-1] == f"permissions boundary {arn} (v2)" and not current.unreadable
    [document] = current.boundary or ()
    assert [s.actions for s in document.statements] == [("dynamodb:PutItem",)]


def diff_json(tmp_path, *extra: str) -> tuple[int, dict, str]:
    (tmp_path / "app.py").write_text(HANDLER)
    result = CliRunner().invoke(
        main, ["diff", str(tmp_path), "--current-role", "orders-fn", "--format", "json", "--no-cache", *extra]
    )
    body = json.loads(result.stdout)["functions"] if result.exit_code == 0 else {}
    return result.exit_code, next(iter(body.values()), {}), result.stderr


def test_a_permission_the_boundary_refuses_is_missing_and_says_so(iam, tmp_path):
    boundary(iam, doc("s3:Get*"))  # the role grants dynamodb:*, its boundary none of it
    code, body, stderr = diff_json(tmp_path)
    assert code == 0, stderr
    [missing] = body["missing"]
    assert missing["action"] == "dynamodb:PutItem"
    assert missing["outcome"] == "allowed by the role's policies but not by its permissions boundary"
    # Nothing of DynamoDB is effectively granted: not excess either; s3:Get* is, within the boundary.
    excess = {a for group in body["excess"] for a in group["actions"]}
    assert "dynamodb:DeleteTable" not in excess and "s3:GetObject" in excess
    assert body["widened"] == []


def test_a_boundary_narrows_the_widened_grant(iam, tmp_path):
    table = "arn:aws:dynamodb:*:*:table/orders"
    boundary(iam, doc("dynamodb:PutItem", table))
    code, body, stderr = diff_json(tmp_path, "--region", "us-east-1", "--account", "123456789012")
    assert code == 0, stderr
    assert body["missing"] == [] or body["missing"][0]["outcome"].startswith("allowed by the role")
    excess = {a for group in body["excess"] for a in group["actions"]}
    assert not any(a.startswith("dynamodb:") for a in excess) and "s3:GetObject" not in excess


def test_a_boundary_that_does_not_exist_is_an_input_error_naming_it(iam, tmp_path):
    missing_arn = "arn:aws:iam::123456789012:policy/no-such-boundary"
    iam.put_role_permissions_boundary(RoleName="orders-fn", PermissionsBoundary=missing_arn)
    with pytest.raises(
        PolicyError, match=r"role orders-fn: cannot read its permissions boundary .*no-such-boundary"
    ):
        read_role("orders-fn")
    code, _, stderr = diff_json(tmp_path)
    assert code == 2 and "no-such-boundary" in stderr and "Traceback" not in stderr


def test_check_against_the_live_role(iam, tmp_path):
    (tmp_path / "app.py").write_text(HANDLER)
    run = ["check", str(tmp_path), "--current-role", "orders-fn", "--format", "json", "--no-cache"]
    passed = CliRunner().invoke(main, run)
    assert passed.exit_code == 0, passed.stderr
    assert json.loads(passed.stdout)["functions"][tmp_path.name]["missing"] == []
    boundary(iam, doc("s3:Get*"))
    failed = CliRunner().invoke(main, run)
    assert failed.exit_code == 1, failed.stderr
    [missing] = json.loads(failed.stdout)["functions"][tmp_path.name]["missing"]
    assert missing["action"] == "dynamodb:PutItem"
    text = CliRunner().invoke(main, [*run[:-3], "--no-cache"])
    assert text.exit_code == 1 and "MISSING dynamodb:PutItem" in text.stdout
    assert "permissions boundary" in text.stdout
    nobody = CliRunner().invoke(main, ["check", str(tmp_path), "--current-role", "nobody", "--no-cache"])
    assert nobody.exit_code == 2 and "role nobody" in nobody.stderr


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


def test_an_attached_aws_managed_policy_is_read_from_the_account(aws_managed_policies, iam, tmp_path):
    arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    iam.attach_role_policy(RoleName="orders-fn", PolicyArn=arn)
    current = read_role("orders-fn")
    assert any(s.startswith(arn) for s in current.sources)
    actions = {a for d in current.documents for s in d.statements for a in s.actions}
    assert "logs:PutLogEvents" in actions
    # As the role's boundary, an AWS managed policy is applied the same way.
    iam.put_role_permissions_boundary(RoleName="orders-fn", PermissionsBoundary=arn)
    code, body, stderr = diff_json(tmp_path)
    assert code == 0, stderr
    [missing] = body["missing"]
    assert missing["action"] == "dynamodb:PutItem" and "permissions boundary" in missing["outcome"]
    assert not any(a.startswith(("dynamodb:", "s3:")) for group in body["excess"] for a in group["actions"])


def test_a_role_given_by_its_arn(iam):
    arn = iam.get_role(RoleName="orders-fn")["Role"]["Arn"]
    assert read_role(arn).sources == read_role("orders-fn").sources
    assert read_role("arn:aws:iam::123456789012:role/service/orders-fn").sources[0].startswith("role orders-fn")


def test_a_boundary_file_bounds_a_live_role_without_one_and_is_refused_for_one_with(iam, tmp_path):
    bound = tmp_path / "boundary.json"
    bound.write_text(doc("s3:Get*"))
    code, body, stderr = diff_json(tmp_path, "--boundary", str(bound))
    assert code == 0, stderr
    assert body["current"][-1] == f"permissions boundary {bound}"
    assert body["missing"][0]["outcome"] == "allowed by the role's policies but not by its permissions boundary"
    arn = boundary(iam, doc("dynamodb:PutItem"))
    code, _, stderr = diff_json(tmp_path, "--boundary", str(bound))
    assert code == 2 and f"{bound}: the role has its permissions boundary (permissions boundary {arn} (v1))" in stderr
