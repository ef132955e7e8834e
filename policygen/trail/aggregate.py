"""The one aggregate of a trail: per (event source, event name, error code, region, account,
resource) the count, first and last time seen and an example event id; computed streaming, file
by file in worker processes, and merged. Memory grows with the distinct calls of the principals
asked about, not with the logs: S3 object keys are folded into their common prefix per bucket
as they are read.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from policygen.trail.read import MAX_FILE_BYTES, BadFile, Window, read_bytes, records_of

# requestParameters strings that name a resource (tableName, queueUrl, topicArn, functionName,
# secretId, keyId, name...); per-request values (tokens, upload ids) never enter the aggregate.
NAMING_FIELD = re.compile(r"(?:^name|^key|Name|Id|Arn|ARN|Url|Identifier)$")
PER_REQUEST = frozenset({"clientToken", "uploadId", "requestId", "versionId", "ClientRequestToken", "key"})
# Resource names that differ per request or per container (Lambda opens a log stream per
# instance): kept as "named, value dropped", so they become '*' with that reason.
PER_REQUEST_RESOURCES = frozenset({"logStreamName"})
DENIED = frozenset(
    {
        "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Client.UnauthorizedOperation",
        "Client.Unauthorized", "UnauthorizedAccess", "AuthorizationError", "AuthorizationErrorException",
        "NotAuthorized", "Forbidden", "AccessDeniedException403",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Principal:
    """Whose calls to keep: the execution role's ARN (paths included) and/or the session name
    Lambda gives the role's sessions (the function's name). Where a deployment generates the
    names (``<stack>-<LogicalId>-<suffix>``), ``role_pattern`` and ``session_pattern`` are
    regular expressions over the known parts, and ``hint`` the known part the byte search
    looks for. Every constraint given must hold."""

    role_arn: str | None = None
    session_name: str | None = None
    role_pattern: str | None = None
    session_pattern: str | None = None
    hint: str | None = None

    def needles(self) -> tuple[bytes, ...]:
        if self.role_arn:  # every record of the principal holds each of these: one suffices
            return (self.role_arn.encode(),)
        if self.session_name:
            return (f'/{self.session_name}"'.encode(),)
        return (self.hint.encode(),) if self.hint else ()

    def matches(self, identity: dict[str, Any]) -> bool:
        issuer = ((identity.get("sessionContext") or {}).get("sessionIssuer") or {}).get("arn")
        if self.role_arn and issuer != self.role_arn:
            return False
        if self.role_pattern and not (isinstance(issuer, str) and _full(self.role_pattern, issuer)):
            return False
        if self.session_name or self.session_pattern:
            if identity.get("type") != "AssumedRole":
                return False
            session = _session(identity)
            if self.session_name and session != self.session_name:
                return False
            if self.session_pattern and not _full(self.session_pattern, session):
                return False
        return bool(self.role_arn or self.session_name or self.role_pattern or self.session_pattern)


@functools.lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _full(pattern: str, text: str) -> bool:
    return _compiled(pattern).fullmatch(text) is not None


def _session(identity: dict[str, Any]) -> str:
    arn = identity.get("arn") or ""
    return str(arn).rsplit("/", 1)[-1] if ":assumed-role/" in str(arn) else ""


Key = tuple[str, str, str, str, str, tuple[tuple[str, str], ...]]
MAX_IDENTITIES = 64  # a role's sessions are few (Lambda names them after the function): kept bounded


@dataclass
class Seen:
    count: int
    first: str
    last: str
    example: str  # the event id of the earliest record (ties: the smallest id)
    key_prefix: str | None = None  # S3 object calls: the common prefix of the keys seen
    keys_differ: bool = False

    def add(self, time: str, event_id: str, key: str | None) -> None:
        self.count += 1
        if (time, event_id) < (self.first, self.example):
            self.first, self.example = time, event_id
        self.last = max(self.last, time)
        if key is not None:
            if self.key_prefix is None:
                self.key_prefix = key
            elif key != self.key_prefix:
                self.key_prefix, self.keys_differ = common_prefix(self.key_prefix, key), True

    def merge(self, other: Seen) -> None:
        self.count += other.count
        if (other.first, other.example) < (self.first, self.example):
            self.first, self.example = other.first, other.example
        self.last = max(self.last, other.last)
        self.keys_differ = self.keys_differ or other.keys_differ
        if other.key_prefix is not None:
            if self.key_prefix is None:
                self.key_prefix = other.key_prefix
            elif other.key_prefix != self.key_prefix:
                self.key_prefix, self.keys_differ = common_prefix(self.key_prefix, other.key_prefix), True


def common_prefix(a: str, b: str) -> str:
    return os.path.commonprefix([a, b])  # noqa: RUF071  (key prefixes, not paths)


@dataclass(frozen=True)
class RecordError:
    path: str
    record: int  # 0: the whole file
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.record}: {self.message}" if self.record else f"{self.path}: {self.message}"


@dataclass
class Aggregate:
    """What a scan found: the calls of the principal, and counts of everything else."""

    calls: dict[Key, Seen] = field(default_factory=dict)
    files: int = 0
    files_planned: int = 0  # the files (objects) the source is to read, as far as known yet
    files_skipped_by_layout: int = 0
    files_without_principal: int = 0  # skipped by the byte search, never parsed
    records: int = 0  # records parsed
    records_skipped: int = 0  # records without the principal's bytes, never parsed
    matched: int = 0
    outside_window: int = 0
    other_principals: int = 0
    not_api_calls: int = 0  # service events, insight events...
    console_sign_ins: int = 0
    no_identity: int = 0
    errors: list[RecordError] = field(default_factory=list)
    # per event source, the data events (of any principal) in the files read
    data_sources: dict[str, int] = field(default_factory=dict)
    # the identities (userIdentity.arn: role and session) whose calls matched, with their counts
    identities: dict[str, int] = field(default_factory=dict)
    # why the source cannot tell data events apart ("": it can, and `data_sources` counts them)
    census_unavailable: str = ""
    # files whose records carry no field telling data events apart (none counted in them)
    files_without_census: int = 0
    # what the source says about what it could read (a window cut to what it holds...): not errors
    notes: list[str] = field(default_factory=list)

    def add(self, record: dict[str, Any]) -> None:
        key, s3_key = call_key(record)
        time = str(record.get("eventTime") or "")
        event_id = str(record.get("eventID") or "")
        seen = self.calls.get(key)
        if seen is None:
            self.calls[key] = Seen(1, time, time, event_id, s3_key)
        else:
            seen.add(time, event_id, s3_key)
        self.matched += 1
        self.count_identity(str((record.get("userIdentity") or {}).get("arn") or ""), 1)

    def count_identity(self, identity: str, count: int) -> None:
        """Count a caller's calls; past `MAX_IDENTITIES` only the first in sort order are kept,
        which keeps the counts kept exact whatever order the files are merged in."""
        self.identities[identity] = self.identities.get(identity, 0) + count
        if len(self.identities) > MAX_IDENTITIES:
            del self.identities[max(self.identities)]

    def merge(self, other: Aggregate) -> None:
        for key, seen in other.calls.items():
            mine = self.calls.get(key)
            if mine is None:
                self.calls[key] = seen
            else:
                mine.merge(seen)
        for name in (
            "files", "files_skipped_by_layout", "files_without_principal", "records", "records_skipped", "matched",
            "outside_window", "other_principals", "not_api_calls", "console_sign_ins", "no_identity",
            "files_without_census",
        ):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors)
        for source, count in other.data_sources.items():
            self.data_sources[source] = self.data_sources.get(source, 0) + count
        for identity, count in other.identities.items():
            self.count_identity(identity, count)
        self.census_unavailable = self.census_unavailable or other.census_unavailable
        self.notes += [n for n in other.notes if n not in self.notes]

    def sorted_calls(self) -> list[tuple[Key, Seen]]:
        return sorted(self.calls.items())


def call_key(record: dict[str, Any]) -> tuple[Key, str | None]:
    """The aggregate key of one call, and the S3 object key it names (folded apart, into
    `Seen.key_prefix`, so that one object call on many keys stays one entry)."""
    params = record.get("requestParameters")
    params = params if isinstance(params, dict) else {}
    named = sorted(
        (name, value)
        for name, value in params.items()
        if isinstance(value, str)
        and value
        and len(value) <= 1024
        and NAMING_FIELD.search(name)
        and name not in PER_REQUEST
    )
    named = [(n, "" if n in PER_REQUEST_RESOURCES else v) for n, v in named]
    key = params.get("key")
    s3_key = str(key) if isinstance(key, str) and "bucketName" in params else None
    if s3_key is not None:
        named.append(("key", ""))  # marks an object call
    resources = record.get("resources")
    if isinstance(resources, list):
        arns = sorted(
            {str(r["ARN"]) for r in resources if isinstance(r, dict) and isinstance(r.get("ARN"), str)}
        )
        if s3_key is None:  # an object call's resources[] holds one ARN per key: not kept
            named.extend(("ARN", arn) for arn in arns[:8])
    out: Key = (
        str(record.get("eventSource") or ""),
        str(record.get("eventName") or ""),
        str(record.get("errorCode") or ""),
        str(record.get("awsRegion") or ""),
        str(record.get("recipientAccountId") or ""),
        tuple(named),
    )
    return out, s3_key


API_TYPES = frozenset({"AwsApiCall"})


def scan_file(
    path: Path, principal: Principal, window: Window, limit: int = MAX_FILE_BYTES, census: bool = False
) -> Aggregate:
    """The aggregate of one file: its records of ``principal`` in ``window``, counts of the rest;
    with ``census``, also its data events per event source (`Aggregate.data_sources`)."""
    return scan_file_many(path, (principal,), window, limit, census)[0]


def scan_file_many(
    path: Path,
    principals: Sequence[Principal],
    window: Window,
    limit: int = MAX_FILE_BYTES,
    census: bool = False,
) -> list[Aggregate]:
    """`scan_file` for each of ``principals``, the file read and inflated once."""
    try:
        data = read_bytes(path, limit)
    except BadFile as exc:
        return [Aggregate(files=1, errors=[RecordError(str(path), exc.record, exc.message)]) for _ in principals]
    return scan_data_many(str(path), data, principals, window, census)


def scan_data(
    where: str, data: bytes, principal: Principal, window: Window, census: bool = False
) -> Aggregate:
    """The aggregate of one file's (or S3 object's) inflated content; ``where`` (a path or an
    s3:// URI) names it in errors, and its suffix tells CSV from JSON."""
    return scan_data_many(where, data, (principal,), window, census)[0]


def scan_data_many(
    where: str, data: bytes, principals: Sequence[Principal], window: Window, census: bool = False
) -> list[Aggregate]:
    """`scan_data` for each of ``principals`` (the aggregate of each is the one `scan_data`
    gives it): the census is counted once, and a file parsed whole is parsed once."""
    if b"eventSource" not in data and b"eventsource" not in data:
        error = RecordError(where, 0, "no eventSource field anywhere: not a CloudTrail file")
        return [Aggregate(files=1, errors=[error]) for _ in principals]
    sources: dict[str, int] = {}
    told = _data_sources(data, sources) if census else True
    delivered = _DELIVERED.match(data) is not None
    whole: list[dict[str, Any] | BadFile | _Stopped] | None = None
    in_file: int | None = None  # the records of a delivered file, counted once (a scan of it all)
    outs = []
    for principal in principals:
        out = Aggregate(files=1, data_sources=dict(sources), files_without_census=0 if told else 1)
        outs.append(out)
        needles = principal.needles()
        # A file without the principal's bytes is not parsed (most of a busy trail): a truncated or
        # malformed one among them goes unnoticed, which cannot change what the principal did.
        if needles and not any(n in data for n in needles):
            out.files_without_principal = 1
            if delivered:
                in_file = data.count(_RECORD_START) if in_file is None else in_file
                out.records_skipped = in_file
            continue
        if needles and delivered:
            chunks = _records_holding(data, needles)
            if chunks is not None:
                in_file = data.count(_RECORD_START) if in_file is None else in_file
                out.records_skipped = in_file - len(chunks)
                for record in chunks:
                    out.records += 1
                    count_record(out, record, principal, window, where)
                continue
        # parsed whole: once for all the principals that need it (streamed when there is one)
        if len(principals) == 1:
            items: Iterable[dict[str, Any] | BadFile | _Stopped] = _parsed(where, data)
        else:
            whole = whole if whole is not None else list(_parsed(where, data))
            items = whole
        for item in items:
            if isinstance(item, _Stopped):
                out.errors.append(RecordError(where, item.error.record, item.error.message))
            elif isinstance(item, BadFile):
                out.errors.append(RecordError(where, item.record, item.message))
            else:
                out.records += 1
                count_record(out, item, principal, window, where)
    return outs


@dataclass(frozen=True)
class _Stopped:
    """The error that stopped a file's parse; the records before it are read."""

    error: BadFile


def _parsed(where: str, data: bytes) -> Iterator[dict[str, Any] | BadFile | _Stopped]:
    try:
        yield from records_of(PurePosixPath(where), data)
    except BadFile as exc:
        yield _Stopped(exc)


# CloudTrail writes each record's eventVersion first: in a delivered file (or a JSON list of
# records) a record starts where `{"eventVersion"` does, so the records holding the principal's
# bytes are found, and parsed alone, without parsing the others.
_RECORD_START = b'{"eventVersion"'
_DELIVERED = re.compile(rb'\s*(?:\{\s*"Records"\s*:\s*)?\[\s*\{"eventVersion"')
_AFTER_RECORD = re.compile(r"\s*(?:,\s*$|\]\s*\}?\s*$)")
_DECODER = json.JSONDecoder()


def _records_holding(data: bytes, needles: tuple[bytes, ...]) -> list[dict[str, Any]] | None:
    """The records (in file order) whose bytes hold one of ``needles``; None when the file's
    records cannot be told apart this way (a record that does not end where the next begins:
    then the caller parses the whole file)."""
    spans: set[tuple[int, int]] = set()
    for needle in needles:
        at = data.find(needle)
        while at != -1:
            start = data.rfind(_RECORD_START, 0, at)
            end = data.find(_RECORD_START, at)
            if start == -1:
                return None
            spans.add((start, len(data) if end == -1 else end))
            at = -1 if end == -1 else data.find(needle, end)
    records: list[dict[str, Any]] = []
    for start, end in sorted(spans):
        try:
            text = data[start:end].decode("utf-8")
            record, stop = _DECODER.raw_decode(text)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None
        if not isinstance(record, dict) or not _AFTER_RECORD.match(text, stop):
            return None
        records.append(record)
    return records


_DATA_EVENT = (b'"eventCategory":"Data"', b'"eventCategory": "Data"')
# records written before eventCategory (2021): a data event is an API call that is no management event
_NOT_MANAGEMENT = (b'"managementEvent":false', b'"managementEvent": false')
_API_CALL = re.compile(rb'"eventType":\s?"AwsApiCall"')
_SOURCE_FIELD = re.compile(rb'"eventSource":\s?"([^"]{1,128})"')


def _data_sources(data: bytes, counts: dict[str, int]) -> bool:
    """Count, per event source, the file's data events (of any principal): whether the trail logs
    a service's data events at all is what tells an unobserved call from one the trail never
    logs. CloudTrail writes eventSource before eventCategory (and eventType before
    managementEvent) in every record. False when the file's records carry neither field (written
    before CloudTrail had them, or an export that names them otherwise): its data events, if
    any, cannot be told apart."""
    if b'"eventCategory"' in data:
        needles, api_call = _DATA_EVENT, False
    elif b'"managementEvent"' in data:
        needles, api_call = _NOT_MANAGEMENT, True
    else:
        return False
    for needle in needles:
        at = data.find(needle)
        while at != -1:
            start = data.rfind(b'"eventSource"', 0, at)
            found = _SOURCE_FIELD.match(data, start) if start != -1 else None
            if found is not None and api_call:
                kind = data.rfind(b'"eventType"', start, at)
                found = found if kind != -1 and _API_CALL.match(data, kind) else None
            if found is not None:
                source = found.group(1).decode("ascii", "replace")
                counts[source] = counts.get(source, 0) + 1
            at = data.find(needle, at + len(needle))
    return True


def count_record(
    out: Aggregate, record: dict[str, Any], principal: Principal, window: Window, path: str
) -> None:
    """Add one parsed record to ``out``: a call of the principal in the window, or a count of why not."""
    event_type = record.get("eventType")
    if event_type == "AwsConsoleSignIn":
        out.console_sign_ins += 1
        return
    if "eventName" not in record or "eventSource" not in record:
        out.errors.append(
            RecordError(path, out.records, "a record without eventSource/eventName: not CloudTrail")
        )
        return
    if event_type is not None and event_type not in API_TYPES:
        out.not_api_calls += 1
        return
    identity = record.get("userIdentity")
    if not isinstance(identity, dict):
        out.no_identity += 1
        return
    if not principal.matches(identity):
        out.other_principals += 1
        return
    if not window.holds_time(str(record.get("eventTime") or "")):
        out.outside_window += 1
        return
    out.add(record)


Task = tuple[Path, tuple[Principal, ...], Window, int, bool]
CHUNK = 16  # files per task sent to a worker


def _scan_one(args: Task) -> list[Aggregate]:
    return scan_file_many(*args)


def _scan_many(chunk: list[Task]) -> list[list[Aggregate]]:
    return [scan_file_many(*args) for args in chunk]


def _chunks(tasks: Iterator[Task], size: int) -> Iterator[list[Task]]:
    while chunk := list(itertools.islice(tasks, size)):
        yield chunk


def overall(totals: Sequence[Aggregate]) -> Aggregate:
    """What a progress line shows of a read for several principals: the files and records read
    (the same for each), the calls of all of them; the one total when there is one."""
    if len(totals) == 1:
        return totals[0]
    return Aggregate(
        files=max(t.files for t in totals),
        files_planned=max(t.files_planned for t in totals),
        records=max(t.records + t.records_skipped for t in totals),
        matched=sum(t.matched for t in totals),
    )


def merge_parts(totals: list[Aggregate], parts: Sequence[Aggregate]) -> None:
    """Merge one file's (object's) aggregates, one per principal, into the totals."""
    for total, part in zip(totals, parts, strict=True):
        total.merge(part)


def scan(
    paths: Iterable[Path],
    principal: Principal,
    window: Window,
    *,
    jobs: int | None = None,
    limit: int = MAX_FILE_BYTES,
    progress: Callable[[Aggregate], None] | None = None,
    census: bool = False,
) -> Aggregate:
    """The aggregate of all ``paths``, read in ``jobs`` processes (default: every core); with
    ``census``, also the data events per event source of every principal (see `scan_file`)."""
    return scan_many(paths, (principal,), window, jobs=jobs, limit=limit, progress=progress, census=census)[0]


def scan_many(
    paths: Iterable[Path],
    principals: Sequence[Principal],
    window: Window,
    *,
    jobs: int | None = None,
    limit: int = MAX_FILE_BYTES,
    progress: Callable[[Aggregate], None] | None = None,
    census: bool = False,
) -> list[Aggregate]:
    """`scan` for each of ``principals`` (in their order), each file read and inflated once."""
    paths = paths if isinstance(paths, list) else list(paths)
    who = tuple(principals)
    todo = ((p, who, window, limit, census) for p in paths)
    totals = [Aggregate() for _ in who]

    def merged(parts: list[Aggregate]) -> None:
        merge_parts(totals, parts)
        if progress is not None:
            progress(overall(totals))

    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(paths) < 8:
        for parts in map(_scan_one, todo):
            merged(parts)
    else:
        # A few chunks in flight per worker, not every file submitted at once: the main
        # process holds as much for 5M records as for 1M. Merging is order-free.
        with ProcessPoolExecutor(max_workers=workers) as pool:
            pending: set[Future[list[list[Aggregate]]]] = set()

            def merge_done() -> set[Future[list[list[Aggregate]]]]:
                done, left = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    for parts in future.result():
                        merged(parts)
                return left

            for chunk in _chunks(todo, CHUNK):
                pending.add(pool.submit(_scan_many, chunk))
                if len(pending) >= 4 * workers:
                    pending = merge_done()
            while pending:
                pending = merge_done()
    for total in totals:
        total.errors.sort(key=lambda e: (e.path, e.record, e.message))
    return totals
