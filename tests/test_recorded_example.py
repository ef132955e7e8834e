"""examples/recorded-inventory end to end through the CLI and the example's own test command:
the goldens of record, generate --observed and verify, and a removed permission named by verify."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from golden import RECORDED, RECORDED_OUTPUTS, TARGET_ARGS, run_recorded, user_tests
from policygen.cli import main


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    return run_recorded(tmp_path_factory.mktemp("recorded"))


@pytest.mark.parametrize("name", RECORDED_OUTPUTS)
def test_recorded_example_matches_golden(outputs, name):
    expected = (RECORDED / "expected" / name).read_text()
    assert outputs[name] == expected, f"{name} differs: run `make golden` and review the diff"


def test_the_recording_is_the_same_bytes_twice(outputs, tmp_path):
    again = run_recorded(tmp_path)
    assert again["observed.json"] == outputs["observed.json"]
    assert again["verify-report.txt"] == outputs["verify-report.txt"]


def _run(args):
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(RECORDED)
        return CliRunner().invoke(main, args)


def test_a_removed_permission_makes_verify_fail_and_name_it(tmp_path):
    observed, policy = tmp_path / "observed.json", tmp_path / "policy.json"
    assert _run(["record", "--package", "fn", "--out", str(observed), "--", *user_tests()]).exit_code == 0
    generated = _run(["generate", "fn", *TARGET_ARGS, "--observed", str(observed), "-o", str(policy)])
    assert generated.exit_code == 0, generated.output
    # the policy generated with the recording holds for the user's tests, enforced
    held = _run(["verify", "fn", *TARGET_ARGS, "--policy", str(policy), "--", *user_tests()])
    assert held.exit_code == 0, held.output
    assert "the policy held for every call the function made" in held.output
    # remove one permission: the user's test fails where the call is made, and verify names it
    document = json.loads(policy.read_text())
    document["Statement"] = [s for s in document["Statement"] if s["Action"] != ["dynamodb:UpdateItem"]]
    policy.write_text(json.dumps(document))
    failed = _run(["verify", "fn", *TARGET_ARGS, "--policy", str(policy), "--", *user_tests()])
    assert failed.exit_code == 1
    assert (
        "policygen: DENIED dynamodb:UpdateItem on arn:aws:dynamodb:us-east-1:123456789012:table/stock\n"
        "    test: tests/test_app.py::test_updates_stock_and_writes_report\n"
        "    call: dynamodb.update_item at fn/app.py:18 (handler)\n"
        f"    missing from {policy}: dynamodb:UpdateItem on arn:aws:dynamodb:us-east-1:123456789012:table/stock\n"
        "    enforced: the call failed with AccessDenied where it was made"
    ) in failed.output
    assert "the command exited with 1" in failed.output  # the user's test saw the denial
