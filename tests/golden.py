"""Shared by the golden test and ``make golden``: how each bundled example is run."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner

from policygen.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(
    p for p in (ROOT / "examples").iterdir() if (p / "deploy.env").is_file() or (p / "args").is_file()
)
DEPLOYMENT_FILES = ("template.yaml", "serverless.yml")
SINGLE = [
    e for e in EXAMPLES if not any((e / f).exists() for f in DEPLOYMENT_FILES) and not any(e.glob("*.tf"))
]
PROJECTS = [e for e in EXAMPLES if e not in SINGLE]
OUTPUTS = {
    "policy.json": "json",
    "report.json": "json-report",
    "policy.tf": "terraform",
    "policy-jsonencode.tf": "terraform-json",
    "cloudformation.yaml": "cloudformation",
    "sam.yaml": "sam",
}


def run_example(example: Path, fmt: str) -> str:
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        relative = example.relative_to(ROOT).as_posix()
        extra = (example / "args").read_text().split() if (example / "args").is_file() else []
        result = CliRunner().invoke(
            main,
            [
                "generate",
                relative,
                "--region",
                "us-east-1",
                "--account",
                "123456789012",
                *(["--env-file", f"{relative}/deploy.env"] if (example / "deploy.env").is_file() else []),
                "--format",
                fmt,
                "--no-cache",
                "--name",
                example.name,
                *extra,
            ],
        )
    finally:
        os.chdir(cwd)
    if result.exit_code != 0:
        raise AssertionError(f"{example.name}: exit {result.exit_code}: {result.output}")
    return result.stdout
