"""The Athena query run by a SQL engine: the Trino SQL `build_query` writes is translated by
sqlglot to DuckDB's dialect and run over a table of the fixtures' records laid out as the
CloudTrail table AWS documents (struct ``useridentity``, ``resources`` an array of structs,
``requestparameters`` a JSON string, a ``timestamp`` partition); its rows, read as Athena returns
them (every value a string), must make the aggregate the local path computes from the same
records, for each of several principals at once, census included.

DuckDB is not Trino: two Trino functions DuckDB lacks (``map_filter`` and ``transform_values``)
are restated here over ``map_entries``, and DuckDB's regular expressions (RE2) stand in for
Trino's. So this checks the query's logic (what is filtered, grouped, unnested, folded and
counted), not Trino's own behaviour, which no test here can reach."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlglot
import trail_fixtures as fx
from sqlglot import exp

from policygen.trail import Aggregate, LocalTrail, Principal, Window
from policygen.trail.athena import ROW_COLUMNS, add_row, build_query, layout_of, parse_spec

duckdb = pytest.importorskip("duckdb", reason="a dev dependency (pip install -e '.[dev]')")

TABLE = """CREATE TABLE cloudtrail_logs (
  eventversion VARCHAR,
  useridentity STRUCT(type VARCHAR, principalid VARCHAR, arn VARCHAR, accountid VARCHAR, invokedby VARCHAR,
    sessioncontext STRUCT(sessionissuer STRUCT(type VARCHAR, principalid VARCHAR, arn VARCHAR,
      accountid VARCHAR, username VARCHAR))),
  eventtime VARCHAR, eventsource VARCHAR, eventname VARCHAR, awsregion VARCHAR, errorcode VARCHAR,
  requestparameters VARCHAR, eventid VARCHAR,
  resources STRUCT(arn VARCHAR, accountid VARCHAR, type VARCHAR)[],
  eventtype VARCHAR, recipientaccountid VARCHAR, {census} "timestamp" VARCHAR
)"""


def _identity(identity: dict[str, Any] | None) -> dict[str, Any] | None:
    if identity is None:
        return None
    issuer = (identity.get("sessionContext") or {}).get("sessionIssuer")
    return {
        "type": identity.get("type"),
        "principalid": identity.get("principalId"),
        "arn": identity.get("arn"),
        "accountid": identity.get("accountId"),
        "invokedby": identity.get("invokedBy"),
        "sessioncontext": {
            "sessionissuer": None
            if issuer is None
            else {
                "type": issuer.get("type"),
                "principalid": issuer.get("principalId"),
                "arn": issuer.get("arn"),
                "accountid": issuer.get("accountId"),
                "username": issuer.get("userName"),
            }
        },
    }


def _row(record: dict[str, Any], census: str) -> tuple[Any, ...]:
    params = record.get("requestParameters")
    resources = [
        {"arn": r.get("ARN"), "accountid": r.get("accountId"), "type": r.get("type")}
        for r in record.get("resources") or []
    ]
    values: list[Any] = [
        record.get("eventVersion"), _identity(record.get("userIdentity")), record.get("eventTime"),
        record.get("eventSource"), record.get("eventName"), record.get("awsRegion"), record.get("errorCode"),
        None if params is None else json.dumps(params), record.get("eventID"), resources or None,
        record.get("eventType"), record.get("recipientAccountId"),
    ]  # fmt: skip
    if census == "eventcategory":
        values.append(record.get("eventCategory"))
    elif census == "managementevent":
        values.append(record.get("managementEvent"))
    values.append(record["eventTime"][:10].replace("-", "/"))  # delivered under the day it happened
    return tuple(values)


def _trino_to_duckdb(query: str) -> str:
    """The query in DuckDB's dialect; ``map_filter(m, (k, v) -> c)`` and ``transform_values(m,
    (k, v) -> e)`` restated over ``map_entries`` (DuckDB has neither)."""

    def entry_lambda(lam: exp.Lambda, body: Any) -> exp.Lambda:
        key, value = (i.name for i in lam.expressions)

        def field(node: exp.Expression) -> exp.Expression:
            named = isinstance(node, exp.Identifier | exp.Column) and node.name in (key, value)
            if named and not isinstance(node.parent, exp.Dot | exp.Column):
                name = "key" if node.name == key else "value"
                return exp.Dot(this=exp.column("e"), expression=exp.to_identifier(name))
            return node

        return exp.Lambda(this=body(lam.this.copy().transform(field)), expressions=[exp.to_identifier("e")])

    def entry(body: exp.Expression) -> exp.Expression:
        key = exp.Dot(this=exp.column("e"), expression=exp.to_identifier("key"))
        return exp.Struct(
            expressions=[
                exp.PropertyEQ(this=exp.to_identifier("key"), expression=key),
                exp.PropertyEQ(this=exp.to_identifier("value"), expression=body),
            ]
        )

    def restate(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Anonymous) and node.name.lower() in ("map_filter", "transform_values"):
            mapping, lam = node.expressions
            entries = exp.func("map_entries", mapping)
            if node.name.lower() == "map_filter":
                listed = exp.func("list_filter", entries, entry_lambda(lam, lambda b: b))
            else:
                listed = exp.func("list_transform", entries, entry_lambda(lam, entry))
            return exp.func("map_from_entries", listed)
        return node

    tree = sqlglot.parse_one(query, read="trino")
    while any(
        isinstance(n, exp.Anonymous) and n.name.lower() in ("map_filter", "transform_values") for n in tree.walk()
    ):
        tree = tree.transform(restate)
    return tree.sql(dialect="duckdb")


def _athena_value(value: Any) -> str | None:
    """A value as Athena's GetQueryResults gives it: a string (VarCharValue), or absent for NULL."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def run(records: list[dict[str, Any]], principals: list[Principal], window: Window, census: str) -> list[Aggregate]:
    """The aggregates the query's rows make, run by DuckDB over ``records``."""
    columns = [
        "eventversion", "useridentity", "eventtime", "eventsource", "eventname", "awsregion", "errorcode",
        "requestparameters", "eventid", "resources", "eventtype", "recipientaccountid",
    ]  # fmt: skip
    definition = {
        "StorageDescriptor": {"Columns": [{"Name": c} for c in [*columns, census] if c]},
        "PartitionKeys": [{"Name": "timestamp"}],
        "Parameters": {"projection.timestamp.format": "yyyy/MM/dd"},
    }
    query = build_query(
        parse_spec("athena://cloudtrail_logs?database=trails"), layout_of(definition), principals, window, True
    )
    connection = duckdb.connect()
    census_column = {"eventcategory": "eventcategory VARCHAR,", "managementevent": "managementevent BOOLEAN,"}
    connection.execute(TABLE.format(census=census_column.get(census, "")))
    width = len(columns) + (2 if census else 1)
    connection.executemany(
        f"INSERT INTO cloudtrail_logs VALUES ({', '.join('?' * width)})", [_row(r, census) for r in records]
    )
    sql = _trino_to_duckdb(query).replace('"AwsDataCatalog"."trails"."cloudtrail_logs"', "cloudtrail_logs")
    cursor = connection.execute(sql)
    names = [d[0] for d in cursor.description]
    assert names == list(ROW_COLUMNS)
    totals = [Aggregate() for _ in principals]
    for values in cursor.fetchall():
        add_row(totals, {n: _athena_value(v) for n, v in zip(names, values, strict=True)})
    return totals


SHIPPING_ROLE = f"arn:aws:iam::{fx.ACCOUNT}:role/shipping-role"
PRINCIPALS = [
    Principal(fx.ROLE),
    Principal(SHIPPING_ROLE, "shipping-fn"),
    Principal(session_name="shipping-fn"),  # the same calls as the one before: counted for both
    Principal(
        role_pattern=rf"arn:aws:iam::{fx.ACCOUNT}:role/shop\-OrdersRole\-.+",
        session_pattern=r"shop\-Orders\-.+",
        hint="shop-OrdersRole-",
    ),
    Principal(session_name="nobody"),
]


def _records() -> list[dict[str, Any]]:
    records = [
        *fx.records(480),
        *fx.as_principal(fx.records(160), "shipping-role", "shipping-fn", "shipping"),
        *fx.as_principal(fx.records(160), "shop-OrdersRole-1A2B3C", "shop-Orders-9Z8Y7X", "shop"),
    ]
    other = json.loads(json.dumps(next(r for r in records if r["eventName"] == "GetObject")))
    other["userIdentity"] = {"type": "IAMUser", "arn": f"arn:aws:iam::{fx.ACCOUNT}:user/analyst"}
    records.append(other)  # another principal's data event: in the census only
    for record in records:  # the fixtures mark GetCallerIdentity "Data" and a management event
        record["eventCategory"] = "Management" if record["managementEvent"] else "Data"
    return records


def _census(records: list[dict[str, Any]], window: Window) -> dict[str, int]:
    counted: dict[str, int] = {}
    for record in records:
        if record.get("eventCategory") == "Data" and window.holds_time(record["eventTime"]):
            counted[record["eventSource"]] = counted.get(record["eventSource"], 0) + 1
    return counted


@pytest.mark.parametrize(
    "window",
    [Window(), Window(fx.START + timedelta(minutes=10), fx.START + timedelta(minutes=40))],
    ids=["all", "window"],
)
@pytest.mark.parametrize("census", ["eventcategory", "managementevent"])
def test_the_query_run_by_an_engine_makes_the_local_aggregate_of_each_principal(
    tmp_path: Path, window: Window, census: str
) -> None:
    records = _records()
    path = tmp_path / "trail.json"
    path.write_text(json.dumps({"Records": records}))
    remote = run(records, PRINCIPALS, window, census)
    for principal, engine in zip(PRINCIPALS, remote, strict=True):
        local = LocalTrail(path, jobs=1).read(principal, window, census=True)
        assert [(k, vars(s)) for k, s in engine.sorted_calls()] == [(k, vars(s)) for k, s in local.sorted_calls()]
        assert engine.matched == local.matched and engine.identities == local.identities
        if window == Window():
            assert engine.data_sources == local.data_sources  # the census, from either column
        else:
            # the query counts the data events of the window; the local census counts those of
            # the files the window reads (by the bytes, records outside the window too): both
            # say whether the trail logs a source's data events, with different counts
            assert engine.data_sources == _census(records, window)
            assert all(local.data_sources[s] >= n for s, n in engine.data_sources.items())
    orders, shipping, by_session, shop, nobody = remote
    assert orders.matched and shop.matched and not nobody.matched
    assert shipping.calls == by_session.calls and shipping.matched > 0
    assert any(key[5] and key[5][-1] == ("key", "") for key in orders.calls)  # S3 object calls folded
    assert any(seen.keys_differ for seen in orders.calls.values())
    assert any(key[2] == "AccessDenied" for key in orders.calls)  # the denied call kept apart


def test_without_a_census_column_the_engine_counts_no_data_event(tmp_path: Path) -> None:
    records = _records()
    (orders,) = run(records, PRINCIPALS[:1], Window(), "")
    path = tmp_path / "trail.json"
    path.write_text(json.dumps({"Records": records}))
    local = LocalTrail(path, jobs=1).read(PRINCIPALS[0], Window(), census=True)
    assert orders.data_sources == {} and local.data_sources  # unknown, which the aggregate says apart
    assert [(k, vars(s)) for k, s in orders.sorted_calls()] == [(k, vars(s)) for k, s in local.sorted_calls()]
