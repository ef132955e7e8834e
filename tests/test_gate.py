"""The CI gate: baseline update / check, the exit-code bitmask, bad baselines, and a brute-force
property test of "new privilege"."""

from __future__ import annotations

import itertools
import json
import sys
from dataclasses import replace
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from policygen.cli import main
from policygen.gate import BASELINE_FILE, Exit, new_privilege
from policygen.model import Condition
from policygen.policy.document import Effect, PolicyDocument, PolicyStatement
from policygen.policy.evaluate import View, is_allowed

sys.path.insert(0, str(Path(__file__).parent))
from test_policy_evaluate import CATALOG, brute_allowed, statements

PUT = """import os
import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    TABLE.put_item(Item={"id": event["id"]})
"""
DELETE = PUT + "    TABLE.delete_item(Key={'id': event['id']})\n"


def invoke(*args: str):
    return CliRunner().invoke(main, [*args, "--no-cache"], catch_exceptions=False)


def function(tmp_path: Path, source: str = PUT) -> Path:
    code = tmp_path / "fn"
    code.mkdir(exist_ok=True)
    (code / "app.py").write_text(source)
    return code


def test_baseline_then_check_passes_and_new_privilege_exits_4(tmp_path):
    code, out = function(tmp_path), tmp_path / ".policygen"
    assert invoke("baseline", "update", str(code), "--out", str(out)).exit_code == 0
    written = json.loads((out / BASELINE_FILE).read_text())
    assert written["schema"] == 1 and written["functions"]["fn"]["Statement"][0]["Action"] == [
        "dynamodb:PutItem"
    ]
    passed = invoke("check", str(code), "--baseline", str(out))
    assert passed.exit_code == 0 and "no new privilege" in passed.stdout
    function(tmp_path, DELETE)
    failed = invoke("check", str(code), "--baseline", str(out), "--format", "json")
    assert failed.exit_code == Exit.NEW_PRIVILEGE == 4
    body = json.loads(failed.stdout)
    assert body["exit"] == 4 and body["functions"]["fn"]["new_privilege"]["action"] == "dynamodb:DeleteItem"
    # What to review: the synthesized grant (its resource pattern) and the code that needs it.
    assert body["functions"]["fn"]["new_privilege"]["needed_at"] == ["app.py:9:5"]
    assert len(body["functions"]["fn"]["new_privilege"]["needed_on"]) == 1
    # Approving it (updating the baseline) makes the gate pass again.
    assert invoke("baseline", "update", str(code), "--out", str(out)).exit_code == 0
    assert invoke("check", str(code), "--baseline", str(out)).exit_code == 0


def test_missing_and_excess_bits_combine(tmp_path):
    code = function(tmp_path, DELETE)
    current = tmp_path / "current.json"
    current.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "*"},
                    {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"},
                ],
            }
        )
    )
    result = invoke("check", str(code), "--current", str(current), "--max-excess", "3")
    assert result.exit_code == Exit.MISSING | Exit.EXCESS == 9
    assert "MISSING dynamodb:DeleteItem" in result.stdout and "over --max-excess" in result.stdout
    assert invoke("check", str(code), "--current", str(current)).exit_code == Exit.MISSING


def test_bad_baselines_exit_2_naming_the_file(tmp_path):
    code, out = function(tmp_path), tmp_path / ".policygen"
    out.mkdir()
    missing = invoke("check", str(code), "--baseline", str(out))
    assert missing.exit_code == 2 and "baseline update" in missing.stderr and missing.stdout == ""
    (out / BASELINE_FILE).write_text('{"schema": 1,\n "functions": }')
    broken = invoke("check", str(code), "--baseline", str(out))
    assert broken.exit_code == 2 and f"{out / BASELINE_FILE}:2:" in broken.stderr
    (out / BASELINE_FILE).write_text(json.dumps({"schema": 2, "policygen": "9.0", "functions": {}}))
    newer = invoke("check", str(code), "--baseline", str(out))
    assert newer.exit_code == 2
    assert (
        "baseline schema 2 was written by a newer policygen (9.0)" in newer.stderr
        and "upgrade" in newer.stderr
    )


def test_nothing_to_check_against_is_an_input_error(tmp_path):
    result = invoke("check", str(function(tmp_path)))
    assert result.exit_code == 2 and "--baseline DIR" in result.stderr


# Conditions as the gate reads them: each distinct (operator, key, values) is a proposition of its
# own; a statement applies in a world where all of its conditions hold. "No new privilege" must
# hold exactly when, in every world, each pair the synthesized policy allows was allowed before.
MFA = Condition("Bool", "aws:MultiFactorAuthPresent", ("true",))
NO_MFA = Condition("Bool", "aws:MultiFactorAuthPresent", ("false",))  # same key, another value
VPC = Condition("StringEquals", "aws:SourceVpc", ("vpc-1",))
CONDITION_SETS: list[tuple[Condition, ...]] = [(), (), (MFA,), (NO_MFA,), (VPC,), (MFA, VPC)]
conditioned = st.builds(lambda s, c: replace(s, conditions=c), statements, st.sampled_from(CONDITION_SETS))
policies = st.lists(conditioned, min_size=1, max_size=3).map(lambda s: PolicyDocument(tuple(s)))


def _loosened(document: PolicyDocument, index: int, conditions: tuple[Condition, ...]) -> PolicyDocument:
    """The same policy with one statement's conditions changed (a condition-only change)."""
    listed = list(document.statements)
    listed[index % len(listed)] = replace(listed[index % len(listed)], conditions=conditions)
    return PolicyDocument(tuple(listed))


pairs = st.one_of(
    st.tuples(policies, policies),
    st.builds(lambda b, more: (PolicyDocument(b.statements + more.statements), b), policies, policies),
    st.builds(lambda a, n: (a, PolicyDocument(a.statements[:n])), policies, st.integers(1, 2)),
    st.builds(
        lambda a, i, c: (a, _loosened(a, i, c)), policies, st.integers(0, 2), st.sampled_from(CONDITION_SETS)
    ),
)


def _same(condition: Condition) -> Condition:
    return Condition(condition.operator, condition.key.lower(), condition.values)  # keys: any case


def _world(document: PolicyDocument, world: frozenset[Condition]) -> PolicyDocument:
    world = frozenset(map(_same, world))
    return PolicyDocument(
        tuple(
            replace(s, conditions=()) for s in document.statements if set(map(_same, s.conditions)) <= world
        )
    )


def brute_new_privilege(baseline: PolicyDocument, synthesized: PolicyDocument) -> set[tuple[str, str]]:
    atoms = sorted({c for d in (baseline, synthesized) for s in d.statements for c in s.conditions}, key=repr)
    new: set[tuple[str, str]] = set()
    for size in range(len(atoms) + 1):
        for chosen in itertools.combinations(atoms, size):
            world = frozenset(chosen)
            before = brute_allowed(_world(baseline, world), View.POSSIBLE)
            new |= brute_allowed(_world(synthesized, world), View.POSSIBLE) - before
    return new


@settings(max_examples=120, deadline=None)
@given(pairs)
def test_no_new_privilege_exactly_when_every_allowed_pair_was_allowed_in_every_condition_context(
    pair: tuple[PolicyDocument, PolicyDocument],
):
    baseline, synthesized = pair
    new = brute_new_privilege(baseline, synthesized)
    found = new_privilege(baseline, synthesized, catalog=CATALOG)
    assert found.holds == (not new), (found, sorted(new)[:3])
    if not found.holds:  # the example is a real one, in the context it names
        world = frozenset(found.when)
        assert found.action is not None and found.resource is not None
        assert is_allowed(_world(synthesized, world), found.action, found.resource, View.POSSIBLE).allowed
        assert not is_allowed(_world(baseline, world), found.action, found.resource, View.POSSIBLE).allowed


def allow(*conditions: Condition) -> PolicyDocument:
    return PolicyDocument(
        (PolicyStatement(Effect.ALLOW, ("s3:GetObject",), ("arn:aws:s3:::b/*",), conditions=conditions),)
    )


def test_condition_only_changes():
    # Removed: the same grant without its condition is new privilege, in the empty context.
    found = new_privilege(allow(MFA), allow(), catalog=CATALOG)
    assert not found and found.action == "s3:GetObject" and found.when == ()
    # Changed value: not provably as strict.
    assert not new_privilege(allow(MFA), allow(NO_MFA), catalog=CATALOG)
    # Identical, or stricter (a superset of the conditions): no new privilege.
    assert new_privilege(allow(MFA), allow(MFA), catalog=CATALOG)
    assert new_privilege(allow(MFA), allow(MFA, VPC), catalog=CATALOG)
    assert new_privilege(allow(), allow(VPC), catalog=CATALOG)
    # Loosened: one of two conditions dropped.
    assert not new_privilege(allow(MFA, VPC), allow(VPC), catalog=CATALOG)
    # A conditional Deny dropped from the synthesized policy grants more when its condition holds.
    deny = PolicyStatement(Effect.DENY, ("s3:GetObject",), ("*",), conditions=(NO_MFA,))
    before = PolicyDocument((*allow().statements, deny))
    found = new_privilege(before, allow(), catalog=CATALOG)
    assert not found and list(map(_same, found.when)) == [_same(NO_MFA)]


def test_a_baseline_statement_that_is_wrong_is_named_with_its_line(tmp_path):
    code, out = function(tmp_path), tmp_path / ".policygen"
    assert invoke("baseline", "update", str(code), "--out", str(out)).exit_code == 0
    path = out / BASELINE_FILE
    written = path.read_text()
    line = [x.strip() for x in written.splitlines()].index('"dynamodb:PutItem"') + 1
    path.write_text(written.replace('"dynamodb:PutItem"', '"dynamodb:PutItme"'))
    typo = invoke("check", str(code), "--baseline", str(out))
    assert typo.exit_code == 2 and typo.stdout == ""
    statement_line = line - 4  # the statement's "{", four lines above its action
    assert (
        f"{path}:{statement_line}: functions.fn Statement[0]: action 'dynamodb:PutItme' matches no action"
        in (typo.stderr)
    )
    path.write_text(written.replace('"Effect": "Allow"', '"Effect": "Alow"'))
    effect = invoke("check", str(code), "--baseline", str(out))
    assert effect.exit_code == 2 and f"{path}:{statement_line}:" in effect.stderr and "Alow" in effect.stderr


BROKEN_TEMPLATE = """Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.handler
      Policies: [
        - DynamoDBCrudPolicy
"""


def test_an_unreadable_template_is_an_input_error_naming_its_line(tmp_path):
    function(tmp_path)
    (tmp_path / "template.yaml").write_text(BROKEN_TEMPLATE)
    for command in ("diff", "check"):
        result = invoke(command, str(tmp_path))
        assert result.exit_code == 2 and result.stdout == "", command
        assert "template.yaml:9: invalid YAML" in result.stderr and "Traceback" not in result.stderr
    (tmp_path / "template.yaml").write_bytes(b"Resources:\n  Fn: \xff\xfe\n")
    result = invoke("check", str(tmp_path))
    assert result.exit_code == 2 and "template.yaml: not UTF-8 text" in result.stderr


def test_a_condition_the_baseline_had_and_the_code_now_drops_is_new_privilege(tmp_path):
    code, out = function(tmp_path), tmp_path / ".policygen"
    assert invoke("baseline", "update", str(code), "--out", str(out)).exit_code == 0
    baseline = json.loads((out / BASELINE_FILE).read_text())
    [statement] = baseline["functions"]["fn"]["Statement"]
    statement["Condition"] = {"StringEquals": {"aws:SourceVpc": ["vpc-1"]}}  # approved only from the VPC
    (out / BASELINE_FILE).write_text(json.dumps(baseline))
    failed = invoke("check", str(code), "--baseline", str(out))
    assert failed.exit_code == Exit.NEW_PRIVILEGE, failed.stdout
    assert "NEW PRIVILEGE over the baseline: dynamodb:PutItem" in failed.stdout
    # The synthesized grant with the same condition (or more) is not new.
    assert new_privilege(
        PolicyDocument((replace(allow().statements[0], conditions=(VPC,)),)),
        PolicyDocument((replace(allow().statements[0], conditions=(VPC, MFA)),)),
        catalog=CATALOG,
    )
    found = new_privilege(
        PolicyDocument((replace(allow().statements[0], conditions=(MFA, VPC)),)),
        PolicyDocument((replace(allow().statements[0], conditions=(NO_MFA, VPC)),)),
        catalog=CATALOG,
    )
    assert not found and {c.key for c in found.when} == {"aws:MultiFactorAuthPresent", "aws:SourceVpc"}


def test_check_reports_the_conditions_under_which_privilege_is_new():
    from policygen.gate import Verdict
    from policygen.render.diff import check_json, check_text

    found = new_privilege(
        PolicyDocument((replace(allow().statements[0], conditions=(MFA,)),)),
        PolicyDocument((replace(allow().statements[0], conditions=(NO_MFA,)),)),
        catalog=CATALOG,
    )
    verdict = Verdict("fn", found, None, False)
    text = check_text([verdict], verdict.exit)
    assert "NEW PRIVILEGE over the baseline: s3:GetObject on" in text
    assert "when Bool aws:MultiFactorAuthPresent ['false']" in text
    body = json.loads(check_json([verdict], verdict.exit))
    assert body["functions"]["fn"]["new_privilege"]["when"] == {"Bool": {"aws:MultiFactorAuthPresent": ["false"]}}


def test_a_report_given_as_the_baseline_is_named_and_an_older_baseline_still_reads(tmp_path):
    code, out = function(tmp_path), tmp_path / ".policygen"
    assert invoke("baseline", "update", str(code), "--out", str(out)).exit_code == 0
    written = json.loads((out / BASELINE_FILE).read_text())
    assert written["schema"] == 1  # the baseline's schema did not change with the reports'
    # A diff or check report (schema 1 or 2) saved where the baseline goes: exit 2, what to do.
    report = invoke("check", str(code), "--baseline", str(out), "--format", "json")
    assert report.exit_code == 0 and json.loads(report.stdout)["schema"] == 2
    for schema in (1, 2):
        body = json.loads(report.stdout) | {"schema": schema}
        (out / BASELINE_FILE).write_text(json.dumps(body))
        wrong = invoke("check", str(code), "--baseline", str(out))
        assert wrong.exit_code == 2 and wrong.stdout == ""
        assert f"{out / BASELINE_FILE}: this is a report of `policygen diff` or `check`" in wrong.stderr
        assert "baseline update" in wrong.stderr and "newer" not in wrong.stderr
    # A schema-1 baseline written by an older policygen still gates.
    (out / BASELINE_FILE).write_text(json.dumps(written | {"policygen": "0.0.1"}))
    assert invoke("check", str(code), "--baseline", str(out)).exit_code == 0
