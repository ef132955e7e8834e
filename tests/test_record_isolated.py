"""`policygen record` when the command starts Python with an option that skips its start-up hook
(-S, -E, -I): the interpreter is started through a bootstrap that installs the recorder, with the
user's options kept; what cannot be reached that way is said."""

from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path

import pytest
from click.testing import CliRunner

from policygen.cli import main
from policygen.record.launch import HOOK_SKIPPING, parse
from policygen.record.observed import FUNCTION, SETUP
from policygen.record.run import record

APP = """import boto3


def handler(event, context):
    return boto3.client("s3", region_name="us-east-1").list_buckets()
"""

TEST = """import sys
from pathlib import Path

import boto3
from moto import mock_aws

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "fn"))
import app


def test_handler():
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="reports")
        assert [b["Name"] for b in app.handler({}, None)["Buckets"]] == ["reports"]
"""

SCRIPT = """import sys
from moto import mock_aws
sys.path.insert(0, "fn")
import app
with mock_aws():
    assert app.handler({}, None)["Buckets"] == []
    assert sys.argv[1:] == ["--flag", "x"], sys.argv
"""

PYTEST = ("-m", "pytest", "-q", "-p", "no:cacheprovider", "tests")
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"}


def _project(tmp_path: Path) -> Path:
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "app.py").write_text(APP)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_app.py").write_text(TEST)
    (tmp_path / "script.py").write_text(SCRIPT)
    return tmp_path


def _summary(recording):
    return sorted((c.origin, c.service, c.operation, str(c.site) if c.site else None) for c in recording.calls)


EXPECTED = [
    (FUNCTION, "s3", "ListBuckets", "fn/app.py:5 (handler)"),
    (SETUP, "s3", "CreateBucket", None),
]


@pytest.mark.parametrize("flags", [("-I",), ("-E",), ("-IB",), ("-W", "ignore", "-E", "-u")])
def test_pytest_under_an_isolating_option_is_recorded(tmp_path, flags):
    project = _project(tmp_path)
    env = {**os.environ, **CREDENTIALS}
    recording = record((sys.executable, *flags, *PYTEST), [project / "fn"], cwd=project, env=env)
    assert recording.exit_code == 0
    assert _summary(recording) == EXPECTED
    assert all(c.test == "tests/test_app.py::test_handler" for c in recording.calls)
    assert recording.processes == 1
    assert any("through a bootstrap that installs the recorder" in n for n in recording.notes)


def test_no_site_is_recorded_when_the_dependencies_are_on_pythonpath(tmp_path):
    # -S: no site module, so neither sitecustomize nor site-packages; the suite finds its
    # dependencies through PYTHONPATH (which -S keeps), and so does the recorder's bootstrap
    project = _project(tmp_path)
    env = {**os.environ, **CREDENTIALS, "PYTHONPATH": sysconfig.get_paths()["purelib"]}
    recording = record((sys.executable, "-S", *PYTEST), [project / "fn"], cwd=project, env=env)
    assert recording.exit_code == 0
    assert _summary(recording) == EXPECTED
    assert any("-S (no site module" in n for n in recording.notes)


def test_a_script_and_code_under_an_isolating_option_run_as_python_would_run_them(tmp_path):
    project = _project(tmp_path)
    env = {**os.environ, **CREDENTIALS}
    script = record((sys.executable, "-E", "script.py", "--flag", "x"), [project / "fn"], cwd=project, env=env)
    code = record((sys.executable, "-I", "-c", SCRIPT, "--flag", "x"), [project / "fn"], cwd=project, env=env)
    for recording in (script, code):
        assert recording.exit_code == 0
        assert _summary(recording) == [(FUNCTION, "s3", "ListBuckets", "fn/app.py:5 (handler)")]
    failing = record((sys.executable, "-I", "-c", "raise SystemExit(4)"), [project / "fn"], cwd=project, env=env)
    assert failing.exit_code == 4


def test_the_options_are_read_as_python_reads_them():
    python = sys.executable
    launch = parse((python, "-IBm", "pytest", "-q"))
    assert launch is not None
    assert (launch.flags, launch.mode, launch.target, launch.arguments) == (("-I", "-B"), "module", "pytest", ("-q",))
    assert launch.skipping == (HOOK_SKIPPING["I"],)
    launch = parse(("python3.12", "-X", "dev", "-E", "-W", "error", "run.py", "-I"))
    assert launch is not None
    assert (launch.flags, launch.mode, launch.target, launch.arguments) == (
        ("-X", "dev", "-E", "-W", "error"),
        "script",
        "run.py",
        ("-I",),  # the script's own argument, not the interpreter's
    )
    launch = parse(("/usr/bin/python3", "-Sc", "print(1)"))
    assert launch is not None and (launch.mode, launch.target) == ("command", "print(1)")
    # nothing to change: no skipping option, not Python, or nothing that runs a program
    for command in (
        (python, "-m", "pytest"),
        ("pytest", "-I"),
        ("tox", "-e", "py"),
        (python, "-I"),
        (python, "-I", "--version"),
        (python, "-IV"),
        (python, "-I", "-"),
        (python, "-I", "-m"),
    ):
        assert parse(command) is None, command


def test_an_interpreter_the_hook_cannot_reach_is_said(tmp_path):
    # a Python started with -I by the command (not the command itself) never runs the recorder
    project = _project(tmp_path)
    inner = f"{sys.executable} -I script.py --flag x"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project)
        result = CliRunner().invoke(
            main, ["record", "--package", "fn", "--out", "observed.json", "--", "sh", "-c", inner], env=CREDENTIALS
        )
    assert result.exit_code == 0, result.output
    assert "no Python process started the recorder" in result.output
    assert "-S, -E or -I" in result.output and "tox" in result.output


def test_verify_enforces_under_an_isolating_option(tmp_path):
    project = _project(tmp_path)
    (project / "policy.json").write_text('{"Version": "2012-10-17", "Statement": []}')
    args = ["verify", "fn", "--policy", "policy.json", "--region", "us-east-1", "--account", "123456789012"]
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project)
        result = CliRunner().invoke(main, [*args, "--", sys.executable, "-I", *PYTEST], env=CREDENTIALS)
    assert result.exit_code == 1
    assert "DENIED s3:ListAllMyBuckets on *" in result.output
    assert "enforced: the call failed with AccessDenied where it was made" in result.output
    assert "policygen: note: " in result.output and "-I (isolated" in result.output
