"""Columns: a call's position is its line and its 1-based column in characters, from the parse
through the resolver to every output that shows the line (terminal, JSON, Markdown, SARIF)."""

from __future__ import annotations

import dataclasses

import pytest

from policygen.extract import ir, lower
from policygen.extract.lower import lower_source
from policygen.model import Location, Target
from policygen.options import Options
from policygen.pipeline import generate

SOURCE = '''import boto3

s3 = boto3.client("s3")


def handler(event, context):
    name = "é"; s3.get_object(Bucket="inbox", Key=name)
    if event:\tboto3.client("sqs").send_message(
            QueueUrl="https://sqs.us-east-1.amazonaws.com/123456789012/q", MessageBody="🙂" + str(
                len(name)))
    return s3.put_object(Bucket="inbox", Key="k", Body=b"")
'''


def _calls(node: object) -> list[ir.Call]:
    """Every call of a lowered module, in no particular order."""
    found = [node] if isinstance(node, ir.Call) else []
    if isinstance(node, tuple):
        for item in node:
            found.extend(_calls(item))
    elif dataclasses.is_dataclass(node):
        for field in dataclasses.fields(node):
            found.extend(_calls(getattr(node, field.name)))
    return found


def _positions(module: ir.ModuleIR) -> dict[str, set[tuple[int, int]]]:
    out: dict[str, set[tuple[int, int]]] = {}
    for call in _calls(module.body):
        name = call.func.attr if isinstance(call.func, ir.Attr) else getattr(call.func, "id", "?")
        out.setdefault(name, set()).add((call.line, call.column))
    return out


EXPECTED = {
    "client": {(3, 6), (8, 15)},
    "get_object": {(7, 17)},  # after `name = "é"; `: characters, not UTF-8 bytes (18)
    "send_message": {(8, 15)},  # a call starts where its callee does; a tab is one character
    "str": {(9, 94)},  # after an emoji, one character
    "len": {(10, 17)},
    "put_object": {(11, 12)},
}


def test_call_columns_are_1_based_characters():
    assert _positions(lower_source("app.py", "app", False, SOURCE.encode())) == EXPECTED


def test_libcst_positions_give_the_same_columns(monkeypatch):
    """When ast and libcst disagree on the calls, positions come from libcst's PositionProvider:
    the same lines and columns."""
    monkeypatch.setattr(lower, "_same_callee", lambda node, call: False)
    assert _positions(lower_source("app.py", "app", False, SOURCE.encode())) == EXPECTED


def test_evidence_and_the_terminal_carry_the_column(tmp_path):
    (tmp_path / "app.py").write_text(SOURCE)
    result = generate(tmp_path, Options(target=Target("aws", "us-east-1", "123456789012"), cache_dir=None))
    where = {p.action: [e.location for e in p.evidence] for p in result.permissions}
    assert where["s3:GetObject"] == [Location("app.py", 7, 17)]
    assert where["s3:PutObject"] == [Location("app.py", 11, 12)]
    assert where["sqs:SendMessage"] == [Location("app.py", 8, 15)]
    assert str(Location("app.py", 7, 17)) == "app.py:7:17"
    assert str(Location("app.py", 7)) == "app.py:7"  # a column not known is not shown


@pytest.mark.parametrize("cache", [False, True])
def test_the_cache_keeps_columns(tmp_path, cache):
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "app.py").write_text(SOURCE)
    options = Options(target=Target("aws", "us-east-1", "123456789012"), cache_dir=tmp_path / "cache" if cache else None)
    generate(tmp_path / "code", options)  # fills the cache
    again = generate(tmp_path / "code", options)  # reads it back
    locations = {e.location for p in again.permissions for e in p.evidence}
    assert {(loc.line, loc.column) for loc in locations} == {(7, 17), (8, 15), (11, 12)}
