"""A trail read through CloudTrail's LookupEvents API: the management events of the last 90 days
of one account, region by region, without a trail or a bucket. Data events (S3 objects, DynamoDB
items, Lambda Invoke...) are not there: a permission the code needs for one is expected to show as
never observed.

Each page's ``CloudTrailEvent`` JSON is counted by the local path's `count_record`, so the
aggregate is the one a delivered file of the same events gives. The API allows two requests per
second per account and region: requests are paced client-side, and a throttled request is retried
after an exponential backoff with jitter. Clock, sleep and jitter are injected (tests never sleep).

Whose events: LookupEvents filters by one attribute, not by role ARN. With a session name
(Lambda names its execution role's sessions after the function) the ``Username`` attribute, which
CloudTrail sets to the role session name for an assumed role, narrows the pages server-side; the
role ARN (``sessionIssuer.arn``) is always checked client-side, as for files.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from policygen.trail.aggregate import Aggregate, Principal, RecordError, count_record, overall
from policygen.trail.read import Window
from policygen.trail.source import NO_CREDENTIALS, Progress, ReadsOnce

RETENTION = timedelta(days=90)  # LookupEvents holds the last 90 days
NO_DATA_EVENTS = (
    "LookupEvents returns management events only, never data events, so this source cannot show such a "
    "call (read the trail itself, from its S3 bucket or an Athena table, with data events logged)"
)
MIN_INTERVAL = 0.5  # seconds between two requests in one region: 2 per second
_THROTTLED = frozenset(
    {"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"}
)
_TRANSIENT = frozenset(
    {"InternalFailure", "InternalServerError", "ServiceUnavailable", "ServiceUnavailableException"}
)


@dataclass
class Pacer:
    """At most one request per ``interval`` seconds; throttled requests wait ``base * 2**n``
    seconds (capped, with jitter) before trying again, ``retries`` times."""

    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = random.random
    interval: float = MIN_INTERVAL
    base: float = 1.0
    cap: float = 20.0
    retries: int = 8
    _last: float | None = field(default=None, repr=False)

    def wait_turn(self) -> None:
        if self._last is not None:
            due = self._last + self.interval - self.clock()
            if due > 0:
                self.sleep(due)
        self._last = self.clock()

    def backoff(self, attempt: int) -> None:
        """Sleep before retry number ``attempt`` (0-based): half the exponential delay, plus up to
        as much again at random (spreads clients that were throttled together)."""
        delay = min(self.cap, self.base * 2**attempt)
        self.sleep(delay / 2 + self.jitter() * delay / 2)


@dataclass
class LookupTrail(ReadsOnce):
    """LookupEvents in ``regions`` (the API regions: CloudTrail answers for its own region)."""

    regions: tuple[str, ...]
    client_for: Callable[[str], Any] | None = None  # region -> a CloudTrail client; None: boto3
    pacer_for: Callable[[], Pacer] = Pacer
    now: Callable[[], datetime] = lambda: datetime.now(UTC)

    @property
    def where(self) -> str:
        return "lookup-events"

    def read_many(
        self, principals: Sequence[Principal], window: Window, progress: Progress | None = None, census: bool = False
    ) -> dict[Principal, Aggregate]:
        """Each event paged once for all ``principals``: when every one has a session name, one
        sweep narrowed by ``Username`` per distinct name (together they page only those
        sessions' events); else one sweep of every event, in which a principal with a session
        name counts only the events whose ``Username`` is its name, as the narrowed sweep of
        `read` would have returned it.

        ``census`` asks for nothing more: LookupEvents holds no data events at all, which each
        aggregate says (`Aggregate.census_unavailable`). A window that starts before the 90 days
        LookupEvents holds is searched from their start, and each aggregate says so in `notes`."""
        who = list(dict.fromkeys(principals))
        totals = [Aggregate(census_unavailable=NO_DATA_EVENTS) for _ in who]
        now = self.now()
        start = max(window.since or now - RETENTION, now - RETENTION)
        end = min(window.until or now, now)
        if end <= start:
            message = f"the window ends {end:%Y-%m-%d}, before the 90 days LookupEvents holds: nothing to ask"
            for total in totals:
                total.errors.append(RecordError(self.where, 0, message))
            return dict(zip(who, totals, strict=True))
        if window.since is not None and window.since < start:
            for total in totals:
                total.notes.append(
                    f"lookup-events: the window asked starts {window.since:%Y-%m-%d %H:%M} UTC, but LookupEvents "
                    f"holds only the last 90 days: searched {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC; "
                    "older events are not available through LookupEvents (read the trail from its S3 bucket or "
                    "an Athena table for them)"
                )
        sessions = [p.session_name for p in who]
        sweeps: list[str | None] = [*sorted({s for s in sessions if s})] if all(sessions) else [None]
        for region in self.regions:
            client = self.client_for(region) if self.client_for is not None else _client(region)
            pacer = self.pacer_for()  # one pace per region: the API's limit is per account and region
            for session in sweeps:
                sweep = _Sweep(
                    region, session, [(p, t) for p, t in zip(who, totals, strict=True)
                                      if session is None or p.session_name == session]
                )  # fmt: skip
                self._read_region(client, sweep, window, start, end, pacer, totals, progress)
        for total in totals:
            total.errors.sort(key=lambda e: (e.path, e.record, e.message))
        return dict(zip(who, totals, strict=True))

    def _read_region(
        self,
        client: Any,
        sweep: _Sweep,
        window: Window,
        start: datetime,
        end: datetime,
        pacer: Pacer,
        totals: list[Aggregate],
        progress: Progress | None,
    ) -> None:
        where = f"lookup-events {sweep.region}"
        args: dict[str, Any] = {"StartTime": start, "EndTime": end, "MaxResults": 50}
        if sweep.session:
            args["LookupAttributes"] = [{"AttributeKey": "Username", "AttributeValue": sweep.session}]
        page_number = 0
        while True:
            page_number += 1
            try:
                page = _request(client, args, pacer)
            except _Failed as exc:
                for _, total in sweep.readers:
                    total.errors.append(RecordError(where, 0, f"page {page_number}: {exc}"))
                return
            for number, event in enumerate(page.get("Events", ()), start=1):
                readers = sweep.reading(event)
                if not readers:
                    continue
                try:
                    record = json.loads(event.get("CloudTrailEvent") or "")
                except (json.JSONDecodeError, TypeError):
                    record = None
                for principal, total in readers:
                    if not isinstance(record, dict):
                        total.errors.append(
                            RecordError(
                                f"{where} page {page_number}", number, "CloudTrailEvent is not a JSON object"
                            )
                        )
                        continue
                    total.records += 1
                    count_record(total, record, principal, window, f"{where} page {page_number}")
            if progress is not None:
                progress(overall(totals))
            token = page.get("NextToken")
            if not token:
                return
            args["NextToken"] = token


@dataclass(frozen=True)
class _Sweep:
    """One paging of a region's events (narrowed to ``session`` when given) and whom it reads for."""

    region: str
    session: str | None
    readers: list[tuple[Principal, Aggregate]]

    def reading(self, event: dict[str, Any]) -> list[tuple[Principal, Aggregate]]:
        """Whom ``event`` is read for: in a sweep of every event, a principal with a session
        name only reads the events the server would have returned it (``Username``)."""
        if self.session is not None:
            return self.readers
        username = event.get("Username")
        return [(p, t) for p, t in self.readers if p.session_name is None or p.session_name == username]


class _Failed(Exception):
    pass


def _request(client: Any, args: dict[str, Any], pacer: Pacer) -> dict[str, Any]:
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    attempt = 0
    while True:
        pacer.wait_turn()
        try:
            response: dict[str, Any] = client.lookup_events(**args)
            return response
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code, message = str(error.get("Code", "")), str(error.get("Message", ""))
            if code in _THROTTLED or code in _TRANSIENT:
                if attempt >= pacer.retries:
                    raise _Failed(
                        f"{code} after {attempt} retries; try again later or narrow --since"
                    ) from None
                pacer.backoff(attempt)
                attempt += 1
                continue
            if code in ("AccessDenied", "AccessDeniedException", "UnrecognizedClientException"):
                raise _Failed(
                    f"{code}: policygen needs cloudtrail:LookupEvents in this region ({message})"
                ) from None
            raise _Failed(f"{code}: {message}") from None
        except NoCredentialsError:
            raise _Failed(NO_CREDENTIALS) from None
        except BotoCoreError as exc:
            raise _Failed(f"{exc.__class__.__name__}: {exc}") from None


def _client(region: str) -> Any:
    import boto3
    from botocore.config import Config

    # one attempt per request: the pacer owns retries, so the 2 requests a second hold
    return boto3.session.Session().client(
        "cloudtrail", region_name=region, config=Config(retries={"total_max_attempts": 1})
    )
