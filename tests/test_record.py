"""`policygen record`: the calls a test suite makes, recorded through botocore in a child process."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from policygen.cli import main
from policygen.errors import UsageError
from policygen.record import observed
from policygen.record.observed import FUNCTION, SETUP, RecordingError
from policygen.record.run import record

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "recorded-inventory"
PYTEST = (sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(EXAMPLE), "tests")


@pytest.fixture(scope="module")
def inventory():
    """The example's own moto test suite, recorded once for the tests of this module."""
    return record(PYTEST, [EXAMPLE / "fn"], cwd=EXAMPLE)


def _calls(recording, origin):
    return {
        (c.service, c.operation, c.parameters, str(c.site) if c.site else None)
        for c in recording.calls
        if c.origin == origin
    }


def test_the_functions_calls_are_recorded_with_their_call_site(inventory):
    assert inventory.exit_code == 0
    assert inventory.roots == ("fn",)
    assert _calls(inventory, FUNCTION) == {
        ("dynamodb", "UpdateItem", (("TableName", "stock"),), "fn/app.py:18 (handler)"),
        (
            "s3",
            "PutObject",
            (("Bucket", "inventory-reports"), ("Key", "reports/b1.json")),
            "fn/app.py:23 (handler)",
        ),
        (
            "s3",
            "PutObject",
            (("Bucket", "inventory-reports"), ("Key", "reports/b2.json")),
            "fn/app.py:23 (handler)",
        ),
        # reached through getattr on a name built from the event: the tidy() frame, then the handler
        (
            "s3",
            "DeleteObject",
            (("Bucket", "inventory-reports"), ("Key", "reports/old.json")),
            "fn/app.py:32 (tidy)",
        ),
    }
    tidy = next(c for c in inventory.function_calls if c.operation == "DeleteObject")
    assert [str(f) for f in tidy.stack] == ["fn/app.py:32 (tidy)", "fn/app.py:25 (handler)"]
    assert tidy.test is not None and tidy.test.endswith("tests/test_app.py::test_tidy_deletes_old_reports")
    assert tidy.method == "delete_object" and tidy.region == "us-east-1"


def test_test_set_up_calls_are_kept_apart(inventory):
    setup = {(service, operation) for service, operation, _, site in _calls(inventory, SETUP)}
    assert setup == {
        ("dynamodb", "CreateTable"),
        ("dynamodb", "GetItem"),
        ("s3", "CreateBucket"),
        ("s3", "GetObject"),
        ("s3", "PutObject"),
        ("s3", "ListObjectsV2"),
    }
    assert all(c.site is None and c.stack == () for c in inventory.calls if c.origin == SETUP)
    # item bodies and expression values are data, not resource names: never written
    assert "quantity" not in observed.to_json(inventory) and ":n" not in observed.to_json(inventory)


def test_the_file_round_trips_and_identical_calls_are_counted(inventory):
    text = observed.to_json(inventory)
    assert observed.parse(text, "observed.json") == inventory
    # the fixture creates the table once per test: two calls, told apart by their test
    create_table = [c for c in inventory.calls if c.operation == "CreateTable"]
    assert [c.count for c in create_table] == [1, 1]
    assert len({c.test for c in create_table}) == 2


def test_an_existing_sitecustomize_still_runs(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    marker = tmp_path / "marker"
    (mine / "sitecustomize.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    script = (
        "import boto3\nfrom moto import mock_aws\n"
        "with mock_aws():\n    boto3.client('sqs', region_name='eu-west-1').create_queue(QueueName='q1')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(mine), "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    recording = record((sys.executable, "-c", script), [tmp_path], cwd=tmp_path, env=env)
    assert marker.read_text() == "ran"
    assert [(c.service, c.operation, c.parameters, c.region, c.origin) for c in recording.calls] == [
        ("sqs", "CreateQueue", (("QueueName", "q1"),), "eu-west-1", SETUP)
    ]


def test_the_cli_writes_the_file_and_says_what_it_recorded(tmp_path):
    out = tmp_path / "deep" / "observed.json"
    script = "import boto3\nfrom moto import mock_aws\nwith mock_aws():\n    boto3.client('s3', region_name='us-east-1').list_buckets()\n"
    env = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    result = CliRunner().invoke(
        main,
        ["record", "--out", str(out), "--package", str(tmp_path), "--", sys.executable, "-c", script],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "recorded 1 call(s) (0 by the function, 1 by test set-up)" in result.output
    assert f"by the function: calls made with a frame of {tmp_path.as_posix()}/ on the stack" in result.output
    assert f"policygen: next: policygen generate {tmp_path} --observed {out}" in result.output
    document = json.loads(out.read_text())
    assert (document["format"], document["version"]) == ("policygen-observed", 1)
    assert [c["operation"] for c in document["calls"]] == ["ListBuckets"]


def test_a_failing_command_is_recorded_and_exits_1(tmp_path):
    out = tmp_path / "observed.json"
    result = CliRunner().invoke(
        main, ["record", "--out", str(out), "--", sys.executable, "-c", "raise SystemExit(3)"]
    )
    assert result.exit_code == 1
    assert "the command exited with 3" in result.output
    assert observed.read(out).exit_code == 3


def test_a_command_that_cannot_start_is_an_error_and_writes_nothing(tmp_path):
    out = tmp_path / "observed.json"
    result = CliRunner().invoke(main, ["record", "--out", str(out), "--", str(tmp_path / "no-such-program")])
    assert result.exit_code == 2
    assert "cannot run" in result.output and "no-such-program" in result.output
    assert not out.exists()
    with pytest.raises(UsageError, match="no command to run"):
        record((), [tmp_path])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", r"observed.json:1:2: not valid JSON"),
        ('{"format": "other"}', "not a policygen recording"),
        (
            '{"format": "policygen-observed", "version": 9, "calls": []}',
            "format version 9; this policygen reads version 1",
        ),
        (
            '{"format": "policygen-observed", "version": 1, "calls": [{"service": "s3", "operation": "X", '
            '"method": "x", "region": null, "origin": "elsewhere", "test": null, "site": null}]}',
            r"calls\[0\]: 'origin' must be",
        ),
        (
            '{"format": "policygen-observed", "version": 1, "calls": [{"service": 3, "origin": "setup"}]}',
            r"calls\[0\]: 'service' is missing or of the wrong type",
        ),
    ],
)
def test_a_bad_recording_names_the_file_and_what_is_wrong(text, message):
    with pytest.raises(RecordingError, match=message):
        observed.parse(text, "observed.json")


def test_calls_without_a_test_or_a_region_sort_with_the_others(tmp_path):
    from policygen.record.run import collect

    def line(test, region):
        return json.dumps(
            {
                "service": "s3",
                "operation": "ListBuckets",
                "method": "list_buckets",
                "region": region,
                "parameters": {},
                "frames": [],
                "test": test,
            }
        )

    lines = "\n".join(
        [line("t.py::a (call)", "us-east-1"), line(None, None), line(None, "us-east-1"), line(None, None)]
    )
    calls = collect(lines, tmp_path, "calls.jsonl")
    assert [(c.test, c.region, c.count) for c in calls] == [
        (None, None, 2),
        (None, "us-east-1", 1),
        ("t.py::a", "us-east-1", 1),
    ]
    assert collect("\n".join(reversed(lines.splitlines())), tmp_path, "calls.jsonl") == calls
