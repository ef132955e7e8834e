"""The resolver's bounds on value size, and the order it calls several callees in.

Large trees (cloud-custodian) build dicts step by step in helpers and read their entries through
many layers of unknowns; without bounds the values grew without end (minutes and gigabytes).
What a bound widens must still be reported (widened or unresolved, with where and why), never
dropped or granted silently; small cases keep their precision.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from click.testing import CliRunner
from seeds import SEEDS, reports_across_hash_seeds

from policygen.cli import main
from policygen.model import Text
from policygen.resolve.values import (
    MANY_UNKNOWNS,
    MAX_UNKNOWNS,
    ClientV,
    DictV,
    ResourceV,
    SdkMethod,
    Str,
    Unknown,
    in_stable_order,
    one,
    stable_text,
    union,
)

DDB = "arn:aws:dynamodb:us-east-1:123456789012:table/"


def report(tmp_path: Path, code: str) -> dict:
    (tmp_path / "app.py").write_text(textwrap.dedent(code))
    args = ["generate", str(tmp_path), "--no-cache", "--format", "json-report"]
    args += ["--region", "us-east-1", "--account", "123456789012"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    out: dict = json.loads(result.stdout)
    return out


def line_of(tmp_path: Path, text: str) -> str:
    """``app.py:LINE:COL`` of the call on the line holding ``text``, which starts its line."""
    lines = (tmp_path / "app.py").read_text().splitlines()
    number, line = next((i, line) for i, line in enumerate(lines, 1) if text in line)
    return f"app.py:{number}:{len(line) - len(line.lstrip()) + 1}"


def granted(out: dict) -> set[tuple[str, str]]:
    return {(p["action"], p["resource"]) for p in out["permissions"]}


# -- unknowns: a few reasons are kept, many read as one -----------------------------------------


def test_a_few_unknown_reasons_are_kept_apart():
    reasons = [Unknown(f"reason {i}") for i in range(MAX_UNKNOWNS)]
    merged = union(*(one(r) for r in reasons), one(Str(Text.of("known"))))
    assert set(reasons) <= merged
    assert MANY_UNKNOWNS not in merged


def test_many_unknown_reasons_read_as_one_and_stay_so():
    merged = union(*(one(Unknown(f"reason {i}")) for i in range(MAX_UNKNOWNS + 1)), one(Str(Text.of("known"))))
    assert merged == frozenset({MANY_UNKNOWNS, Str(Text.of("known"))})
    # Absorbing: what is added later is already covered, so the fixed point does not churn.
    assert union(merged, one(Unknown("another reason"))) == merged


def test_a_table_name_from_many_unknown_sources_is_widened_and_said(tmp_path):
    out = report(
        tmp_path,
        """
        import boto3

        def handler(event, context):
            table = event["a"]["x"]
            if event.get("b"):
                table = event["b"]["y"]
            if event.get("c"):
                table = event["c"][0]
            if event.get("d"):
                table = context.name
            if event.get("e"):
                table = event["e"]["z"]["w"]
            if event.get("f"):
                table = "orders"
            boto3.client("dynamodb").get_item(TableName=table, Key={})
        """,
    )
    assert ("dynamodb:GetItem", DDB + "orders") in granted(out)
    assert ("dynamodb:GetItem", DDB + "*") in granted(out)
    widened = [w for w in out["widened"] if w["action"] == "dynamodb:GetItem"]
    assert widened and all(w["location"] == line_of(tmp_path, "get_item") for w in widened)
    assert any(MANY_UNKNOWNS.reason in w["reason"] for w in widened), widened


# -- a dict built step by step across many calls -------------------------------------------------

BUILT_BY_A_HELPER = """
import boto3

def add(request, table, key):
    request.setdefault(table, []).append({{"DeleteRequest": {{"Key": key}}}})

def handler(event, context):
    request = {{}}
{calls}
    boto3.client("dynamodb").batch_write_item(RequestItems=request)
"""


def _built(tables: list[str]) -> str:
    calls = "".join(f'    add(request, "{t}", {{"id": {{"S": "{i}"}}}})\n' for i, t in enumerate(tables))
    return BUILT_BY_A_HELPER.format(calls=calls)


def test_a_dict_a_helper_fills_in_a_few_calls_names_each_table(tmp_path):
    out = report(tmp_path, _built(["orders", "audit", "orders"]))
    assert {r for a, r in granted(out) if a == "dynamodb:BatchWriteItem"} == {DDB + "orders", DDB + "audit"}
    assert not [w for w in out["widened"] if w["action"] == "dynamodb:BatchWriteItem"]


def test_a_dict_a_helper_fills_in_many_calls_is_widened_where_it_is_used(tmp_path):
    tables = [f"table{i:02}" for i in range(30)]
    out = report(tmp_path, _built(tables))
    writes = {r for a, r in granted(out) if a == "dynamodb:BatchWriteItem"}
    # Past the bound the tables are no longer named one by one: the grant is widened, and the
    # widening names the call and why; no table outside the code is named.
    assert DDB + "*" in writes
    assert writes <= {DDB + "*", *(DDB + t for t in tables)}
    widened = [w for w in out["widened"] if w["action"] == "dynamodb:BatchWriteItem"]
    assert widened, out["widened"]
    assert {w["location"] for w in widened} == {line_of(tmp_path, "batch_write_item")}
    assert all(w["reason"] for w in widened)


# -- the order several callees are called in ----------------------------------------------------

ORDER_SCRIPT = """
from policygen.model import Text
from policygen.resolve.values import ClientV, ResourceV, SdkMethod, Str, in_stable_order, stable_text
def bucket(*names):
    return ResourceV("s3", "Bucket", (("name", frozenset(Str(Text.of(n)) for n in names)),))
funcs = [SdkMethod(bucket("a", "b", "c"), "delete"), SdkMethod(bucket("a", "b", "d"), "delete"),
         SdkMethod(bucket("c", "b", "a", "e"), "delete"), SdkMethod(ClientV("s3"), "list_buckets")]
print([stable_text(f) for f in in_stable_order(frozenset(funcs))])
"""


def test_callees_whose_receivers_hold_sets_are_ordered_alike_whatever_the_hash_seed():
    outputs = set()
    for seed in SEEDS:
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run([sys.executable, "-c", ORDER_SCRIPT], env=env, capture_output=True, text=True, check=True)
        outputs.add(run.stdout)
    assert len(outputs) == 1, outputs


def test_stable_text_sorts_sets_and_stops_at_its_depth():
    names = frozenset(Str(Text.of(n)) for n in ("b", "a"))
    assert stable_text(names) == "{Str('a'),Str('b')}"
    deep = DictV(((Str(Text.of("k")), one(DictV(((Str(Text.of("j")), names),)))),))
    assert stable_text(deep, 2) == "DictV(((2)),True)"
    method = SdkMethod(ResourceV("s3", "Bucket", (("name", names),)), "delete")
    assert stable_text(method) == stable_text(SdkMethod(ResourceV("s3", "Bucket", (("name", names),)), "delete"))


def test_ties_in_the_shallow_order_are_broken_by_the_whole_value():
    def bucket(*names: str) -> SdkMethod:
        identifiers = (("name", frozenset(Str(Text.of(n)) for n in names)),)
        return SdkMethod(ResourceV("s3", "Bucket", (("x", one(DictV(identifiers))),)), "delete")

    first, second = bucket("a", "b"), bucket("a", "c")
    assert stable_text(first, 3) == stable_text(second, 3)  # a tie at the shallow depth
    assert in_stable_order([second, first]) == [first, second]
    assert in_stable_order([first, second]) == [first, second]
    assert in_stable_order([SdkMethod(ClientV("sqs"), "x"), SdkMethod(ClientV("s3"), "x")])[0].receiver == ClientV("s3")


def test_a_call_on_either_of_two_resources_is_byte_identical_across_hash_seeds(tmp_path):
    (tmp_path / "app.py").write_text(
        textwrap.dedent(
            """
            import boto3

            s3 = boto3.resource("s3")

            def handler(event, context):
                first = s3.Bucket("in-a" if event.get("a") else "in-b")
                second = s3.Bucket("out-a" if event.get("b") else "out-c")
                chosen = first if event.get("first") else second
                chosen.objects.filter(Prefix="raw/").delete()
                (first if event.get("x") else second).Object("k").put(Body=b"")
            """
        )
    )
    outputs = reports_across_hash_seeds(tmp_path)
    assert len(outputs) == 1
    assert "arn:aws:s3:::out-c/k" in outputs.pop()
