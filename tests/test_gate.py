"""The CI gate: baseline update / check, the exit-code bitmask, bad baselines, and a brute-force
property test of "new privilege"."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings

from policygen.cli import main
from policygen.gate import BASELINE_FILE, Exit, new_privilege
from policygen.policy.document import PolicyDocument
from policygen.policy.evaluate import View

sys.path.insert(0, str(Path(__file__).parent))
from test_policy_evaluate import CATALOG, brute_allowed, pairs

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


@settings(max_examples=100, deadline=None)
@given(pairs)
def test_no_new_privilege_exactly_when_every_allowed_pair_was_allowed(
    pair: tuple[PolicyDocument, PolicyDocument],
):
    baseline, synthesized = pair
    allowed_before = brute_allowed(baseline, View.POSSIBLE)
    allowed_now = brute_allowed(synthesized, View.POSSIBLE)
    found = new_privilege(baseline, synthesized, catalog=CATALOG)
    assert found.holds == (allowed_now <= allowed_before), (found, sorted(allowed_now - allowed_before)[:3])
