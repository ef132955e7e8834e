"""One read of a trail for all of a project's functions (`Trail.read_many`): each file or S3
object is read once, LookupEvents pages each event once, and each principal's aggregate is the
one its own read (`Trail.read`) gives, counts, errors and census included. Athena's one query for
several principals is tested with the other Athena tests (tests/test_trail_athena.py)."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import trail_fixtures as fx
from click.testing import CliRunner
from moto import mock_aws

from policygen.cli import main
from policygen.trail import LocalTrail, Principal, Window
from policygen.trail import aggregate as aggregate_module
from policygen.trail.lookup import LookupTrail, Pacer
from policygen.trail.s3 import S3Trail

OTHER_ACCOUNT = "210987654321"
BILLING_ROLE = f"arn:aws:iam::{OTHER_ACCOUNT}:role/billing-role"
PRINCIPALS = [
    Principal(fx.ROLE),  # by role ARN
    Principal(session_name="shipping-fn"),  # by session name alone: every account
    Principal(BILLING_ROLE, "billing-fn"),  # another account's role and session
    Principal(role_pattern=rf"arn:aws:iam::{fx.ACCOUNT}:role/shop\-Orders.+", hint="shop-Orders"),  # generated
    Principal(session_name="never-called-fn"),  # in no record
]


def _other_account(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [json.loads(json.dumps(r).replace(fx.ACCOUNT, OTHER_ACCOUNT)) for r in records]


def _file(root: Path, account: str, day: int, name: str, records: list[dict[str, Any]]) -> None:
    folder = root / "AWSLogs" / account / "CloudTrail" / fx.REGION / f"2026/11/{day:02d}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json.gz").write_bytes(gzip.compress(json.dumps({"Records": records}).encode(), mtime=0))


def write_project_trail(root: Path) -> int:
    """A trail of several functions' roles over two accounts, with a JSON Lines export (parsed
    whole) and a corrupt file among the delivered ones; the number of files."""
    orders = list(fx.records(160))
    shipping = fx.as_principal(fx.records(120), "shipping-role", "shipping-fn", "shipping")
    shop = fx.as_principal(fx.records(80), "shop-OrdersRole-1A2B3C", "shop-Orders-9Z8Y7X", "shop")
    billing = _other_account(fx.as_principal(fx.records(80), "billing-role", "billing-fn", "billing"))
    files = 0
    for day in (20, 21):
        for part in range(3):
            mixed = [*orders[part::3], *shipping[part::3], *shop[part::3]]
            mixed = [r for n, r in enumerate(mixed) if n % 2 == day % 2]
            _file(root, fx.ACCOUNT, day, f"mixed-{part}", mixed)
            files += 1
        _file(root, OTHER_ACCOUNT, day, "billing", [r for n, r in enumerate(billing) if n % 2 == day % 2])
        files += 1
    broken = root / "AWSLogs" / fx.ACCOUNT / "CloudTrail" / fx.REGION / "2026/11/21" / "broken.json.gz"
    broken.write_bytes(gzip.compress(b'{"Records": [{"eventVersion": "1.09"')[:25])
    export = root / "exports" / "lake.jsonl"
    export.parent.mkdir()
    export.write_text("\n".join(json.dumps(r) for r in [*orders[:20], *shipping[:20], *billing[:20]]))
    return files + 2


@pytest.fixture
def project_trail(tmp_path: Path) -> tuple[Path, int]:
    root = tmp_path / "trail"
    return root, write_project_trail(root)


@pytest.fixture
def counted_reads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Every local file read (in this process: the tests read with one job)."""
    reads: Counter[str] = Counter()
    real = aggregate_module.read_bytes

    def read_bytes(path: Path, limit: int = aggregate_module.MAX_FILE_BYTES) -> bytes:
        reads[str(path)] += 1
        return real(path, limit)

    monkeypatch.setattr(aggregate_module, "read_bytes", read_bytes)
    return reads


WINDOWS = [Window(), Window(fx.START + timedelta(minutes=5), None, frozenset({fx.REGION}))]


@pytest.mark.parametrize("window", WINDOWS)
def test_a_folder_is_read_once_and_each_principal_gets_its_own_aggregate(
    project_trail: tuple[Path, int], counted_reads: Counter[str], window: Window
) -> None:
    root, files = project_trail
    trail = LocalTrail(root, jobs=1)
    many = trail.read_many(PRINCIPALS, window, census=True)
    once = dict(counted_reads)
    assert sorted(once.values()) == [1] * len(once) and len(once) <= files  # each file read once
    counted_reads.clear()
    for principal in PRINCIPALS:
        alone = trail.read(principal, window, census=True)
        assert many[principal] == alone  # calls, counts, errors, census, identities: all of it
    assert sum(counted_reads.values()) == len(PRINCIPALS) * len(once)  # the old way: N scans
    orders, shipping, billing, shop, never = (many[p] for p in PRINCIPALS)
    assert orders.matched > 0 and shipping.matched > 0 and billing.matched > 0 and shop.matched > 0
    assert never.matched == 0 and never.files_without_principal > 0
    assert [e.message for e in orders.errors] == ["truncated gzip (the stream ends early); re-download the file"]
    assert orders.data_sources == shipping.data_sources and orders.data_sources  # one census for all


def test_worker_processes_give_the_same_aggregates(project_trail: tuple[Path, int]) -> None:
    root, _ = project_trail
    parallel = LocalTrail(root, jobs=2).read_many(PRINCIPALS, Window(), census=True)
    for principal in PRINCIPALS:
        assert parallel[principal] == LocalTrail(root, jobs=1).read(principal, Window(), census=True)


# -- S3 --------------------------------------------------------------------------------------------

BUCKET = "org-trail-bucket"


@pytest.fixture
def bucket(project_trail: tuple[Path, int], monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    root, _ = project_trail
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.parts[-2] != "exports":
                key = "AWSLogs/o-abc123def4/" + path.relative_to(root / "AWSLogs").as_posix()
                client.put_object(Bucket=BUCKET, Key=key, Body=path.read_bytes())
        yield client


def _fetched(client: Any) -> Counter[str]:
    seen: Counter[str] = Counter()

    def record(params: dict[str, Any], **_: Any) -> None:
        seen[params["Key"]] += 1

    client.meta.events.register("provide-client-params.s3.GetObject", record)
    return seen


@pytest.mark.parametrize("window", WINDOWS)
def test_s3_objects_are_fetched_once_for_every_principal(bucket: Any, window: Window) -> None:
    trail = S3Trail(BUCKET, "AWSLogs/", workers=4, page_size=3, client=bucket)
    fetched = _fetched(bucket)
    many = trail.read_many(PRINCIPALS, window, census=True)
    assert fetched and set(fetched.values()) == {1}
    # the other account's objects are fetched (a principal without a role reads every account)
    assert any(OTHER_ACCOUNT in key for key in fetched)
    fetched.clear()
    for principal in PRINCIPALS:
        assert many[principal] == trail.read(principal, window, census=True)
    # alone, a role's read skips the other account's folders, as it does in the one pass
    by_role = Principal(fx.ROLE)
    fetched.clear()
    trail.read(by_role, window)
    assert not any(OTHER_ACCOUNT in key for key in fetched)
    assert many[by_role].files == sum(fetched.values())


def test_s3_principals_of_one_account_walk_only_that_account(bucket: Any) -> None:
    trail = S3Trail(BUCKET, "AWSLogs/", workers=4, client=bucket)
    fetched = _fetched(bucket)
    principals = [PRINCIPALS[0], Principal(f"arn:aws:iam::{fx.ACCOUNT}:role/shipping-role", "shipping-fn")]
    many = trail.read_many(principals, Window())
    assert fetched and set(fetched.values()) == {1} and not any(OTHER_ACCOUNT in k for k in fetched)
    fetched.clear()
    assert [many[p] for p in principals] == [trail.read(p, Window()) for p in principals]


# -- LookupEvents ------------------------------------------------------------------------------------

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def _event(record: dict[str, Any]) -> dict[str, Any]:
    arn = record["userIdentity"].get("arn", "")
    return {
        "EventId": record["eventID"],
        "EventName": record["eventName"],
        "EventSource": record["eventSource"],
        "Username": arn.rsplit("/", 1)[-1],  # the session name of an assumed role
        "CloudTrailEvent": json.dumps(record),
    }


class FakeLookup:
    """LookupEvents over a list of management events, with the server's ``Username`` filter,
    50 a page; counts the requests and every event it returns."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.events = [_event(r) for r in records if r["managementEvent"]]
        self.requests = 0
        self.returned: Counter[str] = Counter()

    def lookup_events(self, **args: Any) -> dict[str, Any]:
        self.requests += 1
        chosen = self.events
        for attribute in args.get("LookupAttributes", ()):
            chosen = [e for e in chosen if e["Username"] == attribute["AttributeValue"]]
        start = int(args.get("NextToken") or 0)
        page = chosen[start : start + 50]
        self.returned.update(e["EventId"] for e in page)
        out: dict[str, Any] = {"Events": page}
        if start + 50 < len(chosen):
            out["NextToken"] = str(start + 50)
        return out


def _lookup(fake: FakeLookup) -> LookupTrail:
    return LookupTrail(
        (fx.REGION,),
        client_for=lambda region: fake,
        pacer_for=lambda: Pacer(clock=lambda: 0.0, sleep=lambda s: None, jitter=lambda: 0.0),
        now=lambda: NOW,
    )


def _lookup_records() -> list[dict[str, Any]]:
    return [
        *fx.records(200),
        *fx.as_principal(fx.records(150), "shipping-role", "shipping-fn", "shipping"),
        *fx.as_principal(fx.records(150), "billing-role", "billing-fn", "billing"),
    ]


@pytest.mark.parametrize(
    "principals",
    [
        # every principal has a session name: one narrowed sweep per name
        [Principal(fx.ROLE, fx.FUNCTION), Principal(session_name="shipping-fn"), Principal(session_name="nobody")],
        # one has none (a role alone): one sweep of every event, each principal reading its own
        [Principal(fx.ROLE), Principal(session_name="shipping-fn"), Principal(session_name="billing-fn")],
    ],
)
def test_lookup_events_pages_each_event_once(principals: list[Principal]) -> None:
    records = _lookup_records()
    fake = FakeLookup(records)
    many = _lookup(fake).read_many(principals, Window(NOW - timedelta(days=30)), census=True)
    assert fake.returned and set(fake.returned.values()) == {1}
    for principal in principals:
        alone_fake = FakeLookup(records)
        alone = _lookup(alone_fake).read(principal, Window(NOW - timedelta(days=30)), census=True)
        assert many[principal] == alone and (alone.matched > 0) == (principal.session_name != "nobody")
    narrowed = all(p.session_name for p in principals)
    # narrowed sweeps page only the sessions' events; else every event once
    assert fake.requests == (
        sum(-(-len([e for e in fake.events if e["Username"] == p.session_name]) // 50) or 1 for p in principals)
        if narrowed
        else -(-len(fake.events) // 50)
    )


# -- a project, end to end ------------------------------------------------------------------------

HANDLER = """
import boto3

table = boto3.resource("dynamodb").Table("{table}")


def handler(event, context):
    table.put_item(Item={{"pk": event["id"]}})
"""

SERVERLESS = """
service: shop
provider:
  name: aws
  runtime: python3.12
  region: eu-west-1
functions:
{functions}
"""


def test_a_project_reads_its_trail_once_and_reports_as_with_one_read_per_function(
    tmp_path: Path, counted_reads: Counter[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    names = ["orders", "shipping", "billing", "refunds", "audit"]
    app = tmp_path / "shop"
    app.mkdir()
    (app / "serverless.yml").write_text(
        SERVERLESS.format(functions="".join(f"  {n}:\n    handler: {n}/app.handler\n" for n in names))
    )
    for name in names:
        (app / name).mkdir()
        (app / name / "app.py").write_text(HANDLER.format(table=name))
    trail = tmp_path / "trail"
    for day, name in enumerate(names[:4]):
        role = "shop-prod-eu-west-1-lambdaRole"
        records = fx.as_principal(fx.records(60), role, f"shop-prod-{name}", name)
        _file(trail, fx.ACCOUNT, 20 + day, name, records)
    args = [
        "generate", str(app), "--region", fx.REGION, "--account", fx.ACCOUNT, "--no-cache", "--stage", "prod",
        "--format", "json-report", "--cloudtrail", str(trail), "--jobs", "1",
    ]  # fmt: skip
    once = CliRunner().invoke(main, args)
    assert once.exit_code == 0, once.output
    assert sorted(counted_reads.values()) == [1, 1, 1, 1]  # 4 files, 5 functions: each file read once
    counted_reads.clear()
    monkeypatch.setattr("policygen.project.read_ahead", lambda subjects, options: None)
    each = CliRunner().invoke(main, args)
    assert each.exit_code == 0, each.output
    assert sorted(counted_reads.values()) == [5, 5, 5, 5]  # the old way: each function reads them all
    assert once.stdout == each.stdout
    report = json.loads(once.stdout)["functions"]
    observed = {
        name: sorted(p["resource"] for p in report[name]["permissions"] if p["action"] == "dynamodb:PutItem"
                     and any(e["kind"] == "cloudtrail" for e in p["evidence"]))
        for name in names
    }  # fmt: skip
    assert observed["orders"] == [f"arn:aws:dynamodb:{fx.REGION}:{fx.ACCOUNT}:table/orders"]
    assert observed["refunds"] == [f"arn:aws:dynamodb:{fx.REGION}:{fx.ACCOUNT}:table/refunds"]
    assert observed["audit"] == []
