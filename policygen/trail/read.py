"""Reading CloudTrail files from a local folder: the files in the window, their records.

A file is read whole (a delivered CloudTrail file is at most a few MB), decompressed with the
fastest inflater installed (`isal` when present: its inflate is 2-3x zlib's on this machine; else
`zlib`), and searched as bytes for the principals asked about before any JSON is parsed: most
files of a busy trail hold no record of one role, and the search costs a fraction of parsing.
"""

from __future__ import annotations

import csv
import io
import json
import re
import types
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path, PurePath
from typing import Any

_inflater: types.ModuleType
try:  # a maintained ISA-L binding: same format, faster inflate
    from isal import isal_zlib

    _inflater = isal_zlib
except ImportError:  # pragma: no cover - depends on the environment
    _inflater = zlib

MAX_FILE_BYTES = 512 * 1024 * 1024  # decompressed; delivered CloudTrail files are a few MB

_LAYOUT = re.compile(
    r"AWSLogs/(?:o-[a-z0-9]+/)?(?P<account>\d{12})/CloudTrail/(?P<region>[a-z0-9-]+)/"
    r"(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})(?:/|$)"
)
TRAIL_SUFFIXES = (".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".csv", ".csv.gz")


class BadFile(Exception):
    """A file (or one record of it) that cannot be read; ``record`` is its index, 0 for the file."""

    def __init__(self, message: str, record: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.record = record


@dataclass(frozen=True)
class Window:
    """The time window and trail regions asked for; ``None``: unbounded."""

    since: datetime | None = None
    until: datetime | None = None
    regions: frozenset[str] = frozenset()

    def holds_day(self, day: date) -> bool:
        """Whether a day folder may hold events of the window (a day of slack each side:
        CloudTrail files its records by delivery, minutes after the event)."""
        if self.since is not None and day < self.since.date() - timedelta(days=1):
            return False
        return not (self.until is not None and day > self.until.date() + timedelta(days=1))

    def holds_time(self, event_time: str) -> bool:
        if self.since is None and self.until is None:
            return True
        when = parse_time(event_time)
        if when is None:
            return True  # kept: the caller counts records without a time apart
        if self.since is not None and when < self.since:
            return False
        return not (self.until is not None and when > self.until)


def parse_time(text: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


_DURATION = re.compile(r"^(\d+)([dhm])$")


def parse_bound(text: str, now: datetime) -> datetime:
    """``90d``, ``12h``, ``30m`` (before ``now``), or an ISO date / date-time (UTC if no zone)."""
    match = _DURATION.match(text.strip())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        return now - timedelta(**{{"d": "days", "h": "hours", "m": "minutes"}[unit]: amount})
    when = parse_time(text.strip())
    if when is None:
        raise ValueError(f"{text!r} is neither a duration (90d, 12h, 30m) nor a date (2026-01-31)")
    return when


def files_in(root: Path, window: Window) -> tuple[list[Path], int]:
    """The trail files under ``root`` the window may concern, sorted, and how many were skipped
    by their place in the AWSLogs layout (day or region outside the window) without opening them."""
    if root.is_file():
        return [root], 0
    chosen: list[Path] = []
    skipped = 0
    for path in sorted(root.rglob("*")):
        if not path.is_file() or not path.name.endswith(TRAIL_SUFFIXES):
            continue
        match = _LAYOUT.search(path.as_posix())
        if match:
            day = date(int(match["y"]), int(match["m"]), int(match["d"]))
            if not window.holds_day(day) or (window.regions and match["region"] not in window.regions):
                skipped += 1
                continue
        chosen.append(path)
    return chosen, skipped


def read_bytes(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The file's content, inflated when it is gzip; `BadFile` when corrupt, truncated or too large."""
    try:
        size = path.stat().st_size
        if size > limit:
            raise BadFile(f"{size} bytes: too large to be a CloudTrail file (limit {limit})")
        raw = path.read_bytes()
    except OSError as exc:
        raise BadFile(f"cannot read ({exc.strerror or exc.__class__.__name__})") from None
    return inflate(raw, limit)


def inflate(raw: bytes, limit: int = MAX_FILE_BYTES) -> bytes:
    """``raw`` inflated when it is gzip (as is when not); `BadFile` when corrupt, truncated or
    inflating past ``limit``. Files and S3 objects alike."""
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        inflater = _inflater.decompressobj(31)
        data = inflater.decompress(raw, limit + 1)
        if len(data) > limit:
            raise BadFile(f"inflates past {limit} bytes: too large to be a CloudTrail file")
        if not inflater.eof:
            raise BadFile("truncated gzip (the stream ends early); re-download the file")
    except (zlib.error, _inflater.error) as exc:
        raise BadFile(f"corrupt gzip ({exc}); re-download the file") from None
    return bytes(data)


def records_of(path: PurePath, data: bytes) -> Iterator[dict[str, Any] | BadFile]:
    """Every record of one file's content, in order; a record that is not an object is a
    `BadFile` with its index (1-based) and the rest go on."""
    name = path.name.removesuffix(".gz")
    if name.endswith(".csv"):
        yield from _csv_records(data)
        return
    text = data.lstrip()
    if not text:
        return
    if text[:1] == b"{":
        try:
            doc = json.loads(data)
        except json.JSONDecodeError:
            yield from _json_lines(data)  # several objects: JSON Lines
            return
        except UnicodeDecodeError:
            raise BadFile("not UTF-8 text: not a CloudTrail file") from None
        if isinstance(doc, dict) and isinstance(doc.get("Records"), list):
            items: list[Any] = doc["Records"]
        elif isinstance(doc, dict) and "eventName" in doc:
            items = [doc]
        else:
            raise BadFile('a JSON object without "Records": not a CloudTrail file')
    elif text[:1] == b"[":
        try:
            items = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BadFile(f"invalid JSON ({exc}); the file may be truncated") from None
    else:
        raise BadFile("neither JSON nor JSON Lines: not a CloudTrail file")
    for number, item in enumerate(items, start=1):
        yield item if isinstance(item, dict) else BadFile("a record that is not a JSON object", number)


def _json_lines(data: bytes) -> Iterator[dict[str, Any] | BadFile]:
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            if number == 1:
                raise BadFile("invalid JSON on line 1; the file may be truncated") from None
            yield BadFile("invalid JSON on this line; the file may be truncated", number)
            continue
        if isinstance(item, dict) and isinstance(item.get("Records"), list):
            for record in item["Records"]:  # several trail documents concatenated
                yield (
                    record if isinstance(record, dict) else BadFile("a record that is not an object", number)
                )
        else:
            yield item if isinstance(item, dict) else BadFile("a line that is not a JSON object", number)


# CloudTrail Lake and Athena name the record's fields in lower case; nested ones hold JSON.
_FIELDS = [
    "eventVersion",
    "userIdentity",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "errorCode",
    "errorMessage",
    "requestParameters",
    "responseElements",
    "requestID",
    "eventID",
    "readOnly",
    "resources",
    "eventType",
    "managementEvent",
    "recipientAccountId",
    "eventCategory",
    "sessionCredentialFromConsole",
]
_BY_LOWER = {f.lower(): f for f in _FIELDS}


def _csv_records(data: bytes) -> Iterator[dict[str, Any] | BadFile]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadFile("not UTF-8 text: not a CloudTrail export") from None
    reader = csv.DictReader(io.StringIO(text))
    columns = {c: _BY_LOWER.get(c.lower().replace("_", "")) for c in reader.fieldnames or ()}
    if "eventName" not in columns.values() or "eventSource" not in columns.values():
        raise BadFile("a CSV without eventsource/eventname columns: not a CloudTrail export")
    for number, row in enumerate(reader, start=2):  # line 1 is the header
        record: dict[str, Any] = {}
        for column, value in row.items():
            field = columns.get(column) if column is not None else None
            if field is None or value in (None, ""):
                continue
            if value[:1] in "{[":
                try:
                    record[field] = json.loads(value)
                except json.JSONDecodeError:
                    yield BadFile(f"column {column} is not JSON (export nested fields as JSON)", number)
                    break
            else:
                record[field] = value
        else:
            yield record
