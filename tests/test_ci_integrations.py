"""The pre-commit hook and the composite action run `policygen check` as written: the hook's
definition and entry, and action.yml's own steps through scripts/run_action.py (the runner's
`shell: bash`, its inputs and outputs), on a function with a baseline. The action's install step
(pip from the network) is left out here; .ci/run installs the wheel, runs the action the same way
on an example and the hook through `pre-commit try-repo`."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).parent.parent
HANDLER = """import os
import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    TABLE.put_item(Item={"id": event["id"]})
"""
NEEDS_DELETE = HANDLER.replace("TABLE.put_item", "TABLE.delete_item(Key={'id': 1})\n    TABLE.put_item")
POLICYGEN = Path(sys.executable).parent / "policygen"


def project(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(HANDLER)
    subprocess.run(
        [str(POLICYGEN), "baseline", "update", ".", "--out", ".policygen", "--no-cache"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )


def test_the_hook_definition_runs_the_installed_console_script():
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "policygen-check" and hook["language"] == "python"
    assert hook["pass_filenames"] is False  # the gate reads the whole project, not the changed files
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert shlex.split(hook["entry"])[0] in scripts  # what `pip install <repo>` puts on PATH


def test_the_hook_entry_passes_then_fails_on_new_privilege(tmp_path):
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    project(tmp_path)
    command = [str(POLICYGEN), *shlex.split(hook["entry"])[1:], "--no-cache"]
    assert subprocess.run(command, cwd=tmp_path, capture_output=True).returncode == 0
    (tmp_path / "app.py").write_text(NEEDS_DELETE)
    failed = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert failed.returncode == 4 and "NEW PRIVILEGE" in failed.stdout


def run_action(tmp_path: Path, *inputs: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    summary = tmp_path / "summary.md"
    summary.write_text("")
    command = [sys.executable, str(ROOT / "scripts" / "run_action.py"), str(ROOT / "action.yml")]
    command += ["--skip", "install", "--summary", str(summary)]
    for pair in inputs:
        command += ["--input", pair]
    env = {**os.environ, "PATH": f"{POLICYGEN.parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True), summary


def test_the_action_writes_sarif_and_a_summary_and_exits_with_the_check_code(tmp_path):
    project(tmp_path)
    ok, summary = run_action(tmp_path, "path=.", "sarif=out.sarif")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines()[-1] == "exit-code=0"
    assert json.loads((tmp_path / "out.sarif").read_text())["version"] == "2.1.0"
    assert "**Passed** (exit 0)" in summary.read_text()
    (tmp_path / "app.py").write_text(NEEDS_DELETE)
    failed, summary = run_action(tmp_path, "path=.", "sarif=out.sarif")
    assert failed.returncode == 4 and failed.stdout.splitlines()[-1] == "exit-code=4"
    [result] = json.loads((tmp_path / "out.sarif").read_text())["runs"][0]["results"]
    assert result["ruleId"] == "new-privilege"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app.py"
    assert "**Failed** (exit 4)" in summary.read_text()


def test_the_action_passes_its_args_input_to_check(tmp_path):
    """`args` carries what the project needs (here a current policy that lacks the action): the
    exit code combines missing (1) with new privilege (4)."""
    project(tmp_path)
    (tmp_path / "app.py").write_text(NEEDS_DELETE)
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "*"}],
    }
    # An empty baseline input leaves the baseline out: then there must be a current policy.
    done, summary = run_action(tmp_path, "path=.", "baseline=", "args=--max-excess 0")
    assert done.returncode == 2 and "nothing to check against" in done.stderr
    (tmp_path / "policy.json").write_text(json.dumps(policy))
    both, summary = run_action(tmp_path, "path=.", "args=--current policy.json")
    assert both.returncode == 1 | 4, both.stderr
    assert "**Failed** (exit 5 = 1 + 4)" in summary.read_text()


def test_the_action_runs_check_once_for_sarif_and_summary(tmp_path):
    """One run writes both reports (before, check ran twice: once per format)."""
    project(tmp_path)
    wrapper = tmp_path / "bin" / "policygen"
    wrapper.parent.mkdir()
    calls = tmp_path / "calls.log"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >>"{calls}"\nexec "{POLICYGEN}" "$@"\n')
    wrapper.chmod(0o755)
    (tmp_path / "app.py").write_text(NEEDS_DELETE)
    summary = tmp_path / "summary.md"
    command = [sys.executable, str(ROOT / "scripts" / "run_action.py"), str(ROOT / "action.yml")]
    command += ["--skip", "install", "--summary", str(summary), "--input", "path=.", "--input", "sarif=out.sarif"]
    env = {**os.environ, "PATH": f"{wrapper.parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 4, done.stderr
    [call] = calls.read_text().splitlines()
    assert call.startswith("check . --no-cache --baseline .policygen --output sarif=out.sarif --format markdown")
    assert "**Failed** (exit 4)" in summary.read_text() and "**Failed** (exit 4)" in done.stdout  # and the log
    assert json.loads((tmp_path / "out.sarif").read_text())["runs"][0]["results"][0]["ruleId"] == "new-privilege"


def test_the_action_summary_says_when_bad_input_left_no_report(tmp_path):
    project(tmp_path)
    (tmp_path / ".policygen" / "baseline.json").write_text("{")
    done, summary = run_action(tmp_path, "path=.", "sarif=out.sarif")
    assert done.returncode == 2 and done.stdout.splitlines()[-1] == "exit-code=2"
    assert "baseline.json:1:" in done.stderr
    assert "**Failed** (exit 2): bad input, no report; see the step log." in summary.read_text()
    assert not (tmp_path / "out.sarif").exists()
