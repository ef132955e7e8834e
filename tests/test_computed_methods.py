"""Methods named at run time: ``getattr(client, f"{mode}_object")(...)`` and ``getattr(client, name)``.

A name the analysis cannot spell is an unresolved item at the call (file:line, the operations it
can name, none granted; ``--strict`` fails). A name that is one of a few known strings grants each
of those operations and reports the grant as a widening. Run through the CLI's json-report."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from click.testing import CliRunner

from policygen.cli import main

ARGS = ["--no-cache", "--region", "us-east-1", "--account", "123456789012", "--env", "BUCKET=reports"]
OBJECTS = "arn:aws:s3:::reports/*"


def _run(tmp_path: Path, code: str, *extra: str) -> tuple[int, str, str]:
    (tmp_path / "app.py").write_text(textwrap.dedent(code))
    result = CliRunner().invoke(main, ["generate", str(tmp_path), "--format", "json-report", *ARGS, *extra])
    return result.exit_code, result.stdout, result.output


def _report(tmp_path: Path, code: str) -> dict:
    status, out, everything = _run(tmp_path, code)
    assert status == 0, everything
    report: dict = json.loads(out)
    return report


def _granted(report: dict) -> set[tuple[str, str]]:
    return {(p["action"], p["resource"]) for p in report["permissions"]}


def _s3_handler(body: str) -> str:
    """A module with an S3 client and a handler whose body is ``body``."""
    return 'import os, boto3\ns3 = boto3.client("s3")\n\ndef handler(event, context):\n' + textwrap.indent(
        textwrap.dedent(body).strip("\n"), "    "
    )


EVENT_MODE = """
    import os, boto3
    s3 = boto3.client("s3")

    def handler(event, context):
        mode = event["mode"]
        return getattr(s3, f"{mode}_object")(Bucket=os.environ["BUCKET"], Key=event["key"])
"""


def test_a_partly_known_method_name_is_unresolved_at_the_call_with_its_candidates(tmp_path):
    report = _report(tmp_path, EVENT_MODE)
    assert not {a for a, _ in _granted(report) if a.startswith("s3:")}
    (item,) = report["unresolved"]
    assert item["location"] == "app.py:7:12"
    assert item["reason"].startswith(
        "a method of s3 client whose name is computed at run time (getattr(..., '*_object')"
    )
    assert item["reason"].endswith(
        "which operation runs is unknown (candidates copy_object/delete_object/get_object/head_object/"
        "put_object/rename_object/restore_object), nothing is granted for it"
    )
    assert item["detail"] == "s3.*_object"


def test_strict_fails_on_a_dynamic_method_name_naming_the_line(tmp_path):
    status, _, everything = _run(tmp_path, EVENT_MODE, "--strict")
    assert status == 1
    assert "app.py:7:12: a method of s3 client whose name is computed at run time" in everything


def test_the_method_fetched_on_one_line_and_called_on_another_is_located_at_the_call(tmp_path):
    report = _report(
        tmp_path,
        """
        import os, boto3
        s3 = boto3.client("s3")

        def tidy(batch, mode):
            operation = getattr(s3, f"{mode}_object")
            return operation(Bucket=os.environ["BUCKET"], Key=f"reports/{batch}.json")

        def handler(event, context):
            for old in event["tidy"]:
                tidy(old, event.get("mode", "delete"))
        """,
    )
    assert [u["location"] for u in report["unresolved"]] == ["app.py:7:12"]


def test_an_unknown_name_lists_how_many_operations_it_could_be(tmp_path):
    report = _report(
        tmp_path,
        """
        import boto3
        sqs = boto3.client("sqs")

        def handler(event, context):
            return getattr(sqs, event["operation"])(QueueUrl=event["queue"])
        """,
    )
    (item,) = report["unresolved"]
    assert item["location"] == "app.py:6:12"
    assert "(candidates add_permission/cancel_message_move_task/change_message_visibility/" in item["reason"]
    assert "/delete_queue/... (23 in all)), nothing is granted for it" in item["reason"]
    assert not report["permissions"]


def test_a_name_from_a_literal_tuple_grants_exactly_those_operations_and_reports_the_widening(tmp_path):
    report = _report(
        tmp_path,
        _s3_handler(
            """
            for mode in ("get", "put"):
                getattr(s3, f"{mode}_object")(Bucket=os.environ["BUCKET"], Key=f"{event['id']}.json")
            """
        ),
    )
    granted = {(a, r) for a, r in _granted(report) if a.startswith("s3:")}
    assert granted == {
        ("s3:GetObject", OBJECTS.replace("*", "*.json")),
        ("s3:PutObject", OBJECTS.replace("*", "*.json")),
    }
    assert not report["unresolved"]
    computed = [w for w in report["widened"] if "named at run time" in w["reason"]]
    assert {w["action"] for w in computed} == {"s3:GetObject", "s3:PutObject"}
    assert all(w["location"] == "app.py:6:9" for w in computed)
    assert all("one of get_object, put_object" in w["reason"] for w in computed)


def test_a_name_chosen_by_branches_grants_each_branch(tmp_path):
    report = _report(
        tmp_path,
        _s3_handler(
            """
            if event.get("read"):
                verb = "get"
            else:
                verb = "delete"
            getattr(s3, verb + "_object")(Bucket=os.environ["BUCKET"], Key=event["key"])
            """
        ),
    )
    actions = {a for a, _ in _granted(report) if a.startswith("s3:")}
    assert actions == {"s3:GetObject", "s3:DeleteObject"}
    assert not report["unresolved"]


def test_a_literal_name_is_the_plain_call_without_a_widening(tmp_path):
    report = _report(
        tmp_path,
        _s3_handler(
            """
            return getattr(s3, "get_object")(Bucket=os.environ["BUCKET"], Key="a.json")
            """
        ),
    )
    assert _granted(report) >= {("s3:GetObject", "arn:aws:s3:::reports/a.json")}
    assert not report["widened"] and not report["unresolved"]
