"""One run of `check` or `diff` writes several reports (-o FORMAT=FILE, repeatable), each the
same bytes as that format's report on its own (the goldens), each file whole or not at all; bad -o
values are refused before anything runs (exit 2, the value named, nothing written)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from golden import GATE_CASES, GATE_FORMATS, _invoke, gate_golden
from policygen.cli import main

ROOT = Path(__file__).resolve().parent.parent
FUNCTION = """import boto3

def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl="https://sqs.us-east-1.amazonaws.com/1/q", MessageBody="x")
"""


@pytest.mark.parametrize(
    "case",
    [c for c in GATE_CASES if c.name in ("check-new-privilege", "diff-declared")],
    ids=lambda c: c.name,
)
def test_one_run_writes_every_format_as_the_goldens(case, tmp_path):
    files = {ext: tmp_path / f"report.{ext}" for ext in GATE_FORMATS if ext != "txt"}
    outputs = [arg for ext, path in files.items() for arg in ("-o", f"{GATE_FORMATS[ext]}={path}")]
    result = _invoke(ROOT / "examples" / case.example, case.command, *case.arguments, "--no-cache", *outputs)
    assert result.exit_code == case.exit, result.output
    assert result.stdout == gate_golden(case, "txt").read_text()  # --format text, to stdout
    for ext, path in files.items():
        assert path.read_text() == gate_golden(case, ext).read_text(), ext
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in files.values()
    )  # no temporaries


def code(tmp_path: Path) -> Path:
    folder = tmp_path / "fn"
    folder.mkdir()
    (folder / "app.py").write_text(FUNCTION)
    return folder


def check(*args: str):
    return CliRunner().invoke(main, ["check", *args, "--no-cache"])


def test_a_plain_file_takes_the_format_report_and_stdout_stays_empty(tmp_path):
    fn = code(tmp_path)
    assert (
        CliRunner().invoke(main, ["baseline", "update", str(fn), "--out", str(tmp_path / "b")]).exit_code == 0
    )
    result = check(
        str(fn),
        "--baseline",
        str(tmp_path / "b"),
        "--format",
        "json",
        "-o",
        str(tmp_path / "r.json"),
        "-o",
        f"markdown={tmp_path / 'r.md'}",
    )
    assert result.exit_code == 0 and result.stdout == ""
    assert '"exit": 0' in (tmp_path / "r.json").read_text()
    assert "**Passed** (exit 0)" in (tmp_path / "r.md").read_text()


@pytest.mark.parametrize(
    ("output", "message"),
    [
        (
            "html={dir}/r.html",
            "-o html={dir}/r.html: html is not a report format (one of text, json, markdown, sarif)",
        ),
        ("sarif=", "-o sarif=: give the file to write the sarif report to (sarif=FILE)"),
        ("sarif={dir}/nowhere/r.sarif", "-o {dir}/nowhere/r.sarif: the folder {dir}/nowhere does not exist"),
        ("{dir}", "-o {dir}: a folder"),
    ],
)
def test_bad_outputs_are_refused_before_the_run(tmp_path, output, message):
    fn = code(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    result = check(
        str(fn), "--baseline", str(tmp_path / "missing-baseline"), "-o", output.format(dir=tmp_path)
    )
    # refused before the (missing) baseline is even read
    assert result.exit_code == 2 and result.stdout == ""
    assert f"policygen: error: {message.format(dir=tmp_path)}" in result.stderr
    assert "baseline" not in result.stderr.split(message.format(dir=tmp_path))[1]
    assert sorted(tmp_path.rglob("*")) == before


def test_two_plain_files_or_one_file_twice_are_refused(tmp_path):
    fn = code(tmp_path)
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    two = CliRunner().invoke(main, ["diff", str(fn), "-o", str(a), "-o", str(b)])
    assert two.exit_code == 2 and "give the others as FORMAT=FILE" in two.stderr
    twice = CliRunner().invoke(main, ["diff", str(fn), "-o", f"json={a}", "-o", f"sarif={a}"])
    assert twice.exit_code == 2 and f"-o {a}: given twice" in twice.stderr
    assert not a.exists() and not b.exists()


def test_a_write_that_fails_leaves_every_report_as_it_was(tmp_path, monkeypatch):
    fn = code(tmp_path)
    policy = tmp_path / "current.json"
    policy.write_text(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}'
    )
    first, second = tmp_path / "r.sarif", tmp_path / "r.md"
    first.write_text("the previous SARIF\n")
    second.write_text("the previous summary\n")
    real = tempfile.mkstemp
    calls: list[str] = []

    def failing_second(*args, **kwargs):
        calls.append(kwargs.get("prefix", ""))
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", failing_second)
    result = check(str(fn), "--current", str(policy), "-o", f"sarif={first}", "-o", f"markdown={second}")
    assert result.exit_code == 2 and f"-o {second}: cannot write the report" in result.stderr
    assert "no report was written" in result.stderr and "Traceback" not in result.stderr
    assert first.read_text() == "the previous SARIF\n" and second.read_text() == "the previous summary\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["current.json", "fn", "r.md", "r.sarif"]
    assert len(calls) == 2
