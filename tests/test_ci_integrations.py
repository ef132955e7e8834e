"""The pre-commit hook and the composite action run `policygen check` as written: the hook's
entry and the action's gate step are executed here on a function with a baseline (the action's
install step, which needs the network, is not)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).parent.parent
HANDLER = """import os
import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    TABLE.put_item(Item={"id": event["id"]})
"""


def project(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(HANDLER)
    policygen = Path(sys.executable).parent / "policygen"
    subprocess.run(
        [str(policygen), "baseline", "update", ".", "--out", ".policygen", "--no-cache"],
        cwd=tmp_path,
        check=True,
    )
    return policygen


def test_the_hook_entry_passes_then_fails_on_new_privilege(tmp_path):
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    policygen = project(tmp_path)
    command = [str(policygen), *shlex.split(hook["entry"])[1:], "--no-cache"]
    assert subprocess.run(command, cwd=tmp_path, capture_output=True).returncode == 0
    (tmp_path / "app.py").write_text(
        HANDLER.replace("TABLE.put_item", "TABLE.delete_item(Key={'id': 1})\n    TABLE.put_item")
    )
    assert subprocess.run(command, cwd=tmp_path, capture_output=True).returncode == 4


def test_the_action_gate_step_writes_sarif_and_exits_with_the_check_code(tmp_path):
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    gate = action["runs"]["steps"][1]
    policygen = project(tmp_path)
    env = {
        **os.environ,
        "PATH": f"{policygen.parent}{os.pathsep}{os.environ['PATH']}",
        "POLICYGEN_PATH": ".",
        "POLICYGEN_BASELINE": ".policygen",
        "POLICYGEN_SARIF": "out.sarif",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    ok = subprocess.run(["bash", "-c", gate["run"]], cwd=tmp_path, env=env, capture_output=True)
    assert ok.returncode == 0, ok.stderr
    assert '"version": "2.1.0"' in (tmp_path / "out.sarif").read_text()
    assert "## policygen" in (tmp_path / "summary.md").read_text()
    (tmp_path / "app.py").write_text(
        HANDLER.replace("TABLE.put_item", "TABLE.delete_item(Key={'id': 1})\n    TABLE.put_item")
    )
    failed = subprocess.run(["bash", "-c", gate["run"]], cwd=tmp_path, env=env, capture_output=True)
    assert failed.returncode == 4
    assert "new-privilege" in (tmp_path / "out.sarif").read_text()
