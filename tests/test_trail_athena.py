"""A trail read by one Athena query (policygen/trail/athena.py): the query text (validated names,
escaped literals, partition predicates per table layout), its rows mapped into the aggregate the
local path computes, polling with backoff, failures and timeouts, paginated results. moto's Athena
runs no SQL: its results queue (``/moto-api/static/athena/query-results``) answers with the rows the
query returns for the fixture's records, computed here by `expected_rows`, an independent reading
of what the SQL groups; states and errors moto cannot produce are answered by botocore's Stubber."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import sqlglot
import trail_fixtures as fx
from botocore.stub import ANY, Stubber
from click.testing import CliRunner
from moto import mock_aws
from moto.athena.models import QueryResults, athena_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_api import state_manager

from policygen.cli import main
from policygen.errors import UsageError
from policygen.trail import Aggregate, LocalTrail, Principal, Window
from policygen.trail.athena import ROW_COLUMNS, AthenaTrail, Layout, Table, build_query, layout_of, parse_spec

ROLE = Principal(fx.ROLE)
REGION = "us-east-1"
SPEC = "athena://cloudtrail_logs?database=trails&workgroup=primary&output=s3://athena-results-123/q/"
COLUMNS = [
    "eventversion", "useridentity", "eventtime", "eventsource", "eventname", "awsregion", "sourceipaddress",
    "useragent", "errorcode", "errormessage", "requestparameters", "responseelements", "requestid", "eventid",
    "resources", "eventtype", "readonly", "recipientaccountid", "eventcategory",
]  # fmt: skip


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


# -- the query text -------------------------------------------------------------------------------


def test_spec_names_are_validated() -> None:
    table = parse_spec(SPEC)
    assert table == Table("cloudtrail_logs", "trails", "primary", "s3://athena-results-123/q/")
    assert table.quoted() == '"AwsDataCatalog"."trails"."cloudtrail_logs"'
    for bad, message in [
        ('athena://logs";DROP TABLE x;--?database=d', "not a name Athena reads"),
        ("athena://logs?database=my db", "not a name Athena reads"),
        ("athena://logs?database=d&catalog=a.b", "not a name Athena reads"),
        ("athena://logs?database=d&wokgroup=primary", "unknown parameter(s) wokgroup"),
        ("athena://logs?database=d&output=/tmp/x", "output must be an s3:// location"),
        ("athena://logs?database=d&workgroup=a b", "not a workgroup name"),
        ("athena://logs/more?database=d", "unexpected path /more"),
        ("athena://?database=d", "not a name Athena reads"),
    ]:
        with pytest.raises(UsageError, match=re.escape(message)):
            parse_spec(bad)


WINDOW = Window(
    datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 30, 12, tzinfo=UTC), frozenset({"eu-west-1"})
)


def _where(query: str) -> str:
    tree = sqlglot.parse_one(query, read="trino")  # one statement: nothing was injected
    inner = [w for w in tree.find_all(sqlglot.exp.Where)]
    assert len(inner) == 1
    return inner[0].sql(dialect="trino")


def test_literals_are_escaped_and_the_query_is_one_statement() -> None:
    hostile = Principal("arn:aws:iam::123456789012:role/x' OR '1'='1", "fn'; DROP TABLE t; --")
    query = build_query(parse_spec(SPEC), Layout(), [hostile], Window())
    where = _where(query)
    assert "sessionissuer.arn = 'arn:aws:iam::123456789012:role/x'' OR ''1''=''1'" in where
    assert "'') = 'fn''; DROP TABLE t; --'" in where
    with pytest.raises(UsageError, match="control character"):
        build_query(parse_spec(SPEC), Layout(), [Principal("arn:aws:iam::1:role/a\nb")], Window())


@pytest.mark.parametrize(
    ("definition", "expected", "absent"),
    [
        (  # partition projection, as AWS documents it for CloudTrail
            {"PartitionKeys": [{"Name": "timestamp"}], "Parameters": {"projection.timestamp.format": "yyyy/MM/dd"}},
            ["\"timestamp\" >= '2026/10/31'", "\"timestamp\" <= '2026/12/01'"],
            ["region"],
        ),
        (  # partitions added by hand: region, year, month, day
            {"PartitionKeys": [{"Name": k} for k in ("region", "year", "month", "day")]},
            ["\"year\" >= '2026'", "CONCAT(\"year\", \"month\", \"day\") >= '20261031'",
             "CONCAT(\"year\", \"month\", \"day\") <= '20261201'", "\"region\" IN ('eu-west-1')"],
            ["timestamp"],
        ),
        ({}, [], ["timestamp", "year", "region"]),  # not partitioned: eventtime alone
        (  # a format that is not a day: not used to bound the partitions
            {"PartitionKeys": [{"Name": "timestamp"}], "Parameters": {"projection.timestamp.format": "yyyy/MM/dd/HH"}},
            [], ["\"timestamp\""],
        ),
    ],
)  # fmt: skip
def test_partition_predicates_follow_the_table_layout(
    definition: dict[str, Any], expected: list[str], absent: list[str]
) -> None:
    where = _where(build_query(parse_spec(SPEC), layout_of(definition), [ROLE], WINDOW))
    assert "eventtime >= '2026-11-01T00:00:00Z'" in where and "eventtime <= '2026-11-30T12:00:00Z'" in where
    for text in expected:
        assert text in where
    for text in absent:
        assert text not in where


def test_a_table_without_the_cloudtrail_columns_is_refused() -> None:
    layout = layout_of({"StorageDescriptor": {"Columns": [{"Name": "id"}, {"Name": "eventname"}]}})
    with pytest.raises(UsageError, match="no column eventsource, eventtime, useridentity, requestparameters"):
        build_query(parse_spec(SPEC), layout, [ROLE], Window())


# -- what the query returns, read independently of policygen's code --------------------------------

NAMING = re.compile(r"(?:^name|^key|Name|Id|Arn|ARN|Url|Identifier)$")


def _is_call_of(record: dict[str, Any], principal: Principal) -> bool:
    identity = record.get("userIdentity") or {}
    issuer = ((identity.get("sessionContext") or {}).get("sessionIssuer") or {}).get("arn")
    if record.get("eventType") not in (None, "AwsApiCall"):
        return False
    if principal.role_arn and issuer != principal.role_arn:
        return False
    if principal.session_name:
        arn = str(identity.get("arn") or "")
        session = arn.rsplit("/", 1)[-1] if ":assumed-role/" in arn else ""
        return identity.get("type") == "AssumedRole" and session == principal.session_name
    return True


def expected_rows(records: list[dict[str, Any]], principals: list[Principal]) -> list[list[str | None]]:
    """The rows the SQL returns for ``records``, by its own rules: each principal's API calls
    (``who``: its index) grouped by caller, source, name, error, region, account, the string
    request parameters that name a resource (per-request ones dropped, log stream names blanked),
    whether it is an S3 object call, and (for other calls) the first 8 distinct resource ARNs; per
    group the count, the earliest time+id, the last time, and the least and greatest object key.
    Every data event (of any principal) is also grouped by its event source alone (``who`` -1:
    the census)."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in records:
        if r.get("eventCategory") == "Data":
            groups.setdefault((-1, True, "", r["eventSource"], "", "", "", "", "{}", False, ""), []).append(
                {**r, "_key": None}
            )
        for who, principal in enumerate(principals):
            if not _is_call_of(r, principal):
                continue
            params = r.get("requestParameters") if isinstance(r.get("requestParameters"), dict) else {}
            named = {
                k: ("" if k == "logStreamName" else v)
                for k, v in params.items()
                if NAMING.search(k)
                and k not in {"clientToken", "uploadId", "requestId", "versionId", "ClientRequestToken", "key"}
                and isinstance(v, str)
                and 1 <= len(v) <= 1024
            }
            key = params.get("key") if "bucketName" in params and isinstance(params.get("key"), str) else None
            arns = "" if key is not None else " ".join(sorted({x["ARN"] for x in r.get("resources") or []})[:8])
            group = (who, False, r["userIdentity"]["arn"], r["eventSource"], r["eventName"], r.get("errorCode") or "",
                     r["awsRegion"], r["recipientAccountId"], json.dumps(named, sort_keys=True), key is not None, arns)  # fmt: skip
            groups.setdefault(group, []).append({**r, "_key": key})
    rows = []
    for group, members in sorted(groups.items()):
        keys = [m["_key"] for m in members if m["_key"] is not None]
        rows.append(
            [
                str(group[0]),
                "true" if group[1] else "false",
                *group[2:9],
                "true" if group[9] else "false",
                group[10],
                str(len(members)),
                min(f"{m['eventTime']}\t{m['eventID']}" for m in members),
                max(m["eventTime"] for m in members),
                min(keys) if keys else None,
                max(keys) if keys else None,
            ]
        )
    return rows


def _queue(rows: list[list[str | None]], header: bool = True) -> None:
    """Queue the rows moto's Athena answers the next query with, straight into its backend (the
    in-process equivalent of moto's query-results API; nothing leaves the process)."""

    def data(values: list[str | None]) -> dict[str, Any]:
        return {"Data": [{"VarCharValue": v} if v is not None else {} for v in values]}

    results = QueryResults(
        rows=([data(list(ROW_COLUMNS))] if header else []) + [data(r) for r in rows],
        column_info=[{"Name": c, "Type": "varchar"} for c in ROW_COLUMNS],
    )
    athena_backends[DEFAULT_ACCOUNT_ID][REGION].query_results_queue.append(results)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        glue = boto3.client("glue")
        glue.create_database(DatabaseInput={"Name": "trails"})
        glue.create_table(
            DatabaseName="trails",
            TableInput={
                "Name": "cloudtrail_logs",
                "StorageDescriptor": {"Columns": [{"Name": c, "Type": "string"} for c in COLUMNS]},
                "PartitionKeys": [{"Name": "timestamp", "Type": "string"}],
                "Parameters": {"projection.enabled": "true", "projection.timestamp.format": "yyyy/MM/dd"},
            },
        )
        yield {"athena": boto3.client("athena"), "glue": glue}
        state_manager.unset_transition("athena::execution")


def _calls(aggregate: Aggregate) -> list[Any]:
    return [(k, vars(s)) for k, s in aggregate.sorted_calls()]


def test_rows_become_the_aggregate_of_the_local_path(aws: dict[str, Any], tmp_path: Path) -> None:
    records = list(fx.records(480))
    other = json.loads(json.dumps(next(r for r in records if r["eventName"] == "GetObject")))
    other["userIdentity"] = {"type": "IAMUser", "arn": f"arn:aws:iam::{fx.ACCOUNT}:user/analyst"}
    records.append(other)  # another principal's data event: in the census only
    path = tmp_path / "trail.json"
    path.write_text(json.dumps({"Records": records}))
    local = LocalTrail(path, jobs=1).read(ROLE, Window(), census=True)
    rows = expected_rows(records, [ROLE])
    # 360 calls of the role in 10 groups, a census row per event source of data events (any
    # principal's): the query never returns records
    assert len(rows) == 14 and len([r for r in rows if r[0] == "-1"]) == 4
    _queue(rows)
    time = FakeTime()
    trail = AthenaTrail(
        parse_spec(SPEC), clock=time.clock, sleep=time.sleep, client=aws["athena"], glue=aws["glue"]
    )
    remote = trail.read(ROLE, Window(), census=True)
    assert not remote.errors
    assert _calls(remote) == _calls(local) and remote.matched == local.matched == 360
    assert remote.identities == local.identities and len(remote.identities) == 1
    census: dict[str, int] = {}
    for r in records:
        if r["eventCategory"] == "Data":
            census[r["eventSource"]] = census.get(r["eventSource"], 0) + 1
    assert remote.data_sources == local.data_sources == census and census["s3.amazonaws.com"] == 91
    # the query ran in the workgroup asked, bounded by the projected partition
    executions = aws["athena"].list_query_executions()["QueryExecutionIds"]
    sent = aws["athena"].get_query_execution(QueryExecutionId=executions[0])["QueryExecution"]
    assert sent["WorkGroup"] == "primary" and sent["ResultConfiguration"]["OutputLocation"].startswith(
        "s3://athena-results-123/q/"
    )
    assert sent["QueryExecutionContext"] == {"Database": "trails", "Catalog": "AwsDataCatalog"}
    assert (
        "sessionissuer.arn = " in sent["Query"]
        and '"AwsDataCatalog"."trails"."cloudtrail_logs"' in sent["Query"]
    )


def test_polling_waits_longer_each_time_until_the_query_is_done(aws: dict[str, Any]) -> None:
    state_manager.set_transition("athena::execution", {"progression": "manual", "times": 4})
    _queue([])
    time = FakeTime()
    trail = AthenaTrail(
        parse_spec(SPEC), clock=time.clock, sleep=time.sleep, client=aws["athena"], glue=aws["glue"]
    )
    remote = trail.read(ROLE, Window())
    assert not remote.errors and not remote.calls
    # QUEUED then RUNNING, 4 polls each: 7 waits, doubling from half a second, 10 s at most
    assert time.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def _stubbed(aws: dict[str, Any]) -> tuple[Any, Stubber]:
    client = boto3.client("athena")
    return client, Stubber(client)


def test_failed_and_cancelled_queries_name_the_query_and_the_reason(aws: dict[str, Any]) -> None:
    for state, status in [
        (
            "FAILED",
            {
                "State": "FAILED",
                "StateChangeReason": "TABLE_NOT_FOUND: line 12:10: Table 'trails.cloudtrail_logs' does not exist",
            },
        ),
        ("CANCELLED", {"State": "CANCELLED", "AthenaError": {"ErrorMessage": "Query cancelled by user"}}),
    ]:
        client, stubber = _stubbed(aws)
        stubber.add_response(
            "start_query_execution",
            {"QueryExecutionId": "q-1"},
            {
                "QueryString": ANY,
                "QueryExecutionContext": ANY,
                "WorkGroup": "primary",
                "ResultConfiguration": ANY,
            },
        )
        stubber.add_response("get_query_execution", {"QueryExecution": {"Status": {"State": "RUNNING"}}})
        stubber.add_response("get_query_execution", {"QueryExecution": {"Status": status}})
        with stubber:
            remote = AthenaTrail(
                parse_spec(SPEC),
                clock=FakeTime().clock,
                sleep=FakeTime().sleep,
                client=client,
                glue=aws["glue"],
            ).read(ROLE, Window())
        reason = status.get("StateChangeReason") or "Query cancelled by user"
        assert [str(e) for e in remote.errors] == [
            f"athena://cloudtrail_logs?database=trails: query q-1 {state}: {reason}"
        ]


def test_a_query_past_the_timeout_is_stopped(aws: dict[str, Any]) -> None:
    client, stubber = _stubbed(aws)
    stubber.add_response("start_query_execution", {"QueryExecutionId": "q-2"})
    for _ in range(4):
        stubber.add_response("get_query_execution", {"QueryExecution": {"Status": {"State": "RUNNING"}}})
    stubber.add_response("stop_query_execution", {}, {"QueryExecutionId": "q-2"})
    time = FakeTime()
    with stubber:
        remote = AthenaTrail(
            parse_spec(SPEC), timeout=5.0, clock=time.clock, sleep=time.sleep, client=client, glue=aws["glue"]
        ).read(ROLE, Window())
        stubber.assert_no_pending_responses()
    assert time.sleeps == [0.5, 1.0, 2.0]  # 3.5 s; the next wait (4 s) would pass 5 s
    assert [e.message for e in remote.errors] == [
        "query q-2 still RUNNING after 5s: stopped; narrow --since/--until or --trail-region"
    ]


def test_results_are_read_page_by_page(aws: dict[str, Any], tmp_path: Path) -> None:
    records = list(fx.records(480))
    rows = expected_rows(records, [ROLE])
    client, stubber = _stubbed(aws)
    stubber.add_response("start_query_execution", {"QueryExecutionId": "q-3"})
    stubber.add_response("get_query_execution", {"QueryExecution": {"Status": {"State": "SUCCEEDED"}}})

    def page(values: list[list[str | None]], token: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ResultSet": {
                "Rows": [{"Data": [{"VarCharValue": v} if v is not None else {} for v in r]} for r in values],
                "ResultSetMetadata": {"ColumnInfo": [{"Name": c, "Type": "varchar"} for c in ROW_COLUMNS]},
            }
        }
        if token:
            out["NextToken"] = token
        return out

    header = [list(ROW_COLUMNS)]
    stubber.add_response(
        "get_query_results", page(header + rows[:4], "t1"), {"QueryExecutionId": "q-3", "MaxResults": 5}
    )
    stubber.add_response(
        "get_query_results",
        page(rows[4:9], "t2"),
        {"QueryExecutionId": "q-3", "MaxResults": 5, "NextToken": "t1"},
    )
    stubber.add_response(
        "get_query_results",
        page(rows[9:], None),
        {"QueryExecutionId": "q-3", "MaxResults": 5, "NextToken": "t2"},
    )
    with stubber:
        remote = AthenaTrail(
            parse_spec(SPEC),
            page_size=5,
            clock=FakeTime().clock,
            sleep=FakeTime().sleep,
            client=client,
            glue=aws["glue"],
        ).read(ROLE, Window())
        stubber.assert_no_pending_responses()
    path = tmp_path / "trail.json"
    path.write_text(json.dumps({"Records": records}))
    assert _calls(remote) == _calls(LocalTrail(path, jobs=1).read(ROLE, Window())) and not remote.errors


def test_another_catalog_is_described_by_athena_and_a_missing_table_is_an_error(aws: dict[str, Any]) -> None:
    client, stubber = _stubbed(aws)
    stubber.add_response(
        "get_table_metadata",
        {
            "TableMetadata": {
                "Name": "logs",
                "Columns": [{"Name": c} for c in COLUMNS],
                "PartitionKeys": [{"Name": "region"}],
            }
        },
        {"CatalogName": "lake", "DatabaseName": "trails", "TableName": "logs"},
    )
    stubber.add_response("start_query_execution", {"QueryExecutionId": "q-4"})
    stubber.add_response(
        "get_query_execution",
        {"QueryExecution": {"Status": {"State": "FAILED", "StateChangeReason": "boom"}}},
    )
    with stubber:
        table = parse_spec("athena://logs?database=trails&catalog=lake")
        remote = AthenaTrail(table, client=client).read(ROLE, WINDOW)
    assert [e.message for e in remote.errors] == ["query q-4 FAILED: boom"]
    missing = AthenaTrail(
        parse_spec("athena://nope?database=trails"), client=aws["athena"], glue=aws["glue"]
    ).read(ROLE, Window())
    assert [e.message.split(":")[0:2] for e in missing.errors] == [
        ["cannot read the table's definition", " EntityNotFoundException"]
    ]


def test_cli_trail_and_generate_read_athena(aws: dict[str, Any], tmp_path: Path) -> None:
    records = list(fx.records(480))
    path = tmp_path / "trail.json"
    path.write_text(json.dumps({"Records": records}))
    _queue(expected_rows(records, [ROLE]))
    state_manager.set_transition("athena::execution", {"progression": "immediate"})
    args = ["trail", "--role", fx.ROLE, "--format", "json", "--quiet", "--cloudtrail"]
    remote = CliRunner().invoke(main, [*args, SPEC])
    local = CliRunner().invoke(main, [*args, str(path)])
    assert remote.exit_code == local.exit_code == 0, remote.output
    assert json.loads(remote.stdout)["observed"] == json.loads(local.stdout)["observed"]
    bad = CliRunner().invoke(main, [*args, "athena://logs?database=x y"])
    assert bad.exit_code == 2 and "not a name Athena reads" in bad.stderr
    missing = CliRunner().invoke(main, [*args, "athena://nope?database=trails"])
    assert (
        missing.exit_code == 2
        and "athena://nope?database=trails: cannot read the table's definition" in missing.stderr
    )


def test_generated_names_are_matched_by_the_same_patterns_server_side() -> None:
    # a project's function whose role and function names CloudFormation generates
    principal = Principal(
        role_pattern=r"arn:aws:iam::123456789012:role/orders\-OrdersFnRole\-.+",
        session_pattern=r"orders\-OrdersFn\-.+",
        hint="orders-OrdersFnRole-",
    )
    where = _where(build_query(parse_spec(SPEC), Layout(), [principal], Window(), census=False))
    assert (
        r"REGEXP_LIKE(useridentity.sessioncontext.sessionissuer.arn, "
        r"'^(?:arn:aws:iam::123456789012:role/orders\-OrdersFnRole\-.+)$')" in where
    )
    assert "REGEXP_LIKE(IF(STRPOS(useridentity.arn, ':assumed-role/') > 0" in where
    assert r"'^(?:orders\-OrdersFn\-.+)$')" in where
    assert "useridentity.type = 'AssumedRole'" in where
    with pytest.raises(UsageError, match="needs the role or the session"):
        build_query(parse_spec(SPEC), Layout(), [Principal()], Window())


OLD_COLUMNS = [c for c in COLUMNS if c != "eventcategory"]  # a table defined before 2021


def _glue_table(glue: Any, name: str, columns: list[str]) -> None:
    glue.create_table(
        DatabaseName="trails",
        TableInput={
            "Name": name,
            "StorageDescriptor": {"Columns": [{"Name": c, "Type": "string"} for c in columns]},
        },
    )


def test_the_census_follows_the_columns_the_table_has(aws: dict[str, Any]) -> None:
    from policygen.evidence.cloudtrail import unobserved_reason

    _glue_table(aws["glue"], "old_logs", OLD_COLUMNS)
    _glue_table(aws["glue"], "mid_logs", [*OLD_COLUMNS, "managementevent"])
    records = list(fx.records(480))
    spent = []
    for table in ("old_logs", "mid_logs"):
        rows = expected_rows(records, [ROLE])
        if table == "old_logs":  # its query tells no data event apart: no census row, none flagged
            rows = [r for r in rows if r[0] != "-1"]
        _queue(rows)
        spec = f"athena://{table}?database=trails&workgroup=primary&output=s3://athena-results-123/q/"
        trail = AthenaTrail(
            parse_spec(spec), clock=FakeTime().clock, sleep=FakeTime().sleep, client=aws["athena"], glue=aws["glue"]
        )
        remote = trail.read(ROLE, Window(), census=True)
        assert not remote.errors and remote.matched == 360
        spent.append((remote, aws["athena"].list_query_executions()["QueryExecutionIds"]))
    (old, _), (mid, executions) = spent
    queries = [aws["athena"].get_query_execution(QueryExecutionId=q)["QueryExecution"]["Query"] for q in executions]
    old_query = next(q for q in queries if '"old_logs"' in q)
    mid_query = next(q for q in queries if '"mid_logs"' in q)
    # without eventcategory: managementevent (false for data and network-activity events; the
    # latter are not API calls), else no census at all, and the aggregate says why
    assert "eventcategory" not in mid_query
    assert "lower(CAST(managementevent AS VARCHAR)) = 'false' AND eventtype = 'AwsApiCall'" in mid_query
    assert mid.census_unavailable == ""
    assert "eventcategory" not in old_query and "managementevent" not in old_query
    assert "IF(false, -1)" in old_query  # no record is counted in the census
    assert old.data_sources == {} and old.census_unavailable.startswith(
        "whether the trail logs them is unknown: the Athena table has neither an eventcategory nor a "
        "managementevent column"
    )
    # so a data-event permission never observed is not said to be unlogged: it is said unknown
    why = unobserved_reason("s3:GetObject", old)
    assert why.startswith("a data event of s3.amazonaws.com: whether the trail logs them is unknown")
    assert "holds no data event" not in why
    # the table without eventcategory, when it has it: counted as before
    full = AthenaTrail(parse_spec(SPEC), client=aws["athena"], glue=aws["glue"])
    assert full._layout(aws["athena"]).columns >= {"eventcategory"}


def test_one_query_for_several_principals_gives_each_its_own_aggregate(aws: dict[str, Any], tmp_path: Path) -> None:
    shipping_role = f"arn:aws:iam::{fx.ACCOUNT}:role/shipping-role"
    records = [
        *fx.records(240),
        *fx.as_principal(fx.records(160), "shipping-role", "shipping-fn", "shipping"),
        *fx.as_principal(fx.records(80), "billing-role", "billing-fn", "billing"),
    ]
    # a record may be several principals' (the role, and a session of it): it counts for each
    principals = [ROLE, Principal(shipping_role, "shipping-fn"), Principal(session_name="shipping-fn"),
                  Principal(session_name="nobody")]  # fmt: skip
    path = tmp_path / "trail.json"
    path.write_text(json.dumps({"Records": records}))
    rows = expected_rows(records, principals)
    assert {r[0] for r in rows} == {"-1", "0", "1", "2"}
    _queue(rows)
    trail = AthenaTrail(
        parse_spec(SPEC), clock=FakeTime().clock, sleep=FakeTime().sleep, client=aws["athena"], glue=aws["glue"]
    )
    many = trail.read_many(principals, Window(), census=True)
    # one query (one scan billed) for all of them
    (query_id,) = aws["athena"].list_query_executions()["QueryExecutionIds"]
    query = aws["athena"].get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Query"]
    assert "CROSS JOIN UNNEST(whose) AS callers(who)" in query
    assert "IF(coalesce((" in query and ", 3), IF(coalesce(eventcategory = 'Data', false), -1)" in query
    sqlglot.parse_one(query, read="trino")
    for principal in principals:
        local = LocalTrail(path, jobs=1).read(principal, Window(), census=True)
        remote = many[principal]
        assert not remote.errors
        assert _calls(remote) == _calls(local) and remote.matched == local.matched
        assert remote.identities == local.identities and remote.data_sources == local.data_sources
    assert many[principals[1]].matched == many[principals[2]].matched > 0 and many[principals[3]].matched == 0
