"""A trail read through LookupEvents (policygen/trail/lookup.py). moto does not implement
LookupEvents, so botocore's Stubber answers: pages, throttling, failures; time is a fake clock
whose sleep only advances it, so no test sleeps and the pacing is checked exactly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import trail_fixtures as fx
from botocore.stub import ANY, Stubber
from click.testing import CliRunner

from policygen.cli import main
from policygen.trail import Aggregate, LocalTrail, Principal, Window
from policygen.trail.lookup import LookupTrail, Pacer

NOW = datetime(2026, 11, 25, tzinfo=UTC)
ROLE = Principal(fx.ROLE)
# LookupEvents holds management events only: the fixture's data events (S3 objects, DynamoDB
# items) are not there
MANAGEMENT = [r for r in fx.records(240) if r["managementEvent"]]


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.requests: list[float] = []  # the time of each request

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Timed:
    """A client that notes the (fake) time of each request before the stubbed answer."""

    def __init__(self, client: Any, time: FakeTime) -> None:
        self.client, self.time = client, time

    def lookup_events(self, **args: Any) -> Any:
        self.time.requests.append(self.time.now)
        return self.client.lookup_events(**args)


def _event(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "EventId": record["eventID"],
        "EventName": record["eventName"],
        "EventSource": record["eventSource"],
        "EventTime": datetime.fromisoformat(record["eventTime"].replace("Z", "+00:00")),
        "CloudTrailEvent": json.dumps(record),
    }


def _pages(records: list[dict[str, Any]], size: int = 50) -> list[dict[str, Any]]:
    pages = [{"Events": [_event(r) for r in records[i : i + size]]} for i in range(0, len(records), size)]
    for number, page in enumerate(pages[:-1], start=1):
        page["NextToken"] = f"token-{number}"
    return pages


def _throttled(stubber: Stubber, times: int) -> None:
    for _ in range(times):
        stubber.add_client_error("lookup_events", "ThrottlingException", "Rate exceeded", 400)


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client(
        "cloudtrail", region_name=fx.REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _trail(clients: dict[str, Any], time: FakeTime, jitter: float = 0.5) -> LookupTrail:
    return LookupTrail(
        tuple(clients),
        client_for=lambda region: Timed(clients[region], time),
        pacer_for=lambda: Pacer(clock=time.clock, sleep=time.sleep, jitter=lambda: jitter),
        now=lambda: NOW,
    )


def _calls(aggregate: Aggregate) -> list[Any]:
    return [(k, vars(s)) for k, s in aggregate.sorted_calls()]


def _local(tmp_path: Path, records: list[dict[str, Any]], principal: Principal = ROLE) -> Aggregate:
    path = tmp_path / "same.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records))
    return LocalTrail(path, jobs=1).read(principal, Window())


def test_pages_paced_and_parsed_into_the_aggregate_of_the_same_records(
    stubbed: tuple[Any, Stubber], tmp_path: Path
) -> None:
    client, stubber = stubbed
    pages = _pages(MANAGEMENT)
    assert len(pages) == 3
    start = NOW - timedelta(days=90)  # LookupEvents holds 90 days: an unbounded window starts there
    for number, page in enumerate(pages):
        expected = {"StartTime": start, "EndTime": NOW, "MaxResults": 50}
        if number:
            expected["NextToken"] = f"token-{number}"
        stubber.add_response("lookup_events", page, expected)
    time = FakeTime()
    aggregate = _trail({fx.REGION: client}, time).read(ROLE, Window())
    assert _calls(aggregate) == _calls(_local(tmp_path, MANAGEMENT)) and aggregate.calls
    assert aggregate.records == len(MANAGEMENT) and not aggregate.errors
    # two requests a second at most: each waits out the half second since the one before
    assert [round(b - a, 6) for a, b in zip(time.requests, time.requests[1:], strict=False)] == [0.5, 0.5]


def test_session_name_narrows_the_pages_server_side_by_username(
    stubbed: tuple[Any, Stubber], tmp_path: Path
) -> None:
    client, stubber = stubbed
    mine = [r for r in MANAGEMENT if r["userIdentity"].get("arn", "").endswith(f"/{fx.FUNCTION}")][:50]
    expected = {
        "StartTime": NOW - timedelta(days=7),
        "EndTime": NOW - timedelta(days=1),
        "MaxResults": 50,
        "LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": fx.FUNCTION}],
    }
    stubber.add_response("lookup_events", _pages(mine)[0], expected)
    window = Window(NOW - timedelta(days=7), NOW - timedelta(days=1))
    principal = Principal(fx.ROLE, fx.FUNCTION)
    aggregate = _trail({fx.REGION: client}, FakeTime()).read(principal, window)
    assert _calls(aggregate) == _calls(_local(tmp_path, mine, principal)) and aggregate.matched == len(mine)


def test_throttling_backs_off_with_jitter_and_goes_on(stubbed: tuple[Any, Stubber], tmp_path: Path) -> None:
    client, stubber = stubbed
    first, second, third = _pages(MANAGEMENT)
    stubber.add_response("lookup_events", first, {"StartTime": ANY, "EndTime": ANY, "MaxResults": 50})
    _throttled(stubber, 3)
    for page in (second, third):
        stubber.add_response(
            "lookup_events", page, {"StartTime": ANY, "EndTime": ANY, "MaxResults": 50, "NextToken": ANY}
        )
    time = FakeTime()
    aggregate = _trail({fx.REGION: client}, time, jitter=0.5).read(ROLE, Window())
    # half the exponential delay plus jitter x half: 0.75, 1.5, 3.0; then the pacing's 0.5
    assert time.sleeps == [0.5, 0.75, 1.5, 3.0, 0.5]
    assert len(time.requests) == 6
    assert all(b - a >= 0.5 for a, b in zip(time.requests, time.requests[1:], strict=False))
    assert _calls(aggregate) == _calls(_local(tmp_path, MANAGEMENT)) and not aggregate.errors


def test_throttled_past_the_retries_is_an_error_and_other_regions_are_read(tmp_path: Path) -> None:
    clients = {
        region: boto3.client(
            "cloudtrail", region_name=region, aws_access_key_id="t", aws_secret_access_key="t"
        )
        for region in ("eu-west-1", "us-east-1")
    }
    first, second, _ = _pages(MANAGEMENT)
    with Stubber(clients["eu-west-1"]) as europe, Stubber(clients["us-east-1"]) as america:
        europe.add_response("lookup_events", first)
        _throttled(europe, 9)  # the first try and 8 retries
        america.add_response("lookup_events", {"Events": second["Events"]})
        time = FakeTime()
        aggregate = _trail(clients, time).read(ROLE, Window())
        europe.assert_no_pending_responses()
        america.assert_no_pending_responses()
    assert [str(e) for e in aggregate.errors] == [
        "lookup-events eu-west-1: page 2: ThrottlingException after 8 retries; try again later or narrow --since"
    ]
    assert aggregate.records == len(first["Events"]) + len(second["Events"])  # the rest was read
    assert max(time.sleeps) == 15.0  # the backoff is capped at 20 s: half of it, plus jitter x half


def test_access_denied_and_events_that_are_not_json_are_reported(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    page = _pages(MANAGEMENT[:3])[0]
    page["Events"][1]["CloudTrailEvent"] = '{"eventVersion": "1.09", truncated'
    page["NextToken"] = "more"
    stubber.add_response("lookup_events", page)
    stubber.add_client_error("lookup_events", "AccessDeniedException", "not authorized", 400)
    aggregate = _trail({fx.REGION: client}, FakeTime()).read(ROLE, Window())
    assert [str(e) for e in aggregate.errors] == [
        "lookup-events eu-west-1: page 2: AccessDeniedException: policygen needs cloudtrail:LookupEvents "
        "in this region (not authorized)",
        "lookup-events eu-west-1 page 1:2: CloudTrailEvent is not a JSON object",
    ]
    assert aggregate.records == 2


def test_cli_reads_lookup_events_in_the_region_asked(
    stubbed: tuple[Any, Stubber], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    client, stubber = stubbed
    regions: list[str] = []

    def made(region: str) -> Any:
        regions.append(region)
        return client

    monkeypatch.setattr("policygen.trail.lookup._client", made)
    stubber.add_response("lookup_events", {"Events": [_event(r) for r in MANAGEMENT[:40]]})
    args = ["trail", "--cloudtrail", "lookup-events", "--role", fx.ROLE, "--format", "json", "--quiet"]
    result = CliRunner().invoke(main, [*args, "--trail-region", fx.REGION])
    assert result.exit_code == 0, result.output
    observed = {o["action"] for o in json.loads(result.stdout)["observed"]}
    assert observed == {"kms:Decrypt", "logs:CreateLogStream", "cloudwatch:PutMetricData"}
    assert regions == [fx.REGION]

    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    nowhere = CliRunner().invoke(main, args)
    assert nowhere.exit_code == 2 and "which region's events? give --trail-region" in nowhere.stderr

    code = tmp_path / "fn"
    code.mkdir()
    (code / "app.py").write_text("def handler(event, context):\n    return None\n")
    stubber.add_response("lookup_events", {"Events": [_event(r) for r in MANAGEMENT[:40]]})
    trail = ["--cloudtrail", "lookup-events", "--trail-role", fx.ROLE]
    generated = CliRunner().invoke(
        main,
        ["generate", str(code), "--no-cache", "--region", "us-east-1", "--format", "json", *trail],
    )
    assert generated.exit_code == 0, generated.output
    assert regions == [fx.REGION, "us-east-1"]  # --region is the API region when no --trail-region


def test_a_window_older_than_90_days_is_an_error_without_a_request(stubbed: tuple[Any, Stubber]) -> None:
    client, _ = stubbed  # no response queued: a request would fail the test
    old = Window(NOW - timedelta(days=200), NOW - timedelta(days=100))
    aggregate = _trail({fx.REGION: client}, FakeTime()).read(ROLE, old)
    assert [str(e) for e in aggregate.errors] == [
        "lookup-events: the window ends 2026-08-17, before the 90 days LookupEvents holds: nothing to ask"
    ]


def test_a_window_longer_than_90_days_is_searched_from_their_start_and_said(
    stubbed: tuple[Any, Stubber],
) -> None:
    client, stubber = stubbed
    expected = {"StartTime": NOW - timedelta(days=90), "EndTime": NOW, "MaxResults": 50}
    stubber.add_response("lookup_events", _pages(MANAGEMENT[:10])[0], expected)
    aggregate = _trail({fx.REGION: client}, FakeTime()).read(ROLE, Window(NOW - timedelta(days=200)))
    assert not aggregate.errors and aggregate.records == 10
    assert aggregate.notes == [
        "lookup-events: the window asked starts 2026-05-09 00:00 UTC, but LookupEvents holds only the last "
        "90 days: searched 2026-08-27 00:00 to 2026-11-25 00:00 UTC; older events are not available through "
        "LookupEvents (read the trail from its S3 bucket or an Athena table for them)"
    ]


def test_a_window_within_the_90_days_is_not_noted(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    for window in (Window(), Window(NOW - timedelta(days=30))):
        stubber.add_response("lookup_events", _pages(MANAGEMENT[:10])[0])
        aggregate = _trail({fx.REGION: client}, FakeTime()).read(ROLE, window)
        assert aggregate.notes == [] and aggregate.census_unavailable.startswith(
            "LookupEvents returns management events only"
        )


CODE = """import boto3

s3 = boto3.client("s3")


def handler(event, context):
    return s3.get_object(Bucket="orders-archive-123456789012", Key="in/" + event["id"])
"""


def test_cli_says_the_window_searched_and_that_lookup_events_never_holds_data_events(
    stubbed: tuple[Any, Stubber], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    client, stubber = stubbed
    monkeypatch.setattr("policygen.trail.lookup._client", lambda region: client)
    stubber.add_response("lookup_events", {"Events": [_event(r) for r in MANAGEMENT[:40]]})
    args = ["trail", "--cloudtrail", "lookup-events", "--role", fx.ROLE, "--format", "json", "--quiet"]
    result = CliRunner().invoke(main, [*args, "--trail-region", fx.REGION, "--since", "200d"])
    # a warning, not an error: everything LookupEvents holds of the window was read
    assert result.exit_code == 0, result.output
    assert "policygen: warning: lookup-events: the window asked starts " in result.stderr
    assert "older events are not available through LookupEvents" in result.stderr
    (note,) = json.loads(result.stdout)["notes"]
    assert note.startswith("lookup-events: the window asked starts") and "searched " in note

    code = tmp_path / "fn"
    code.mkdir()
    (code / "app.py").write_text(CODE)
    stubber.add_response("lookup_events", {"Events": [_event(r) for r in MANAGEMENT[:40]]})
    command = [
        "generate", str(code), "--no-cache", "--region", fx.REGION, "--account", fx.ACCOUNT,
        "--format", "json-report", "--cloudtrail", "lookup-events", "--trail-role", fx.ROLE, "--since", "200d",
    ]  # fmt: skip
    generated = CliRunner().invoke(main, command)
    assert generated.exit_code == 0, generated.output
    doc = json.loads(generated.stdout)
    by = {p["action"]: p for p in doc["permissions"]}
    assert by["kms:Decrypt"]["history"] == "observed-only"  # the role's calls were read
    get = by["s3:GetObject"]
    assert get["history"] == "in-code-never-observed"
    # LookupEvents never holds a data event: the reason says so, not that the trail logs none
    assert get["history_why"].startswith(
        "a data event of s3.amazonaws.com: LookupEvents returns management events only, never data events"
    )
    assert "the trail holds no data event" not in get["history_why"]
    # the window cut is unresolved in generate (so --strict refuses it), not an input error
    reasons = [u["reason"] for u in doc["unresolved"]]
    assert any(r.startswith("CloudTrail: lookup-events: the window asked starts") for r in reasons), reasons
