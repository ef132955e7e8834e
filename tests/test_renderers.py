"""Paste-ready output: Terraform parses with python-hcl2 and says what the JSON says,
CloudFormation/SAM pass cfn-lint inside a minimal template, the JSON passes parliament, and
policies over IAM's size limits are split without widening."""

from __future__ import annotations

import json
from pathlib import Path

import cfnlint.api
import hcl2
import pytest
import yaml
from parliament import analyze_policy_string

from golden import SINGLE
from policygen.fit import LIMITS, PolicyKind, fit, size
from policygen.model import Action, Arn, Condition, Policy, Statement
from policygen.render import json_policy, terraform


def unquote(value):
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, list):
        return [unquote(v) for v in value]
    if isinstance(value, dict):
        return {unquote(k): unquote(v) for k, v in value.items() if k != "__is_block__"}
    return value


def expected_statements(example: Path) -> list[dict]:
    return json.loads((example / "expected" / "policy.json").read_text())["Statement"]


@pytest.mark.parametrize("example", SINGLE, ids=lambda p: p.name)
def test_terraform_policy_document_round_trips(example):
    parsed = unquote(hcl2.loads((example / "expected" / "policy.tf").read_text()))
    [document] = [d for block in parsed["data"] for d in block["aws_iam_policy_document"].values()]
    statements = document["statement"]
    assert len(statements) == len(expected_statements(example))
    for hcl, js in zip(statements, expected_statements(example), strict=True):
        assert hcl["sid"] == js["Sid"]
        assert hcl["actions"] == js["Action"]
        assert hcl["resources"] == js["Resource"]
        conditions = {(c["test"], c["variable"]): c["values"] for c in hcl.get("condition", [])}
        assert conditions == {
            (op, k): v for op, keys in js.get("Condition", {}).items() for k, v in keys.items()
        }
    [role_policy] = [r for block in parsed["resource"] for r in block["aws_iam_role_policy"].values()]
    assert role_policy["policy"].endswith(".json}")


@pytest.mark.parametrize("example", SINGLE, ids=lambda p: p.name)
def test_terraform_jsonencode_parses(example):
    text = (example / "expected" / "policy-jsonencode.tf").read_text()
    parsed = hcl2.loads(text)
    assert parsed["resource"], text
    body = text.split("jsonencode(", 1)[1].rsplit(")", 1)[0]
    value = unquote(hcl2.loads(f"x = {body}\n")["x"])
    assert value["Statement"] == expected_statements(example)


def test_hcl_escapes_template_sequences():
    assert (
        terraform.hcl_string('arn:aws:s3:::b/${aws:username}/"x"')
        == '"arn:aws:s3:::b/$${aws:username}/\\"x\\""'
    )
    assert hcl2.loads('x = "a$${b}"\n')


def _lint(template: dict) -> list[str]:
    matches = cfnlint.api.lint(yaml.safe_dump(template), config=cfnlint.api.ManualArgs(regions=["us-east-1"]))
    return [f"{m.rule.id}: {m.message}" for m in matches if m.rule.severity == "error"]


ROLE = {
    "Type": "AWS::IAM::Role",
    "Properties": {
        "AssumeRolePolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    },
}


@pytest.mark.parametrize("example", SINGLE, ids=lambda p: p.name)
def test_cloudformation_snippet_passes_cfn_lint(example):
    snippet = yaml.safe_load((example / "expected" / "cloudformation.yaml").read_text())
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {"FunctionRole": ROLE, **snippet["Resources"]},
    }
    assert _lint(template) == []


@pytest.mark.parametrize("example", SINGLE, ids=lambda p: p.name)
def test_sam_policies_pass_cfn_lint(example):
    snippet = yaml.safe_load((example / "expected" / "sam.yaml").read_text())
    function = {
        "Type": "AWS::Serverless::Function",
        "Properties": {"Runtime": "python3.12", "Handler": "app.handler", "CodeUri": ".", **snippet},
    }
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {"Fn": function},
    }
    assert _lint(template) == []


@pytest.mark.parametrize("example", SINGLE, ids=lambda p: p.name)
def test_json_passes_parliament(example):
    findings = analyze_policy_string((example / "expected" / "policy.json").read_text()).findings
    assert [f"{f.issue}: {f.detail}" for f in findings] == []


def _big_policy(n: int) -> Policy:
    statements = []
    for i in range(n):
        statements.append(
            Statement(
                f"S{i}",
                (Action("s3:GetObject"), Action("s3:PutObject")) if i % 2 else (Action("dynamodb:GetItem"),),
                tuple(Arn(f"arn:aws:s3:::bucket-{i}-{j}/prefix/{j}/*") for j in range(3))
                if i % 2
                else (Arn(f"arn:aws:dynamodb:us-east-1:123456789012:table/table-{i}"),),
                (Condition("StringEquals", "aws:ResourceAccount", ("123456789012",)),) if i % 5 == 0 else (),
            )
        )
    return Policy(tuple(statements))


def _pairs(policies) -> set[tuple[str, str, tuple]]:
    return {
        (a, r, s.conditions) for p in policies for s in p.statements for a in s.actions for r in s.resources
    }


@pytest.mark.parametrize("kind", list(PolicyKind))
def test_limits_split_without_widening(kind):
    policy = _big_policy(400)
    assert size(json_policy.policy_document(policy)) > LIMITS[kind]
    fitted = fit(policy, kind)
    assert len(fitted.documents) > 1
    for document in fitted.documents:
        assert size(json_policy.policy_document(document)) <= LIMITS[kind]
    assert _pairs(fitted.documents) == _pairs([policy])
    assert all(r.endswith("/*") or "table/" in r for _, r, _ in _pairs(fitted.documents))
    assert any("split into" in note for note in fitted.notes)


def test_small_policy_is_untouched():
    policy = _big_policy(3)
    assert fit(policy).documents == (policy,)
    assert fit(policy).notes == ()


def test_generated_function_with_hundreds_of_resources_is_split(tmp_path):
    from click.testing import CliRunner

    from policygen.cli import main

    calls = "\n".join(f'    ddb.get_item(TableName="table-{i:03d}", Key={{}})' for i in range(400))
    (tmp_path / "app.py").write_text(
        f'import boto3\nddb = boto3.client("dynamodb")\ndef handler(e, c):\n{calls}\n'
    )
    result = CliRunner().invoke(
        main,
        ["generate", str(tmp_path), "--policy-type", "managed", "--no-cache", "--account", "123456789012"],
    )
    assert result.exit_code == 0, result.output
    documents = json.loads(result.stdout)
    assert isinstance(documents, list) and len(documents) > 1
    assert all(size(d) <= LIMITS[PolicyKind.MANAGED] for d in documents)
    resources = sorted(r for d in documents for s in d["Statement"] for r in s["Resource"])
    assert resources == sorted(f"arn:aws:dynamodb:*:123456789012:table/table-{i:03d}" for i in range(400))
    assert "split into" in result.stderr
