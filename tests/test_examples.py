"""Every bundled example, regenerated through the CLI, matches its reviewed golden files."""

from __future__ import annotations

import json

import pytest

from golden import EXAMPLES, GATE_CASES, GATE_FORMATS, OUTPUTS, gate_golden, run_example, run_gate
from policygen import mapping


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_example_matches_golden(example, name):
    expected = (example / "expected" / name).read_text()
    assert run_example(example, OUTPUTS[name]) == expected, (
        f"run `make golden` and review the diff of {example.name}"
    )


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_policy_is_valid_and_explained(example):
    report = json.loads(run_example(example, "json-report"))
    reports = list(report["functions"].values()) if "functions" in report else [report]
    for one in reports:
        check_report(one)


def check_report(report):
    statements = report["policy"]["Statement"]
    assert statements, "every example makes AWS calls"
    for statement in statements:
        for action in statement["Action"]:
            assert mapping.action_exists(action), action
            assert not action.endswith("*")
    for permission in report["permissions"]:
        assert permission["evidence"], permission
    assert report["errors"] == []


def test_deterministic():
    example = EXAMPLES[0]
    assert run_example(example, "json-report") == run_example(example, "json-report")


def test_deterministic_across_hash_seeds(tmp_path):
    """Set iteration order changes with PYTHONHASHSEED; the output must not."""
    import os
    import subprocess
    import sys

    from golden import ROOT

    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        args = [
            sys.executable,
            "-m",
            "policygen",
            "generate",
            "examples/sam-orders",
            "--no-cache",
            "--format",
            "json-report",
        ]
        args += ["--stack-name", "orders", "--parameter-overrides", "ReportsBucketName=b"]
        outputs.append(
            subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
        )
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize("extension", sorted(GATE_FORMATS))
@pytest.mark.parametrize("case", GATE_CASES, ids=lambda c: f"{c.example}-{c.name}")
def test_gate_matches_golden(case, extension):
    """`policygen diff` and `check` against the examples' current policies and baselines, in
    every output format, with the exit code the case expects (run_gate checks it)."""
    assert run_gate(case, GATE_FORMATS[extension]) == gate_golden(case, extension).read_text(), (
        f"run `make golden` and review the diff of {case.example} {case.name}"
    )
