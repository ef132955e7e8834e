"""A trail read through Athena: one aggregating query over the CloudTrail table, run where the
logs are, so a trail too big for one machine is never downloaded. The query computes what the
local path's aggregate computes (`policygen.trail.aggregate`): per event source, event name, error
code, region, account and resource names the count, the first call (time and event id), the last
call, and for S3 object calls the first and last object key (whose common prefix is the common
prefix of every key); the rows become the same `Aggregate`, so everything downstream is unchanged.

The query is built from validated identifiers (catalog, database, table: letters, digits, ``_``
and ``-``, double-quoted) and escaped string literals (the role ARN, the session name, times);
nothing the user typed is pasted in unchecked. The table's partition keys (read from Glue, or from
``GetTableMetadata`` for another catalog) bound the partitions read: a projected or delivered
``timestamp`` (``yyyy/MM/dd``), ``year``/``month``/``day``, ``region``; without them the
``eventtime`` predicate alone bounds the query.

It runs with ``StartQueryExecution``, polled with ``GetQueryExecution`` after exponential waits
(injected clock and sleep), stopped past a timeout, its rows read page by page. A query that
fails, is cancelled or times out is an error naming the query id and Athena's reason.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from policygen.errors import UsageError
from policygen.trail.aggregate import (  # the names the local aggregate keeps, kept alike here
    API_TYPES,
    NAMING_FIELD,
    PER_REQUEST,
    PER_REQUEST_RESOURCES,
    Aggregate,
    Key,
    Principal,
    RecordError,
    Seen,
    common_prefix,
    overall,
)
from policygen.trail.read import Window
from policygen.trail.source import NO_CREDENTIALS, Progress, ReadsOnce

_IDENTIFIER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,254}$")
_WORKGROUP = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d+$")
_PARAMETERS = ("database", "workgroup", "output", "catalog", "region")
DEFAULT_CATALOG = "AwsDataCatalog"
# the columns of the record the query reads, as the CloudTrail table names them
COLUMNS = ("eventsource", "eventname", "eventtime", "useridentity", "requestparameters")


@dataclass(frozen=True)
class Table:
    """Where the query runs: ``athena://TABLE?database=DB[&workgroup=WG][&output=s3://...]
    [&catalog=CATALOG][&region=REGION]``."""

    table: str
    database: str = "default"
    workgroup: str = "primary"
    output: str | None = None
    catalog: str = DEFAULT_CATALOG
    region: str | None = None

    @property
    def where(self) -> str:
        return f"athena://{self.table}?database={self.database}"

    def quoted(self) -> str:
        return ".".join(f'"{part}"' for part in (self.catalog, self.database, self.table))


def parse_spec(spec: str) -> Table:
    """The `Table` an ``athena://`` URI names; `UsageError` saying what is wrong otherwise."""
    parts = urlsplit(spec)
    table = parts.netloc
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    unknown = sorted({k for k, _ in pairs} - set(_PARAMETERS))
    if parts.path not in ("", "/") or unknown:
        what = f"unknown parameter(s) {', '.join(unknown)}" if unknown else f"unexpected path {parts.path}"
        raise UsageError(
            f"--cloudtrail {spec}: {what}; expected athena://TABLE?database=DB"
            "[&workgroup=WG][&output=s3://bucket/prefix/][&catalog=AwsDataCatalog][&region=REGION]"
        )
    values = dict(pairs)
    chosen = Table(
        table,
        values.get("database", "default"),
        values.get("workgroup", "primary"),
        values.get("output") or None,
        values.get("catalog", DEFAULT_CATALOG),
        values.get("region") or None,
    )
    for name, value in (("table", chosen.table), ("database", chosen.database), ("catalog", chosen.catalog)):
        if not _IDENTIFIER.match(value):
            raise UsageError(
                f"--cloudtrail {spec}: the {name} {value!r} is not a name Athena reads "
                "(letters, digits, '_' and '-')"
            )
    if not _WORKGROUP.match(chosen.workgroup):
        raise UsageError(f"--cloudtrail {spec}: the workgroup {chosen.workgroup!r} is not a workgroup name")
    if chosen.output is not None and not chosen.output.startswith("s3://"):
        raise UsageError(f"--cloudtrail {spec}: output must be an s3:// location, not {chosen.output!r}")
    if chosen.region is not None and not _REGION.match(chosen.region):
        raise UsageError(f"--cloudtrail {spec}: {chosen.region!r} is not a region (eu-west-1...)")
    return chosen


# -- the query ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """What the table's definition says about how to bound the query."""

    partitions: tuple[str, ...] = ()  # partition key names, lower case
    date_format: str | None = None  # the strftime format of a date partition (``timestamp``...)
    date_key: str | None = None
    columns: frozenset[str] = frozenset()


def layout_of(definition: dict[str, Any]) -> Layout:
    """The layout of a Glue ``Table`` or an Athena ``TableMetadata``."""
    keys = tuple(str(k["Name"]).lower() for k in definition.get("PartitionKeys", ()))
    columns = definition.get("Columns") or (definition.get("StorageDescriptor") or {}).get("Columns") or ()
    parameters = {str(k).lower(): str(v) for k, v in (definition.get("Parameters") or {}).items()}
    date_key = next((k for k in keys if k in ("timestamp", "dt", "date")), None)
    date_format = None
    if date_key is not None:
        java = parameters.get(f"projection.{date_key}.format", "yyyy/MM/dd")
        converted = java.replace("yyyy", "%Y").replace("MM", "%m").replace("dd", "%d")
        # only a day-granular format of year, month and day bounds the partitions exactly
        if re.fullmatch(r"%Y[/-]?%m[/-]?%d", converted):
            date_format = converted
    return Layout(
        keys,
        date_format,
        date_key if date_format else None,
        frozenset(str(c["Name"]).lower() for c in columns),
    )


def literal(text: str) -> str:
    """A SQL string literal of ``text``: quotes doubled; control characters refused (no value
    policygen puts in a query has one)."""
    if any(ord(c) < 32 or c == "\x7f" for c in text):
        raise UsageError(f"{text!r}: a control character cannot be part of a query")
    return "'" + text.replace("'", "''") + "'"


def _time(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _calls_of(principal: Principal) -> list[str]:
    """The conditions of a record that is an API call of ``principal`` (`count_record`'s)."""
    types = ", ".join(literal(t) for t in sorted(API_TYPES))
    where = [f"(eventtype IS NULL OR eventtype IN ({types}))"]
    issuer = "useridentity.sessioncontext.sessionissuer.arn"
    session = (
        "IF(strpos(useridentity.arn, ':assumed-role/') > 0, element_at(split(useridentity.arn, '/'), -1), '')"
    )
    if principal.role_arn:
        where.append(f"{issuer} = {literal(principal.role_arn)}")
    if principal.role_pattern:  # a Python regular expression of escaped known parts and .+
        where.append(f"regexp_like({issuer}, {literal(f'^(?:{principal.role_pattern})$')})")
    if principal.session_name or principal.session_pattern:
        where.append("useridentity.type = 'AssumedRole'")
    if principal.session_name:
        where.append(f"{session} = {literal(principal.session_name)}")
    if principal.session_pattern:
        where.append(f"regexp_like({session}, {literal(f'^(?:{principal.session_pattern})$')})")
    return where


def _window(layout: Layout, window: Window) -> list[str]:
    """The conditions of a record in ``window``: its time, and the partitions that may hold it."""
    where = ["eventsource IS NOT NULL", "eventname IS NOT NULL"]
    if window.since is not None:
        where.append(f"eventtime >= {literal(_time(window.since))}")
    if window.until is not None:
        where.append(f"eventtime <= {literal(_time(window.until))}")
    # partitions: a day of slack each side, as for day folders (a record is filed by delivery)
    low = window.since - timedelta(days=1) if window.since is not None else None
    high = window.until + timedelta(days=1) if window.until is not None else None
    if layout.date_key and layout.date_format:
        column = f'"{layout.date_key}"'
        if low is not None:
            where.append(f"{column} >= {literal(low.strftime(layout.date_format))}")
        if high is not None:
            where.append(f"{column} <= {literal(high.strftime(layout.date_format))}")
    elif {"year", "month", "day"} <= set(layout.partitions):
        day = 'concat("year", "month", "day")'
        if low is not None:
            where += [f'"year" >= {literal(f"{low:%Y}")}', f"{day} >= {literal(f'{low:%Y%m%d}')}"]
        if high is not None:
            where += [f'"year" <= {literal(f"{high:%Y}")}', f"{day} <= {literal(f'{high:%Y%m%d}')}"]
    if window.regions and "region" in layout.partitions:
        where.append(f'"region" IN ({", ".join(literal(r) for r in sorted(window.regions))})')
    return where


def data_event_test(layout: Layout) -> str | None:
    """The condition of a data event, from the columns the table has: ``eventcategory`` (records
    since 2021), else ``managementevent`` (false for data events, and for network activity events,
    whose ``eventtype`` is not an API call); None when the table has neither."""
    if "eventcategory" in layout.columns:
        return "coalesce(eventcategory = 'Data', false)"
    if "managementevent" in layout.columns:  # BOOLEAN or STRING, as table definitions differ
        return (
            "coalesce(lower(CAST(managementevent AS VARCHAR)) = 'false' AND eventtype = 'AwsApiCall', false)"
        )
    return None


def census_unavailable(layout: Layout) -> str:
    """Why the table cannot tell data events apart ("": it can)."""
    if data_event_test(layout) is not None:
        return ""
    if not layout.columns:
        return "whether the trail logs them is unknown: the table's definition lists no columns"
    return (
        "whether the trail logs them is unknown: the Athena table has neither an eventcategory nor a "
        "managementevent column to tell data events apart (a CloudTrail table defined before they "
        "existed: add the eventcategory column); the call may be made and not logged"
    )


def build_query(
    table: Table, layout: Layout, principals: Sequence[Principal], window: Window, census: bool = False
) -> str:
    """The one aggregating query: a row per distinct call of each of ``principals`` in ``window``
    (``who``: the principal's index; a record of several principals counts for each); with
    ``census`` (and a column telling data events apart: `data_event_test`), also a row per event
    source (``who`` -1) counting the data events of every principal, from the same scan (Athena
    bills the bytes read, not the rows)."""
    if not principals:
        raise UsageError("an Athena query needs the role or the session whose calls to read")
    for principal in principals:
        if not (
            principal.role_arn or principal.session_name or principal.role_pattern or principal.session_pattern
        ):
            raise UsageError("an Athena query needs the role or the session whose calls to read")
    missing = [c for c in COLUMNS if layout.columns and c not in layout.columns]
    if missing:
        raise UsageError(
            f"{table.where}: the table has no column {', '.join(missing)}: not a CloudTrail table"
        )
    per_request = ", ".join(literal(n) for n in sorted(PER_REQUEST))
    blanked = ", ".join(literal(n) for n in sorted(PER_REQUEST_RESOURCES))
    # requestparameters' string fields that name a resource, as `call_key` keeps them
    named = (
        "transform_values(map_filter(params, (k, v) -> "
        f"regexp_like(k, {literal(NAMING_FIELD.pattern)}) AND NOT contains(ARRAY[{per_request}], k) "
        "AND json_format(v) LIKE '\"%' AND length(json_extract_scalar(v, '$')) BETWEEN 1 AND 1024), "
        f"(k, v) -> IF(contains(ARRAY[{blanked}], k), '', json_extract_scalar(v, '$')))"
    )
    object_key = (
        "IF(contains(map_keys(params), 'bucketName') AND json_format(element_at(params, 'key')) LIKE '\"%', "
        "json_extract_scalar(element_at(params, 'key'), '$'))"
    )
    resources = (
        "resources"
        if not layout.columns or "resources" in layout.columns
        else "CAST(NULL AS ARRAY(ROW(arn VARCHAR)))"
    )
    arns = (
        f"array_join(slice(array_sort(array_distinct(filter(transform({resources}, r -> r.arn), "
        "a -> a IS NOT NULL))), 1, 8), ' ')"
    )
    mine = [f"({' AND '.join(_calls_of(p))})" for p in principals]
    data_event = (data_event_test(layout) if census else None) or "false"
    conditions = "\n      AND ".join([*_window(layout, window), f"({' OR '.join([*mine, data_event])})"])
    # the principals a record is a call of (by index), and -1 when it is a data event (the census)
    whose = ", ".join(
        [*(f"IF(coalesce({m}, false), {i})" for i, m in enumerate(mine)), f"IF({data_event}, -1)"]
    )
    group = "who, data_event, caller, eventsource, eventname, errorcode, awsregion, account, named, object_call, arns"
    # a census row keeps its event source alone
    return f"""SELECT {group},
  count(*) AS calls,
  min(concat(eventtime, chr(9), eventid)) AS first_call,
  max(eventtime) AS last_seen,
  min(object_key) AS first_key,
  max(object_key) AS last_key
FROM (
  SELECT who, who < 0 AS data_event, eventsource,
    IF(who >= 0, caller, '') AS caller,
    IF(who >= 0, eventname, '') AS eventname,
    IF(who >= 0, errorcode, '') AS errorcode,
    IF(who >= 0, awsregion, '') AS awsregion,
    IF(who >= 0, account, '') AS account,
    eventtime, eventid,
    IF(who >= 0, named, '{{}}') AS named,
    IF(who >= 0, object_key) AS object_key,
    who >= 0 AND object_key IS NOT NULL AS object_call,
    IF(who >= 0 AND object_key IS NULL, arns, '') AS arns
  FROM (
    SELECT filter(ARRAY[{whose}], x -> x IS NOT NULL) AS whose, eventsource, eventname,
      coalesce(useridentity.arn, '') AS caller,
      coalesce(errorcode, '') AS errorcode,
      coalesce(awsregion, '') AS awsregion,
      coalesce(recipientaccountid, '') AS account,
      coalesce(eventtime, '') AS eventtime,
      coalesce(eventid, '') AS eventid,
      coalesce(json_format(CAST({named} AS JSON)), '{{}}') AS named,
      {object_key} AS object_key,
      coalesce({arns}, '') AS arns
    FROM (
      SELECT *, try(CAST(json_parse(requestparameters) AS MAP(VARCHAR, JSON))) AS params
      FROM {table.quoted()}
      WHERE {conditions}
    ) AS matched
  ) AS fields
  CROSS JOIN UNNEST(whose) AS callers(who)
) AS calls
GROUP BY {group}
ORDER BY {group}"""


# -- rows -> the aggregate ------------------------------------------------------------------------

ROW_COLUMNS = (
    "who", "data_event", "caller", "eventsource", "eventname", "errorcode", "awsregion", "account", "named",
    "object_call", "arns", "calls", "first_call", "last_seen", "first_key", "last_key",
)  # fmt: skip


def add_row(totals: Sequence[Aggregate], row: dict[str, str | None]) -> None:
    """One row of the query into the aggregate of its principal (``totals[who]``): the `Key`
    and `Seen` the local path would have built from the same records, and the caller's count
    (`Aggregate.identities`); a census row (``who`` -1) counts its data events per event source
    (`Aggregate.data_sources`) in each aggregate, as the principal's own query would have."""
    count = int(row.get("calls") or 0)
    source = row.get("eventsource") or ""
    who = int(row.get("who") or -1)
    if who < 0:
        for total in totals:
            total.data_sources[source] = total.data_sources.get(source, 0) + count
        return
    total = totals[who]
    named_values = json.loads(row.get("named") or "{}")
    named = sorted((str(k), "" if v is None else str(v)) for k, v in named_values.items())
    object_call = (row.get("object_call") or "").lower() == "true"
    parts = list(named)
    if object_call:
        parts.append(("key", ""))
    else:
        parts += [("ARN", arn) for arn in (row.get("arns") or "").split()]
    key: Key = (
        source,
        row.get("eventname") or "",
        row.get("errorcode") or "",
        row.get("awsregion") or "",
        row.get("account") or "",
        tuple(parts),
    )
    first_time, _, example = (row.get("first_call") or "").partition("\t")
    first_key, last_key = row.get("first_key"), row.get("last_key")
    prefix = common_prefix(first_key, last_key) if first_key is not None and last_key is not None else None
    seen = Seen(count, first_time, row.get("last_seen") or "", example, prefix, first_key != last_key)
    mine = total.calls.get(key)
    if mine is None:
        total.calls[key] = seen
    else:
        mine.merge(seen)
    total.matched += count
    total.records += count
    total.count_identity(row.get("caller") or "", count)


# -- running it -----------------------------------------------------------------------------------


class _Failed(Exception):
    pass


@dataclass
class AthenaTrail(ReadsOnce):
    """The CloudTrail table ``table`` read by one Athena query."""

    table: Table
    timeout: float = 900.0  # seconds the query may run before it is stopped
    first_wait: float = 0.5
    longest_wait: float = 10.0
    page_size: int = 1000
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    client: Any = field(default=None, compare=False)  # Athena; None: boto3 from the environment
    glue: Any = field(default=None, compare=False)  # Glue, for the AwsDataCatalog table's definition

    @property
    def where(self) -> str:
        return self.table.where

    def read_many(
        self, principals: Sequence[Principal], window: Window, progress: Progress | None = None, census: bool = False
    ) -> dict[Principal, Aggregate]:
        """One query for all ``principals``, its rows grouped by principal: one scan billed, not
        one per function. With ``census``, the data events of every principal per event source,
        counted by the same query (from the ``eventcategory`` or ``managementevent`` column; a
        table with neither says so in `Aggregate.census_unavailable`)."""
        who = list(dict.fromkeys(principals))
        totals = [Aggregate() for _ in who]
        try:
            client = self.client if self.client is not None else _client("athena", self.table.region)
            layout = self._layout(client)
            for total in totals:
                total.census_unavailable = census_unavailable(layout) if census else ""
            query = build_query(self.table, layout, who, window, census)
            query_id = self._start(client, query)
            self._wait(client, query_id)
            for row in self._rows(client, query_id):
                add_row(totals, row)
            if progress is not None:
                progress(overall(totals))
        except _Failed as exc:
            for total in totals:
                total.errors.append(RecordError(self.where, 0, str(exc)))
        return dict(zip(who, totals, strict=True))

    def _layout(self, client: Any) -> Layout:
        from botocore.exceptions import BotoCoreError, ClientError

        table = self.table
        default = table.catalog == DEFAULT_CATALOG
        try:
            if default:
                glue = self.glue if self.glue is not None else _client("glue", table.region)
                definition = glue.get_table(DatabaseName=table.database, Name=table.table)["Table"]
            else:
                definition = client.get_table_metadata(
                    CatalogName=table.catalog, DatabaseName=table.database, TableName=table.table
                )["TableMetadata"]
        except (ClientError, BotoCoreError) as exc:
            needs = "glue:GetTable" if default else "athena:GetTableMetadata"
            raise _Failed(_explain(exc, "cannot read the table's definition", needs)) from None
        return layout_of(definition)

    def _start(self, client: Any, query: str) -> str:
        args: dict[str, Any] = {
            "QueryString": query,
            "QueryExecutionContext": {"Database": self.table.database, "Catalog": self.table.catalog},
            "WorkGroup": self.table.workgroup,
        }
        if self.table.output:
            args["ResultConfiguration"] = {"OutputLocation": self.table.output}
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return str(client.start_query_execution(**args)["QueryExecutionId"])
        except (ClientError, BotoCoreError) as exc:
            raise _Failed(_explain(exc, "cannot start the query", "athena:StartQueryExecution")) from None

    def _wait(self, client: Any, query_id: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        started = self.clock()
        wait = self.first_wait
        while True:
            try:
                execution = client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
            except (ClientError, BotoCoreError) as exc:
                raise _Failed(
                    _explain(exc, f"query {query_id}: cannot follow it", "athena:GetQueryExecution")
                ) from None
            status = execution.get("Status", {})
            state = str(status.get("State", ""))
            if state == "SUCCEEDED":
                return
            if state in ("FAILED", "CANCELLED"):
                reason = status.get("StateChangeReason") or (status.get("AthenaError") or {}).get(
                    "ErrorMessage"
                )
                raise _Failed(f"query {query_id} {state}: {reason or 'Athena gave no reason'}")
            if self.clock() - started + wait > self.timeout:
                with contextlib.suppress(ClientError, BotoCoreError):
                    client.stop_query_execution(QueryExecutionId=query_id)
                raise _Failed(
                    f"query {query_id} still {state} after {self.timeout:.0f}s: stopped; "
                    "narrow --since/--until or --trail-region"
                )
            self.sleep(wait)
            wait = min(wait * 2, self.longest_wait)

    def _rows(self, client: Any, query_id: str) -> Iterator[dict[str, str | None]]:
        from botocore.exceptions import BotoCoreError, ClientError

        names: list[str] | None = None
        try:
            pages = client.get_paginator("get_query_results").paginate(
                QueryExecutionId=query_id, PaginationConfig={"PageSize": self.page_size}
            )
            for page in pages:
                result = page.get("ResultSet", {})
                if names is None:
                    info = result.get("ResultSetMetadata", {}).get("ColumnInfo", ())
                    names = [str(c["Name"]).lower() for c in info]
                    if set(ROW_COLUMNS) - set(names):
                        raise _Failed(
                            f"query {query_id}: the result has columns {names}, not the ones asked for"
                        )
                    rows = result.get("Rows", [])
                    if rows and [d.get("VarCharValue") for d in rows[0].get("Data", ())] == names:
                        rows = rows[1:]  # the header row
                else:
                    rows = result.get("Rows", [])
                for row in rows:
                    values = [d.get("VarCharValue") for d in row.get("Data", ())]
                    yield dict(zip(names, values, strict=False))
        except (ClientError, BotoCoreError) as exc:
            raise _Failed(
                _explain(exc, f"query {query_id}: cannot read its results", "athena:GetQueryResults")
            ) from None


def _explain(exc: Exception, what: str, needs: str) -> str:
    from botocore.exceptions import ClientError, NoCredentialsError

    if isinstance(exc, NoCredentialsError):
        return f"{what}: {NO_CREDENTIALS}"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code, message = str(error.get("Code", "")), str(error.get("Message", ""))
        if "AccessDenied" in code or "not authorized" in message:
            return f"{what}: {code}: policygen needs {needs} ({message})"
        return f"{what}: {code}: {message}"
    return f"{what}: {exc.__class__.__name__}: {exc}"


def _client(service: str, region: str | None) -> Any:
    import boto3

    return boto3.session.Session().client(service, region_name=region)
