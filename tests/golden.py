"""Shared by the golden test and ``make golden``: how each bundled example is run."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner, Result

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


def _invoke(example: Path, command: str, *arguments: str) -> Result:
    """``policygen COMMAND example`` from the repository root, with the example's deploy.env and
    args (its deployment inputs) and in the target account the goldens are written for."""
    relative = example.relative_to(ROOT).as_posix()
    extra = (example / "args").read_text().split() if (example / "args").is_file() else []
    env_file = ["--env-file", f"{relative}/deploy.env"] if (example / "deploy.env").is_file() else []
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return CliRunner().invoke(
            main,
            [
                command,
                relative,
                "--region",
                "us-east-1",
                "--account",
                "123456789012",
                *env_file,
                *arguments,
                *extra,
            ],
        )
    finally:
        os.chdir(cwd)


def run_example(example: Path, fmt: str) -> str:
    result = _invoke(example, "generate", "--format", fmt, "--no-cache", "--name", example.name)
    if result.exit_code != 0:
        raise AssertionError(f"{example.name}: exit {result.exit_code}: {result.output}")
    return result.stdout


# -- the diff and the gate against realistic current policies ------------------------------------
@dataclass(frozen=True)
class GateCase:
    """`policygen diff` or `check` on an example, in every output format. ``arguments`` are the
    command's own (paths relative to the repository); the example's args and deploy.env are added
    as for `generate`. ``exit`` is the exit code every format must give."""

    example: str
    name: str
    command: str
    arguments: tuple[str, ...]
    exit: int


GATE_FORMATS = {"txt": "text", "json": "json", "md": "markdown", "sarif": "sarif"}
GATE_CASES = [
    # A hand-written role policy: the table's actions on Resource "*", s3:* on the archive bucket.
    GateCase(
        "orders-service",
        "diff-over-broad",
        "diff",
        ("--current", "examples/orders-service/gate/current-policy.json"),
        0,
    ),
    # The same, gated on a baseline approved before the code archived raw orders to S3 (new
    # privilege, 4) and on an excess threshold (8).
    GateCase(
        "orders-service",
        "check-new-privilege",
        "check",
        (
            "--baseline",
            "examples/orders-service/gate/baseline",
            "--current",
            "examples/orders-service/gate/current-policy.json",
            "--max-excess",
            "20",
        ),
        4 | 8,
    ),
    # The secret and the SSM parameter are encrypted with a customer key (--kms-key in args): the
    # policy grants the data key, not that one: kms:Decrypt is missing.
    GateCase(
        "config-loader",
        "diff-missing-kms",
        "diff",
        ("--current", "examples/config-loader/gate/current-policy.json"),
        0,
    ),
    GateCase(
        "config-loader",
        "check-missing-kms",
        "check",
        ("--current", "examples/config-loader/gate/current-policy.json"),
        1,
    ),
    # Each function against the role its template declares: SAM policy templates (DynamoDBCrudPolicy
    # for a function that only writes), an inline s3:* on "*", the managed policies SAM attaches
    # (AWSLambdaBasicExecutionRole...), a reporter that writes with S3ReadPolicy only.
    GateCase("sam-orders", "diff-declared", "diff", (), 0),
    GateCase("sam-orders", "check-declared", "check", (), 1),
    # The baseline approved kms:Decrypt of the settings key through Secrets Manager only; the code
    # now also reads SecureString parameters: new privilege when kms:ViaService is either service.
    GateCase(
        "config-loader",
        "check-via-service",
        "check",
        (
            "--baseline",
            "examples/config-loader/gate/baseline",
            "--current",
            "examples/config-loader/gate/current-policy.json",
        ),
        1 | 4,
    ),
    # A role with a boundary from the account and a policy another stack exports: neither can be
    # read from the template, so each report says what was not compared.
    GateCase("sam-audit", "diff-incomplete", "diff", (), 0),
    GateCase("sam-audit", "check-incomplete", "check", ("--baseline", "examples/sam-audit/gate/baseline"), 0),
    # The same role under the organisation's boundary, given as a file: compared whole (only the
    # policy the other stack exports is left out), logs held to Lambda's log groups.
    GateCase(
        "sam-audit",
        "diff-bounded",
        "diff",
        ("--boundary", "examples/sam-audit/gate/org-workload-boundary.json"),
        0,
    ),
]


def gate_golden(case: GateCase, extension: str) -> Path:
    return ROOT / "examples" / case.example / "expected" / "gate" / f"{case.name}.{extension}"


def run_gate(case: GateCase, fmt: str) -> str:
    example = ROOT / "examples" / case.example
    result = _invoke(example, case.command, *case.arguments, "--format", fmt, "--no-cache")
    if result.exit_code != case.exit or (result.exception and not isinstance(result.exception, SystemExit)):
        raise AssertionError(
            f"{case.example} {case.name} ({fmt}): exit {result.exit_code}, expected {case.exit}: {result.output}"
        )
    return result.stdout
# -- examples/recorded-inventory: record, generate --observed and verify, run on its own tests ------
RECORDED = ROOT / "examples" / "recorded-inventory"
RECORDED_OUTPUTS = ("observed.json", "generate-observed.json", "verify-report.txt")
TARGET_ARGS = ("--region", "us-east-1", "--account", "123456789012", "--env-file", "inventory.env")


def user_tests() -> list[str]:
    """The example's own test command, as its user runs it (under this interpreter)."""
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", ".", "tests"]


def normalised_observed(text: str) -> str:
    """The recording with the one value that varies between machines, the interpreter's path in the
    recorded command, written as ``python``."""
    document = json.loads(text)
    if document.get("command") and document["command"][0] == sys.executable:
        document["command"][0] = "python"
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def run_recorded(tmp: Path) -> dict[str, str]:
    """The three outputs, each through the CLI with the example's own test command."""
    cwd = os.getcwd()
    os.chdir(RECORDED)
    try:
        observed = tmp / "observed.json"
        runner = CliRunner()
        recorded = runner.invoke(main, ["record", "--package", "fn", "--out", str(observed), "--", *user_tests()])
        if recorded.exit_code != 0:
            raise AssertionError(f"record: exit {recorded.exit_code}: {recorded.output}")
        generated = runner.invoke(
            main,
            ["generate", "fn", *TARGET_ARGS, "--observed", str(observed), "--format", "json-report", "--no-cache"],
        )
        if generated.exit_code != 0:
            raise AssertionError(f"generate --observed: exit {generated.exit_code}: {generated.output}")
        report = tmp / "verify-report.txt"
        verified = runner.invoke(main, ["verify", "fn", *TARGET_ARGS, "--report", str(report), "--", *user_tests()])
        # the synthesized (static) policy misses the call built from the event: verify fails on it
        if verified.exit_code != 1:
            raise AssertionError(f"verify: exit {verified.exit_code}, expected 1: {verified.output}")
    finally:
        os.chdir(cwd)
    return {
        "observed.json": normalised_observed(observed.read_text()),
        "generate-observed.json": generated.stdout,
        "verify-report.txt": report.read_text(),
    }
