"""AWS managed policies from the project's own data: lookup by name, path or ARN; unknown is
reported, never empty; and the data is what the script builds from the snapshot."""

from __future__ import annotations

import gzip
import json

import pytest

from golden import ROOT
from policygen.policy import View, grants_at_least, is_allowed, parse_policy
from policygen.policy.managed import ManagedPolicy, UnknownManagedPolicy, lookup

BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


@pytest.mark.parametrize(
    "reference",
    ["AWSLambdaBasicExecutionRole", "service-role/AWSLambdaBasicExecutionRole", BASIC, f"  {BASIC} "],
)
def test_lookup_by_name_path_or_arn(reference: str):
    policy = lookup(reference)
    assert isinstance(policy, ManagedPolicy)
    assert policy.arn == BASIC and not policy.deprecated
    log_group = "arn:aws:logs:us-east-1:111122223333:log-group:/aws/lambda/fn:*"
    assert is_allowed(policy.document, "logs:CreateLogStream", log_group).allowed
    assert not is_allowed(policy.document, "logs:DeleteLogGroup", log_group).allowed


def test_expanded_documents_evaluate_like_the_snapshot():
    admin = lookup("AdministratorAccess")
    assert isinstance(admin, ManagedPolicy)
    basic = lookup("AWSLambdaBasicExecutionRole")
    assert isinstance(basic, ManagedPolicy)
    assert grants_at_least(admin.document, basic.document)
    assert not grants_at_least(basic.document, admin.document)
    read_only = lookup("AmazonS3ReadOnlyAccess")
    assert isinstance(read_only, ManagedPolicy)
    assert is_allowed(read_only.document, "s3:GetObject", "arn:aws:s3:::b/k", View.GUARANTEED).allowed
    assert not is_allowed(read_only.document, "s3:PutObject", "arn:aws:s3:::b/k", View.POSSIBLE).allowed


UNKNOWN = [
    (
        "AWSLambdaBasicExecutionRoleV9",
        "AWSLambdaBasicExecutionRoleV9: not among the 1643 AWS managed policies policygen knows (snapshot 2026-08-22): a newer policy or a typo",
    ),
    (
        "awslambdabasicexecutionrole",
        "awslambdabasicexecutionrole: not among the 1643 AWS managed policies policygen knows (snapshot 2026-08-22): "
        "a newer policy or a typo; did you mean AWSLambdaBasicExecutionRole? (names are case-sensitive)",
    ),
    (
        "arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole",
        f"arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole: no AWS managed policy at that path; did you mean {BASIC}?",
    ),
    (
        "arn:aws:iam::111122223333:policy/team/OrdersAccess",
        "arn:aws:iam::111122223333:policy/team/OrdersAccess: a customer managed policy (account 111122223333), "
        "not an AWS managed one: read it from the project or the account",
    ),
    (
        "arn:aws-cn:iam::aws:policy/AdministratorAccess",
        "arn:aws-cn:iam::aws:policy/AdministratorAccess: policygen knows the aws partition's managed policies only (this ARN is in aws-cn)",
    ),
    (
        "arn:aws:s3:::AdministratorAccess",
        "arn:aws:s3:::AdministratorAccess: not a managed policy ARN (arn:aws:iam::aws:policy/[path/]Name)",
    ),
]


@pytest.mark.parametrize(("reference", "message"), UNKNOWN)
def test_unknown_policies_are_reported_with_the_reason(reference: str, message: str):
    unknown = lookup(reference)
    assert isinstance(unknown, UnknownManagedPolicy)
    assert str(unknown) == message


def test_policies_known_without_their_arn_are_found_by_name():
    data = json.loads(gzip.decompress((ROOT / "mappings" / "managed_policies.json.gz").read_bytes()))
    without = sorted(name for name, raw in data["policies"].items() if raw["arn"] is None)
    assert without, "the snapshot has deprecated policies without ARNs; if none remain, drop this test"
    policy = lookup(without[0])
    assert isinstance(policy, ManagedPolicy) and policy.arn is None


def test_the_data_is_what_the_script_builds_from_the_snapshot():
    snapshot = ROOT.parent / "shared" / "data" / "aws-managed-policies"
    if not snapshot.is_dir():
        pytest.skip("the snapshot is not next to this checkout")
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_managed_policies", ROOT / "scripts" / "build_managed_policies.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    shipped = json.loads(gzip.decompress((ROOT / "mappings" / "managed_policies.json.gz").read_bytes()))
    assert shipped == script.build(snapshot)
    assert shipped["schema"] == 1 and shipped["count"] == len(shipped["policies"]) == 1643
    raw = json.loads((snapshot / "policies" / "AWSLambdaSQSQueueExecutionRole.json").read_text())
    assert shipped["policies"]["AWSLambdaSQSQueueExecutionRole"]["document"] == raw["document"]
    assert parse_policy(raw["document"], "x") == lookup("AWSLambdaSQSQueueExecutionRole").document  # type: ignore[union-attr]


def test_large_managed_policies_compare_by_pattern():
    """ViewOnlyAccess lists hundreds of actions and dozens of API Gateway resource patterns: the
    comparison splits B's union per pattern and prunes decided branches, so it stays exact and
    finishes. ReadOnlyAccess holds conditional grants: in the guaranteed view it doesn't contain
    itself, in the possible view it does."""
    view_only = lookup("ViewOnlyAccess")
    read_only = lookup("ReadOnlyAccess")
    assert isinstance(view_only, ManagedPolicy) and isinstance(read_only, ManagedPolicy)
    assert grants_at_least(view_only.document, view_only.document)
    assert not grants_at_least(read_only.document, read_only.document)
    assert grants_at_least(read_only.document, read_only.document, view_a=View.POSSIBLE)
