"""`policygen verify`: the function's recorded calls judged against a policy by the IAM evaluator."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from policygen.cli import main
from policygen.model import Target
from policygen.options import Options
from policygen.pipeline import generate
from policygen.policy.document import parse_policy
from policygen.record.run import record
from policygen.record.verify import Status, judge
from policygen.render.json_policy import policy_document

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "recorded-inventory"
PYTEST = (sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(EXAMPLE), "tests")
TARGET = Target("aws", "us-east-1", "123456789012")
ENV = {"STOCK_TABLE": "stock", "REPORT_BUCKET": "inventory-reports"}
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/stock"
REPORTS = "arn:aws:s3:::inventory-reports/reports/*.json"


def _policy(*statements):
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": [a], "Resource": [r]} for a, r in statements],
    }


COMPLETE = _policy(("dynamodb:UpdateItem", TABLE), ("s3:PutObject", REPORTS), ("s3:DeleteObject", REPORTS))


@pytest.fixture(scope="module")
def inventory():
    return record(PYTEST, [EXAMPLE / "fn"], cwd=EXAMPLE)


def _denied(verdict):
    return [(c.action, c.resource, str(c.call.site)) for c in verdict.denials]


def test_the_synthesized_policy_misses_only_the_call_static_analysis_could_not_see(inventory):
    result = generate(EXAMPLE / "fn", Options(target=TARGET, environment=ENV))
    synthesized = parse_policy(policy_document(result.policy), "synthesized")
    verdict = judge(inventory, [synthesized], TARGET)
    # the getattr(s3, f"{mode}_object") call: the operation is built from the event
    assert _denied(verdict) == [
        ("s3:DeleteObject", "arn:aws:s3:::inventory-reports/reports/old.json", "fn/app.py:32 (tidy)")
    ]
    allowed = {(c.action, c.resource) for c in verdict.checks if c.status is Status.ALLOWED}
    assert allowed == {
        ("dynamodb:UpdateItem", TABLE),
        ("s3:PutObject", "arn:aws:s3:::inventory-reports/reports/b1.json"),
        ("s3:PutObject", "arn:aws:s3:::inventory-reports/reports/b2.json"),
    }
    assert verdict.not_judged == ()
    assert verdict.setup_calls == 8  # create table/bucket per test, the tests' own reads and writes


def test_a_complete_policy_holds(inventory):
    verdict = judge(inventory, [parse_policy(COMPLETE, "complete")], TARGET)
    assert verdict.held and len(verdict.checks) == 4


def test_a_removed_permission_is_named(inventory):
    without_update = _policy(("s3:PutObject", REPORTS), ("s3:DeleteObject", REPORTS))
    verdict = judge(inventory, [parse_policy(without_update, "without")], TARGET)
    assert _denied(verdict) == [("dynamodb:UpdateItem", TABLE, "fn/app.py:18 (handler)")]
    assert verdict.denials[0].call.test.endswith("test_app.py::test_updates_stock_and_writes_report")


def test_a_resource_outside_the_grant_is_denied(inventory):
    # the right action on the wrong objects is a denial too: IAM compares the resource
    narrow = _policy(
        ("dynamodb:UpdateItem", TABLE), ("s3:PutObject", "arn:aws:s3:::inventory-reports/reports/b1.json")
    )
    verdict = judge(inventory, [parse_policy(narrow, "narrow")], TARGET)
    assert (
        "s3:PutObject",
        "arn:aws:s3:::inventory-reports/reports/b2.json",
        "fn/app.py:23 (handler)",
    ) in _denied(verdict)


def test_verify_fails_naming_the_test_the_call_site_and_the_missing_permission(tmp_path):
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(_policy(("dynamodb:UpdateItem", TABLE), ("s3:PutObject", REPORTS))))
    observed = tmp_path / "observed.json"
    args = ["verify", str(EXAMPLE / "fn"), "--region", "us-east-1", "--account", "123456789012"]
    args += ["--policy", str(policy), "--observed-out", str(observed), "--", *PYTEST]
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(EXAMPLE)
        result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert "DENIED s3:DeleteObject on arn:aws:s3:::inventory-reports/reports/old.json" in result.output
    assert "test: tests/test_app.py::test_tidy_deletes_old_reports" in result.output
    assert "call: s3.delete_object at fn/app.py:32 (tidy)" in result.output
    assert "the policy did not hold: 1 permission(s) missing" in result.output
    assert json.loads(observed.read_text())["format"] == "policygen-observed"


def test_a_broken_policy_file_is_an_error_before_anything_runs(tmp_path):
    policy = tmp_path / "policy.json"
    policy.write_text('{"Version": "2012-10-17", "Statement": [')
    marker = tmp_path / "ran"
    result = CliRunner().invoke(
        main,
        [
            "verify",
            str(EXAMPLE / "fn"),
            "--policy",
            str(policy),
            "--",
            sys.executable,
            "-c",
            f"open({str(marker)!r}, 'w')",
        ],
    )
    assert result.exit_code == 2
    assert "policy.json:1:" in result.output and "not valid JSON" in result.output
    assert not marker.exists()


def test_recorded_calls_are_evidence_observed_in_tests_and_close_the_policy(inventory, tmp_path):
    from policygen.record import observed
    from policygen.record.commands import observed_sources

    saved = tmp_path / "observed.json"
    saved.write_text(observed.to_json(inventory))
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(EXAMPLE)  # the recording's paths are relative to where the tests ran
        result = generate(
            EXAMPLE / "fn", Options(target=TARGET, environment=ENV, sources=observed_sources(saved))
        )
    evidence = {
        (p.action, p.resource): sorted(
            (e.kind.value, str(e.location), e.detail.split(",")[0]) for e in p.evidence
        )
        for p in result.permissions
    }
    # the call static analysis missed: granted on the object the test deleted, and said where from
    assert evidence[("s3:DeleteObject", "arn:aws:s3:::inventory-reports/reports/old.json")] == [
        ("recorded", "app.py:32", "observed in tests: s3.delete_object")
    ]
    # a call both saw: one permission, both pieces of evidence, at the same line (recordings have no column)
    assert evidence[("dynamodb:UpdateItem", TABLE)] == [
        ("code", "app.py:18:9", "Table.update_item"),
        ("recorded", "app.py:18", "observed in tests: dynamodb.update_item"),
    ]
    # the policy: the static grant covers the recorded PutObjects; the recorded DeleteObject is added
    statements = {(tuple(s.actions), tuple(s.resources)) for s in result.policy.statements}
    assert statements == {
        (("dynamodb:UpdateItem",), (TABLE,)),
        (("s3:PutObject",), (REPORTS,)),
        (("s3:DeleteObject",), ("arn:aws:s3:::inventory-reports/reports/old.json",)),
    }
    # and that policy holds for the recorded calls
    closed = parse_policy(policy_document(result.policy), "with observed")
    assert judge(inventory, [closed], TARGET).held


def test_an_unreadable_observed_file_is_an_error_naming_it(tmp_path):
    bad = tmp_path / "observed.json"
    bad.write_text('{"format": "policygen-observed", "version": 2, "calls": []}')
    result = CliRunner().invoke(
        main, ["generate", str(EXAMPLE / "fn"), "--code-only", "--observed", str(bad)]
    )
    assert result.exit_code == 2
    assert f"{bad}: recording format version 2" in result.output
