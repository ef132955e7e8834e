"""CloudTrail access history (policygen/trail): reading, the aggregate, events -> permissions,
and `policygen trail`, on generated Lambda-shaped logs and on the real logs in ../shared."""

from __future__ import annotations

import csv
import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import trail_fixtures as fx
from click.testing import CliRunner

from policygen import mapping
from policygen.cli import main
from policygen.trail import (
    Aggregate,
    LocalTrail,
    Principal,
    Window,
    files_in,
    parse_bound,
    permissions,
    scan,
    scan_file,
)
from policygen.trail.aggregate import call_key
from policygen.trail.permissions import find_method
from policygen.trail.read import BadFile, read_bytes, records_of

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "cloudtrail"
ROLE = Principal(fx.ROLE)


@pytest.fixture(scope="module")
def trail(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("trail")
    fx.write_trail(root)
    return root


def _found(
    root: Path, principal: Principal = ROLE, window: Window | None = None
) -> tuple[Aggregate, set[tuple[str, str, bool]]]:
    window = window or Window()
    paths, _ = files_in(root, window)
    aggregate = scan(paths, principal, window, jobs=1)
    return aggregate, {(o.action, o.resource, o.denied) for o in permissions(aggregate).observed}


def test_lambda_role_activity_maps_to_scoped_permissions(trail: Path) -> None:
    aggregate, found = _found(trail)
    a, r = fx.ACCOUNT, fx.REGION
    assert found == {
        ("s3:GetObject", f"arn:aws:s3:::{fx.BUCKET}/incoming/2026/11/*", False),
        ("s3:PutObject", f"arn:aws:s3:::{fx.BUCKET}/processed/*", False),
        ("dynamodb:PutItem", f"arn:aws:dynamodb:{r}:{a}:table/orders", False),
        ("dynamodb:Query", f"arn:aws:dynamodb:{r}:{a}:table/orders/index/by-customer", False),
        ("sqs:SendMessage", f"arn:aws:sqs:{r}:{a}:orders-events", False),
        ("kms:Decrypt", fx.KEY, False),  # from resources[]: the request names no key
        ("logs:CreateLogStream", f"arn:aws:logs:{r}:{a}:log-group:/aws/lambda/orders-fn:log-stream:*", False),
        ("cloudwatch:PutMetricData", "*", False),  # eventSource monitoring.amazonaws.com
        ("secretsmanager:GetSecretValue", fx.SECRET, True),  # denied: a missing permission
    }
    # 480 records, 16 kinds: 12 kinds are the role's calls, the rest other principals and events;
    # only the records holding the role's ARN are parsed (Lambda's AssumeRole names it)
    assert aggregate.records + aggregate.records_skipped == 480
    assert aggregate.matched == 360
    assert aggregate.records == 390 and aggregate.other_principals == 30
    assert not aggregate.errors


def test_records_are_counted_by_kind_when_the_whole_file_is_parsed(trail: Path, tmp_path: Path) -> None:
    lines = tmp_path / "all.jsonl"  # JSON Lines: not the delivered shape, every record parsed
    lines.write_text("".join(json.dumps(r) + "\n" for r in fx.records(480, step=timedelta(minutes=7))))
    aggregate = scan([lines], ROLE, Window(), jobs=1)
    assert aggregate.records == 480 and aggregate.records_skipped == 0
    assert aggregate.other_principals == 60  # the deployer's UpdateFunctionCode, Lambda's AssumeRole
    assert aggregate.not_api_calls == 30 and aggregate.console_sign_ins == 30
    assert permissions(aggregate) == permissions(_found(trail)[0])  # skipping records changes nothing


def test_records_holding_the_role_are_cut_out_only_where_records_start(tmp_path: Path) -> None:
    records = list(fx.records(48))
    # a record whose parameters nest an object starting like a record: the file is parsed whole
    records[5]["requestParameters"] = {"auditEvents": [{"eventVersion": "1.0", "arn": fx.ROLE}]}
    path = tmp_path / "nested.json"
    path.write_text(json.dumps({"Records": records}, separators=(",", ":")))
    aggregate = scan([path], ROLE, Window(), jobs=1)
    assert aggregate.records == 48 and aggregate.records_skipped == 0
    compact = tmp_path / "compact.json"
    compact.write_text(json.dumps({"Records": list(fx.records(48))}, separators=(",", ":")))
    cut = scan([compact], ROLE, Window(), jobs=1)
    assert cut.records + cut.records_skipped == 48 and cut.records_skipped > 0
    assert cut.matched == aggregate.matched == 36


def test_every_action_is_valid_and_each_unmapped_call_has_a_reason(trail: Path) -> None:
    aggregate, _ = _found(trail)
    result = permissions(aggregate)
    assert all(mapping.action_exists(o.action) for o in result.observed)
    assert [(n.event, n.count) for n in result.not_mapped] == [("sts.amazonaws.com GetCallerIdentity", 30)]
    assert "permissionless" in result.not_mapped[0].reason


def test_object_keys_fold_to_their_common_folder_and_the_widening_is_reported(trail: Path) -> None:
    aggregate, _ = _found(trail)
    seen = [s for k, s in aggregate.calls.items() if k[1] == "GetObject"]
    assert len(seen) == 1 and seen[0].count == 60  # one entry for 60 keys: memory stays flat
    reasons = [w.reason for w in permissions(aggregate).widenings if w.action == "s3:GetObject"]
    assert reasons and "60 calls on different object keys under 'incoming/2026/11/'" in reasons[0]


def test_evidence_carries_event_id_time_and_count(trail: Path) -> None:
    aggregate, _ = _found(trail)
    sqs = [o for o in permissions(aggregate).observed if o.action == "sqs:SendMessage"]
    first = next(
        r
        for r in fx.records(480, step=__import__("datetime").timedelta(minutes=7))
        if r["eventName"] == "SendMessage"
    )
    assert sqs[0].count == 30 and sqs[0].example == first["eventID"] and sqs[0].first == first["eventTime"]


def test_session_name_finds_the_function_and_other_sessions_are_apart(tmp_path: Path) -> None:
    records = list(fx.records(32))
    other = json.loads(json.dumps(records[0]))
    other["userIdentity"]["arn"] = other["userIdentity"]["arn"].replace("/orders-fn", "/billing-fn")
    other["eventID"] = "other-session"
    (tmp_path / "t.json").write_text(json.dumps({"Records": [*records, other]}))
    by_session = scan([tmp_path / "t.json"], Principal(session_name="orders-fn"), Window(), jobs=1)
    both = scan([tmp_path / "t.json"], Principal(fx.ROLE, "orders-fn"), Window(), jobs=1)
    by_role = scan([tmp_path / "t.json"], ROLE, Window(), jobs=1)
    assert by_session.matched == both.matched == by_role.matched - 1 == 24


def test_window_skips_day_folders_unopened_and_filters_by_time(trail: Path) -> None:
    since = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)
    until = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    window = Window(since, until)
    paths, skipped = files_in(trail, window)
    days = {p.parent.name for p in paths}
    assert skipped > 0 and days <= {"21", "22", "23"}  # a day of slack each side
    aggregate = scan(paths, ROLE, window, jobs=1)
    times = [s.first for s in aggregate.calls.values()] + [s.last for s in aggregate.calls.values()]
    assert times and all("2026-11-22T00:00:00Z" <= t <= "2026-11-22T12:00:00Z" for t in times)
    assert aggregate.outside_window > 0
    assert files_in(trail, Window(regions=frozenset({"us-east-1"}))) == ([], len(list(trail.rglob("*.gz"))))


def test_parse_bound_durations_and_dates() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert parse_bound("90d", now) == datetime(2026, 9, 2, tzinfo=UTC)
    assert parse_bound("2026-11-01", now) == datetime(2026, 11, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="neither a duration"):
        parse_bound("last week", now)


def test_exported_shapes_give_the_same_aggregate(tmp_path: Path) -> None:
    records = list(fx.records(64))
    (tmp_path / "delivered.json").write_text(json.dumps({"Records": records}))
    (tmp_path / "list.json").write_text(json.dumps(records))
    (tmp_path / "lines.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    with (tmp_path / "lake.csv").open("w", newline="") as handle:
        columns = sorted({k for r in records for k in r if k != "tlsDetails"})
        writer = csv.writer(handle)
        writer.writerow([c.lower() for c in columns])
        for r in records:
            writer.writerow(
                [
                    json.dumps(r[c])
                    if isinstance(r.get(c), dict | list)
                    else ("" if r.get(c) is None else r[c])
                    for c in columns
                ]
            )
    results = [
        scan([tmp_path / name], ROLE, Window(), jobs=1)
        for name in ("delivered.json", "list.json", "lines.jsonl", "lake.csv")
    ]
    expected = {k: (s.count, s.first, s.example) for k, s in results[0].calls.items()}
    assert results[0].matched == 48
    for result in results[1:]:
        assert not result.errors
        assert {k: (s.count, s.first, s.example) for k, s in result.calls.items()} == expected


def test_bad_files_are_reported_and_the_rest_is_read(tmp_path: Path) -> None:
    good = fx.write_trail(tmp_path, count=40)
    blob = gzip.compress(json.dumps({"Records": list(fx.records(10))}).encode())
    (tmp_path / "truncated.json.gz").write_bytes(blob[: len(blob) // 2])
    (tmp_path / "corrupt.json.gz").write_bytes(b"\x1f\x8b" + b"not gzip at all" * 10)
    (tmp_path / "other.json").write_text(json.dumps({"hello": "world"}))
    (tmp_path / "broken.json").write_text(json.dumps(list(fx.records(3)))[:-300])  # the role's, cut
    (tmp_path / "empty.json").write_text("")
    no_identity = dict(next(fx.records(1)))
    del no_identity["userIdentity"]
    (tmp_path / "noid.json").write_text(json.dumps({"Records": [no_identity, fx.ROLE]}))
    paths, _ = files_in(tmp_path, Window())
    aggregate = scan(paths, ROLE, Window(), jobs=1)
    by_file = {Path(e.path).name: (e.record, e.message) for e in aggregate.errors}
    assert "truncated" in by_file["truncated.json.gz"][1]
    assert "corrupt gzip" in by_file["corrupt.json.gz"][1]
    assert "not a CloudTrail file" in by_file["other.json"][1]
    assert "not a CloudTrail file" in by_file["empty.json"][1]  # CloudTrail never writes one empty
    assert "truncated" in by_file["broken.json"][1]
    assert by_file["noid.json"] == (2, "a record that is not a JSON object")
    assert aggregate.no_identity == 1
    assert aggregate.matched == scan(good, ROLE, Window(), jobs=1).matched == 32


def test_oversized_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"Records": list(fx.records(50))}))
    result = scan_file(path, ROLE, Window(), limit=1000)
    assert result.errors and "too large" in result.errors[0].message and result.records == 0
    gz = tmp_path / "bomb.json.gz"
    gz.write_bytes(gzip.compress(b" " * 100_000))
    with pytest.raises(BadFile, match="inflates past"):
        read_bytes(gz, limit=10_000)


def test_parallel_scan_and_file_order_do_not_change_the_result(trail: Path) -> None:
    paths, _ = files_in(trail, Window())
    paths = paths * 3  # enough files for the process pool
    one = scan(paths, ROLE, Window(), jobs=1)
    two = scan(list(reversed(paths)), ROLE, Window(), jobs=2)
    assert permissions(one) == permissions(two)
    assert one.sorted_calls() == two.sorted_calls()


def test_event_names_cloudtrail_spells_differently() -> None:
    assert find_method("lambda.amazonaws.com", "UpdateFunctionCode20150331v2") == (
        "lambda",
        "update_function_code",
    )
    assert find_method("lambda.amazonaws.com", "Invoke") == ("lambda", "invoke")
    assert find_method("monitoring.amazonaws.com", "PutMetricData") == ("cloudwatch", "put_metric_data")
    assert find_method("states.amazonaws.com", "StartExecution") == ("stepfunctions", "start_execution")
    assert "console sign-in" in str(find_method("signin.amazonaws.com", "ConsoleLogin"))
    assert "no operation" in str(find_method("s3.amazonaws.com", "NoSuchThing"))


def test_per_request_ids_do_not_enter_the_aggregate() -> None:
    record = next(r for r in fx.records(16) if r["eventName"] == "CreateLogStream")
    key, _ = call_key(record)
    assert ("logStreamName", "") in key[5] and ("logGroupName", "/aws/lambda/orders-fn") in key[5]


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/data/cloudtrail is not here")
def test_real_logs_every_file_and_record_read_every_call_mapped_or_listed() -> None:
    paths, skipped = files_in(REAL, Window())
    assert len(paths) == 55 and skipped == 0
    records = []
    for path in paths:
        items = list(records_of(path, read_bytes(path)))
        assert not [i for i in items if isinstance(i, BadFile)]
        records.extend(i for i in items if not isinstance(i, BadFile))
    assert len(records) == 2900
    issuers = sorted(
        {r["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] for r in records
         if (r.get("userIdentity") or {}).get("sessionContext", {}).get("sessionIssuer")}
    )  # fmt: skip
    assert len(issuers) == 9
    matched = 0
    for role in issuers:
        aggregate = scan(paths, Principal(role), Window(), jobs=1)
        assert not aggregate.errors
        matched += aggregate.matched
        for key, seen in aggregate.sorted_calls():
            one = Aggregate(calls={key: seen})
            result = permissions(one)
            assert result.observed or result.not_mapped, key  # mapped, or listed with a reason
            assert all(mapping.action_exists(o.action) for o in result.observed)
    assert matched == 76  # SOURCE.md: 76 AssumedRole records from 9 roles


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/data/cloudtrail is not here")
def test_real_logs_denied_calls_are_missing_permissions() -> None:
    role = "arn:aws:iam::123837392027:role/stratus-red-team-leave-org-role"
    paths, _ = files_in(REAL, Window())
    result = permissions(scan(paths, Principal(role), Window(), jobs=1))
    assert [(m.action, m.resource) for m in result.missing] == [("organizations:LeaveOrganization", "*")]


def test_cli_trail_json_report(trail: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    args = [
        "trail",
        "--cloudtrail",
        str(trail),
        "--role",
        fx.ROLE,
        "--format",
        "json",
        "-o",
        str(out),
        "--quiet",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    actions = {a for s in doc["policy"]["Statement"] for a in s["Action"]}
    assert "secretsmanager:GetSecretValue" not in actions  # denied: proposed, not granted
    assert [m["action"] for m in doc["missing"]] == ["secretsmanager:GetSecretValue"]
    assert doc["counts"]["calls_of_the_role"] == 360
    session = f"arn:aws:sts::{fx.ACCOUNT}:assumed-role/{fx.FUNCTION}-role-x1y2z3/{fx.FUNCTION}"
    assert doc["identities"] == [{"arn": session, "calls": 360}]
    assert doc["counts"]["records"] == 480
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0 and json.loads(out.read_text()) == doc


def test_cli_trail_bad_input_exit_code_names_the_file(tmp_path: Path) -> None:
    fx.write_trail(tmp_path, count=40)
    (tmp_path / "x.json.gz").write_bytes(b"\x1f\x8bbroken")
    result = CliRunner().invoke(main, ["trail", "--cloudtrail", str(tmp_path), "--role", fx.ROLE, "--quiet"])
    assert result.exit_code == 2
    assert "x.json.gz" in result.output and "gzip" in result.output  # corrupt or truncated, by inflater
    assert "dynamodb:PutItem" in result.output  # the rest was read
    bad = CliRunner().invoke(main, ["trail", "--cloudtrail", str(tmp_path)])
    assert bad.exit_code == 2 and "--role" in bad.output
    bad = CliRunner().invoke(
        main, ["trail", "--cloudtrail", str(tmp_path), "--role", fx.ROLE, "--since", "soon"]
    )
    assert bad.exit_code == 2 and "neither a duration" in bad.output


HANDLER = """
import boto3

s3 = boto3.client("s3")
table = boto3.resource("dynamodb").Table("orders")


def handler(event, context):
    body = s3.get_object(Bucket="orders-archive-123456789012", Key="incoming/2026/11/" + event["id"] + ".json")
    table.put_item(Item={"pk": event["id"], "body": body["Body"].read().decode()})
    if event.get("purge"):
        table.delete_item(Key={"pk": event["id"]})
"""


def _function(tmp_path: Path) -> Path:
    code = tmp_path / "orders-fn"  # the folder's name is the function's: its role's session name
    code.mkdir()
    (code / "app.py").write_text(HANDLER)
    return code


def test_generate_merges_code_and_trail_evidence(trail: Path, tmp_path: Path) -> None:
    from policygen.evidence.cloudtrail import CloudTrailSource
    from policygen.model import EvidenceKind, Target
    from policygen.options import Options
    from policygen.pipeline import generate

    code = _function(tmp_path)
    for source in (
        CloudTrailSource(LocalTrail(trail, 1), Window(), fx.ROLE),
        CloudTrailSource(LocalTrail(trail, 1)),
    ):
        result = generate(
            code, Options(target=Target("aws", fx.REGION, fx.ACCOUNT), cache_dir=None, sources=(source,))
        )
        kinds = {(p.action, p.resource): {e.kind for e in p.evidence} for p in result.permissions}
        both, code_kind, trail_kind = (
            {EvidenceKind.CODE, EvidenceKind.CLOUDTRAIL},
            {EvidenceKind.CODE},
            {EvidenceKind.CLOUDTRAIL},
        )
        table = f"arn:aws:dynamodb:{fx.REGION}:{fx.ACCOUNT}:table/orders"
        assert kinds[("dynamodb:PutItem", table)] == both  # in code and observed
        assert kinds[("dynamodb:DeleteItem", table)] == code_kind  # in code, never observed
        assert kinds[("sqs:SendMessage", f"arn:aws:sqs:{fx.REGION}:{fx.ACCOUNT}:orders-events")] == trail_kind
        trail_evidence = [
            e for p in result.permissions for e in p.evidence if e.kind is EvidenceKind.CLOUDTRAIL
        ]
        assert all(e.location.is_event and e.location.time for e in trail_evidence)
        assert not any(p.action == "secretsmanager:GetSecretValue" for p in result.permissions)
        denied = [u for u in result.unresolved if "AWS denied" in u.reason]
        assert len(denied) == 1 and "secretsmanager:GetSecretValue" in denied[0].reason


def test_cli_generate_cloudtrail(trail: Path, tmp_path: Path) -> None:
    code = _function(tmp_path)
    args = [
        "generate",
        str(code),
        "--region",
        fx.REGION,
        "--account",
        fx.ACCOUNT,
        "--no-cache",
        "--cloudtrail",
        str(trail),
        "--trail-role",
        fx.ROLE,
        "--since",
        "2026-11-21",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "sqs:SendMessage" in result.output and "dynamodb:DeleteItem" in result.output
    bad = CliRunner().invoke(main, ["generate", str(code), "--no-cache", "--since", "90d"])
    assert bad.exit_code == 2 and "--cloudtrail" in bad.output


def test_json_report_labels_each_permission_by_its_history(trail: Path, tmp_path: Path) -> None:
    code = _function(tmp_path)
    args = [
        "generate",
        str(code),
        "--region",
        fx.REGION,
        "--account",
        fx.ACCOUNT,
        "--no-cache",
        "--format",
        "json-report",
        "--cloudtrail",
        str(trail),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    table = f"arn:aws:dynamodb:{fx.REGION}:{fx.ACCOUNT}:table/orders"
    labels = {(p["action"], p["resource"]): p["history"] for p in json.loads(result.stdout)["permissions"]}
    assert labels[("dynamodb:PutItem", table)] == "in-code-and-observed"
    assert labels[("dynamodb:DeleteItem", table)] == "in-code-never-observed"
    assert (
        labels[("sqs:SendMessage", f"arn:aws:sqs:{fx.REGION}:{fx.ACCOUNT}:orders-events")] == "observed-only"
    )
    plain = CliRunner().invoke(main, args[:-2])
    assert all("history" not in p for p in json.loads(plain.stdout)["permissions"])  # no trail: no label


def test_progress_line_counts_files_events_and_matches_and_is_throttled(
    trail: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from policygen.cli_trail import Progress

    paths, _ = files_in(trail, Window())
    progress = Progress(len(paths), enabled=True, every=3600.0)  # throttled: only the last file draws
    aggregate = scan(paths, ROLE, Window(), jobs=1, progress=progress)
    err = capsys.readouterr().err
    assert err.count("\r") == 1 and err.endswith("\n")
    assert f"files {len(paths)}/{len(paths)}, events 480, matched {aggregate.matched}" in err
    quiet = Progress(len(paths), enabled=False, every=0.0)
    scan(paths, ROLE, Window(), jobs=1, progress=quiet)
    assert capsys.readouterr().err == ""


def test_cli_generate_cloudtrail_quiet_and_no_progress_off_a_terminal(trail: Path, tmp_path: Path) -> None:
    code = _function(tmp_path)
    base = ["generate", str(code), "--no-cache", "--cloudtrail", str(trail), "--trail-role", fx.ROLE]
    for args in (base, [*base, "--quiet"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        assert "trail files" not in result.stderr  # CliRunner's stderr is no terminal


DYNAMIC = """
import os

import boto3

table = boto3.resource("dynamodb").Table("orders")
s3 = boto3.client("s3")


def handler(event, context):
    table.put_item(Item={"pk": event["id"]})
    if event.get("purge"):
        table.delete_item(Key={"pk": event["id"]})  # rare: never in the trail
    s3.get_object(Bucket="orders-archive-123456789012", Key="incoming/2026/11/" + event["id"] + ".json")
    boto3.client("sqs").send_message(QueueUrl=os.environ["OUT_QUEUE"], MessageBody="x")  # widened
    boto3.client(event["service"]).decrypt(CiphertextBlob=b"x")  # service computed at run time
    boto3.client("dynamodb").create_backup(TableName="orders", BackupName="b")  # management, rare
"""


def _report(code: Path, trail: Path, *extra: str) -> tuple[int, dict[str, dict[str, object]], dict[str, object]]:
    args = [
        "generate", str(code), "--region", fx.REGION, "--account", fx.ACCOUNT, "--no-cache",
        "--format", "json-report", "--cloudtrail", str(trail), "--trail-role", fx.ROLE, *extra,
    ]  # fmt: skip
    result = CliRunner().invoke(main, args)
    doc = json.loads(result.stdout) if result.stdout else {}
    return result.exit_code, {f"{p['action']} {p['resource']}": p for p in doc.get("permissions", [])}, doc


def test_never_observed_says_whether_the_trail_logs_that_call_at_all(trail: Path, tmp_path: Path) -> None:
    code = tmp_path / "orders-fn"
    code.mkdir()
    (code / "app.py").write_text(DYNAMIC)
    table = f"arn:aws:dynamodb:{fx.REGION}:{fx.ACCOUNT}:table/orders"
    status, by, _ = _report(code, trail)
    assert status == 0
    delete = by[f"dynamodb:DeleteItem {table}"]
    assert delete["history"] == "in-code-never-observed"
    assert "logs dynamodb.amazonaws.com data events" in str(delete["history_why"])  # so: rare or dead
    backup = by[f"dynamodb:CreateBackup {table}"]
    assert "a management event" in str(backup["history_why"])
    # the same code against a trail without data events (the default): S3 and DynamoDB item
    # calls cannot appear in it, and the report says so rather than calling them rare
    management = tmp_path / "management"
    management.mkdir()
    kept = [r for r in fx.records(480) if r["eventCategory"] != "Data"]
    (management / "trail.json").write_text(json.dumps({"Records": kept}))
    status, by, _ = _report(code, management)
    assert status == 0
    why = str(by[f"dynamodb:DeleteItem {table}"]["history_why"])
    assert "no data event of dynamodb.amazonaws.com at all" in why
    assert by[f"dynamodb:PutItem {table}"]["history"] == "in-code-never-observed"
    get = by[f"s3:GetObject arn:aws:s3:::{fx.BUCKET}/incoming/2026/11/*.json"]
    assert "no data event of s3.amazonaws.com" in str(get["history_why"])


def test_observed_only_points_to_the_code_calls_it_explains(trail: Path, tmp_path: Path) -> None:
    code = tmp_path / "orders-fn"
    code.mkdir()
    (code / "app.py").write_text(DYNAMIC)
    status, by, _ = _report(code, trail)
    assert status == 0
    sqs = by[f"sqs:SendMessage arn:aws:sqs:{fx.REGION}:{fx.ACCOUNT}:orders-events"]
    assert sqs["history"] == "observed-only"
    assert sqs["explains"] == ["app.py:15:5"]  # the send_message whose queue URL is not known
    kms = by[f"kms:Decrypt {fx.KEY}"]
    assert kms["explains"] == ["app.py:16:5"]  # .decrypt() on a client whose service is computed
    assert "could not pin down" in str(kms["history_why"])
    metrics = by["cloudwatch:PutMetricData *"]
    assert metrics["history"] == "observed-only" and "explains" not in metrics
    assert "no call in the code accounts for it" in str(metrics["history_why"])
    # evidence from the trail carries the event id, its time and the count
    evidence = [e for e in sqs["evidence"] if e["kind"] == "cloudtrail"]  # type: ignore[attr-defined]
    first = next(r for r in fx.records(480, step=timedelta(minutes=7)) if r["eventName"] == "SendMessage")
    assert evidence == [
        {
            "kind": "cloudtrail",
            "source": f"{trail} event {first['eventID']} at {first['eventTime']}",
            "detail": "sqs.amazonaws.com SendMessage x30",
        }
    ]


def test_only_observed_and_only_code_narrow_the_policy_and_report_what_they_leave_out(
    trail: Path, tmp_path: Path
) -> None:
    code = tmp_path / "orders-fn"
    code.mkdir()
    (code / "app.py").write_text(DYNAMIC)
    table = f"arn:aws:dynamodb:{fx.REGION}:{fx.ACCOUNT}:table/orders"
    queue = f"arn:aws:sqs:{fx.REGION}:{fx.ACCOUNT}:orders-events"
    _, union, _ = _report(code, trail)
    status, observed, doc = _report(code, trail, "--only", "observed")
    assert status == 0
    assert f"dynamodb:PutItem {table}" in observed and f"sqs:SendMessage {queue}" in observed
    assert f"dynamodb:DeleteItem {table}" not in observed
    assert all(p["history"] != "in-code-never-observed" for p in observed.values())
    left = [u["reason"] for u in doc["unresolved"]]  # type: ignore[attr-defined]
    assert any(r.startswith(f"not granted (--only observed): dynamodb:DeleteItem on {table}") for r in left)
    status, code_only, doc = _report(code, trail, "--only", "code")
    assert status == 0
    assert f"dynamodb:DeleteItem {table}" in code_only and f"sqs:SendMessage {queue}" not in code_only
    assert all(p["history"] != "observed-only" for p in code_only.values())
    assert set(code_only) | set(observed) == set(union)
    left = [u["reason"] for u in doc["unresolved"]]  # type: ignore[attr-defined]
    assert any(r.startswith(f"not granted (--only code): sqs:SendMessage on {queue}") for r in left)
    bad = CliRunner().invoke(main, ["generate", str(code), "--no-cache", "--only", "observed"])
    assert bad.exit_code == 2 and "--cloudtrail" in bad.output


def test_callers_past_the_bound_keep_exact_counts_whatever_the_merge_order() -> None:
    from policygen.trail.aggregate import MAX_IDENTITIES

    parts = []
    for n in range(3):
        part = Aggregate()
        for i in range(MAX_IDENTITIES + 10):
            part.count_identity(f"arn:aws:sts::1:assumed-role/r/s{(i * 7 + n) % 90:02d}", 1)
        parts.append(part)
    forward, backward = Aggregate(), Aggregate()
    for part in parts:
        forward.merge(part)
    for part in reversed(parts):
        backward.merge(part)
    assert forward.identities == backward.identities and len(forward.identities) == MAX_IDENTITIES
    everything: dict[str, int] = {}
    for n in range(3):
        for i in range(MAX_IDENTITIES + 10):
            name = f"arn:aws:sts::1:assumed-role/r/s{(i * 7 + n) % 90:02d}"
            everything[name] = everything.get(name, 0) + 1
    assert forward.identities == {k: everything[k] for k in sorted(everything)[:MAX_IDENTITIES]}


def test_the_census_of_records_written_before_event_category(tmp_path: Path) -> None:
    from policygen.evidence.cloudtrail import unobserved_reason

    records = list(fx.records(480))
    for record in records:  # consistent, as CloudTrail writes them
        record["eventCategory"] = "Management" if record["managementEvent"] else "Data"
    current = tmp_path / "current.json"
    current.write_text(json.dumps({"Records": records}))
    expected = LocalTrail(current, jobs=1).read(Principal(fx.ROLE), Window(), census=True).data_sources
    assert expected["s3.amazonaws.com"] == 90
    # before 2021: no eventCategory; managementEvent false on an API call is a data event
    older = tmp_path / "older.json"
    older.write_text(json.dumps({"Records": [{k: v for k, v in r.items() if k != "eventCategory"} for r in records]}))
    aggregate = LocalTrail(older, jobs=1).read(Principal(fx.ROLE), Window(), census=True)
    assert aggregate.data_sources == expected and aggregate.files_without_census == 0
    # older still (or an export without either field): the census cannot be taken, and says so
    oldest = tmp_path / "oldest.json"
    oldest.write_text(
        json.dumps({"Records": [{k: v for k, v in r.items() if k not in ("eventCategory", "managementEvent")} for r in records]})
    )
    aggregate = LocalTrail(oldest, jobs=1).read(Principal(fx.ROLE), Window(), census=True)
    assert aggregate.data_sources == {} and aggregate.files_without_census == 1 and aggregate.matched == 360
    why = unobserved_reason("dynamodb:DeleteItem", aggregate)
    assert why.startswith("a data event of dynamodb.amazonaws.com: whether the trail logs them is unknown: 1 of")
    assert "holds no data event" not in why
