"""A trail read from S3 (policygen/trail/s3.py) against moto: the same aggregate as the local
path, only the day and region prefixes of the window listed, pagination, failures named by their
s3:// URI with the rest read, and the policy the README gives policygen for this source, enforced."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import trail_fixtures as fx
from botocore.awsrequest import AWSResponse
from click.testing import CliRunner
from moto import mock_aws
from moto.core import enable_iam_authentication

from policygen.cli import main
from policygen.trail import Aggregate, LocalTrail, Principal, Window
from policygen.trail.s3 import S3Trail

BUCKET = "org-trail-bucket"
ORG = "AWSLogs/o-abc123def4/"
OTHER_ACCOUNT = "210987654321"
ROLE = Principal(fx.ROLE)


@dataclass
class Bucket:
    client: Any
    local: Path  # the same trail on disk
    keys: list[str]


@pytest.fixture
def bucket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Bucket]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    local = tmp_path / "local"
    files = fx.write_trail(local)
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        keys = []
        for path in files:
            key = ORG + path.relative_to(local / "AWSLogs").as_posix()
            client.put_object(Bucket=BUCKET, Key=key, Body=path.read_bytes())
            keys.append(key)
        # another account of the organisation, and the digest files beside the trail: never read
        client.put_object(Bucket=BUCKET, Key=keys[0].replace(fx.ACCOUNT, OTHER_ACCOUNT), Body=b"not read")
        digest = f"{ORG}{fx.ACCOUNT}/CloudTrail-Digest/{fx.REGION}/2026/11/20/x_CloudTrail-Digest.json.gz"
        client.put_object(Bucket=BUCKET, Key=digest, Body=b"not read")
        yield Bucket(client, local, keys)


def _calls(aggregate: Aggregate) -> list[Any]:
    return [(k, vars(s)) for k, s in aggregate.sorted_calls()]


def _listed(client: Any) -> list[tuple[str, bool]]:
    """Every ListObjectsV2 request the client makes: (prefix, with a delimiter)."""
    seen: list[tuple[str, bool]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        seen.append((params["Prefix"], "Delimiter" in params))

    client.meta.events.register("provide-client-params.s3.ListObjectsV2", record)
    return seen


@pytest.mark.parametrize(
    "prefix", ["AWSLogs/", ORG, f"{ORG}{fx.ACCOUNT}/", f"{ORG}{fx.ACCOUNT}/CloudTrail/", "", "AWSLogs"]
)
def test_s3_reads_the_aggregate_the_local_folder_gives(bucket: Bucket, prefix: str) -> None:
    local = LocalTrail(bucket.local, jobs=1).read(ROLE, Window())
    listed = _listed(bucket.client)
    remote = S3Trail(BUCKET, prefix, workers=4, page_size=2, client=bucket.client).read(ROLE, Window())
    assert _calls(remote) == _calls(local) and remote.calls
    counts = (remote.files, remote.records + remote.records_skipped, remote.matched)
    assert counts == (local.files, local.records + local.records_skipped, local.matched) == (12, 480, 360)
    assert not remote.errors
    # 12 objects over 3 day folders, 2 keys a page: 6 pages at least, each one requested
    days = [p for p, delimiter in listed if not delimiter]
    assert len(set(days)) == 3 and len(days) >= 6
    assert not any(OTHER_ACCOUNT in p or "Digest" in p for p, _ in listed)


def test_s3_lists_only_the_days_and_regions_of_the_window(bucket: Bucket) -> None:
    for key in bucket.keys[:3]:  # the same files in another region's folder
        body = bucket.client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        bucket.client.put_object(Bucket=BUCKET, Key=key.replace(f"/{fx.REGION}/", "/us-east-1/"), Body=body)
    window = Window(
        datetime(2026, 11, 22, tzinfo=UTC), datetime(2026, 11, 22, 12, tzinfo=UTC), frozenset({fx.REGION})
    )
    listed = _listed(bucket.client)
    remote = S3Trail(BUCKET, "AWSLogs/", workers=4, client=bucket.client).read(ROLE, window)
    days = sorted(p for p, delimiter in listed if not delimiter)
    base = f"{ORG}{fx.ACCOUNT}/CloudTrail/{fx.REGION}/2026/11/"
    # the trail holds days 20-22; the 21st is read as the slack day before the window, the 20th never
    assert days == [base + "21/", base + "22/"]
    assert not any("us-east-1" in p for p, _ in listed)
    local = LocalTrail(bucket.local, jobs=1).read(ROLE, window)
    assert _calls(remote) == _calls(local) and remote.outside_window == local.outside_window > 0


def _fail(client: Any, operation: str, code: str, when: Any) -> None:
    """Make ``operation`` answer ``code`` (HTTP 403/404) for the requests ``when(request)`` picks
    (botocore's serialized request: ``url_path``, ``query_string``)."""

    def answer(params: dict[str, Any], **_: Any) -> Any:
        if not when(params):
            return None
        status = 404 if code.startswith("NoSuch") else 403
        parsed = {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}}
        return AWSResponse("https://s3.amazonaws.com", status, {}, None), parsed

    client.meta.events.register(f"before-call.s3.{operation}", answer)


def test_s3_failures_name_their_uri_and_the_rest_is_read(bucket: Bucket) -> None:
    day21 = f"{ORG}{fx.ACCOUNT}/CloudTrail/{fx.REGION}/2026/11/21/"
    corrupt = f"{ORG}{fx.ACCOUNT}/CloudTrail/{fx.REGION}/2026/11/20/broken.json.gz"
    bucket.client.put_object(Bucket=BUCKET, Key=corrupt, Body=gzip.compress(b'{"Records": [')[:20])
    denied_object = next(k for k in bucket.keys if "/2026/11/22/" in k)
    _fail(bucket.client, "ListObjectsV2", "AccessDenied", lambda r: r["query_string"].get("prefix") == day21)
    _fail(bucket.client, "GetObject", "AccessDenied", lambda r: r["url_path"].endswith(denied_object))
    remote = S3Trail(BUCKET, "AWSLogs/", workers=4, client=bucket.client).read(ROLE, Window())
    assert [str(e) for e in remote.errors] == sorted(
        [
            f"s3://{BUCKET}/{corrupt}: truncated gzip (the stream ends early); re-download the file",
            f"s3://{BUCKET}/{day21}: AccessDenied: policygen needs s3:ListBucket on the bucket (AccessDenied)",
            f"s3://{BUCKET}/{denied_object}: AccessDenied: policygen needs s3:GetObject on the object "
            "(and kms:Decrypt if the trail is SSE-KMS) (AccessDenied)",
        ]
    )
    readable = [
        p
        for p in sorted(bucket.local.rglob("*.gz"))
        if "/11/21/" not in p.as_posix() and not denied_object.endswith(p.name)
    ]
    assert len(readable) < 12
    from policygen.trail import scan

    assert _calls(remote) == _calls(scan(readable, ROLE, Window(), jobs=1))
    assert remote.files == len(readable) + 2  # the corrupt and the denied objects were tried


def test_s3_no_such_bucket_is_one_error(bucket: Bucket) -> None:
    remote = S3Trail("no-such-bucket-here", "AWSLogs/", client=bucket.client).read(ROLE, Window())
    assert [str(e) for e in remote.errors] == [
        "s3://no-such-bucket-here/AWSLogs/: no such bucket (check the name in --cloudtrail s3://...)"
    ]
    assert remote.files == 0 and not remote.calls


def test_s3_a_prefix_without_the_layout_is_read_whole(bucket: Bucket) -> None:
    export = bucket.local / "export.jsonl"
    export.write_text("\n".join(json.dumps(r) for r in fx.records(64)))
    bucket.client.put_object(Bucket=BUCKET, Key="exports/2026/export.jsonl", Body=export.read_bytes())
    bucket.client.put_object(Bucket=BUCKET, Key="exports/README.txt", Body=b"not a trail")
    remote = S3Trail(BUCKET, "exports/", client=bucket.client).read(ROLE, Window())
    assert (remote.files, remote.records, remote.files_skipped_by_layout) == (1, 64, 1)
    assert _calls(remote) == _calls(LocalTrail(export, jobs=1).read(ROLE, Window()))


def test_cli_trail_and_generate_read_s3(bucket: Bucket, tmp_path: Path) -> None:
    args = ["trail", "--role", fx.ROLE, "--format", "json", "--quiet", "--cloudtrail"]
    local = CliRunner().invoke(main, [*args, str(bucket.local)])
    remote = CliRunner().invoke(main, [*args, f"s3://{BUCKET}/AWSLogs/"])
    assert remote.exit_code == local.exit_code == 0, remote.output
    observed = json.loads(remote.stdout)["observed"]
    assert observed == json.loads(local.stdout)["observed"] and len(observed) == 8

    bucket.client.put_object(Bucket=BUCKET, Key=bucket.keys[0][:-8] + "x.json.gz", Body=b"\x1f\x8bnope")
    broken = CliRunner().invoke(main, [*args, f"s3://{BUCKET}/AWSLogs/"])
    assert broken.exit_code == 2
    assert f"policygen: error: s3://{BUCKET}/{bucket.keys[0][:-8]}x.json.gz: truncated gzip" in broken.stderr
    assert json.loads(broken.stdout)["observed"] == observed  # the rest was read

    bad = CliRunner().invoke(main, [*args, "s3://Not_A_Bucket/"])
    assert bad.exit_code == 2 and "not an S3 URI of a bucket" in bad.stderr

    code = tmp_path / "fn"
    code.mkdir()
    (code / "app.py").write_text("import boto3\n\ndef handler(event, context):\n    return None\n")
    target = ["--region", fx.REGION, "--account", fx.ACCOUNT, "--format", "json"]
    trail = ["--cloudtrail", f"s3://{BUCKET}/{ORG}", "--trail-role", fx.ROLE]
    generated = CliRunner().invoke(main, ["generate", str(code), "--no-cache", *target, *trail])
    assert generated.exit_code == 2  # the corrupt object above
    actions = {
        s["Action"] if isinstance(s["Action"], str) else s["Action"][0] for s in _statements(generated)
    }
    assert "sqs:SendMessage" in actions and "dynamodb:PutItem" in actions


def _statements(result: Any) -> list[dict[str, Any]]:
    document = json.loads(result.stdout)
    return list(document["Statement"])


# The policy the README gives policygen to read a trail from S3 (least privilege for our own tool).
README_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{BUCKET}"},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/AWSLogs/*"},
    ],
}


def _as_user(policy: dict[str, Any]) -> Any:
    iam = boto3.client("iam")
    name = f"reader{len(iam.list_users()['Users'])}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="trail", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return boto3.client(
        "s3", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"]
    )


def test_s3_runs_under_the_readme_policy_and_not_under_less(bucket: Bucket) -> None:
    enough = _as_user(README_POLICY)
    list_only = _as_user({**README_POLICY, "Statement": README_POLICY["Statement"][:1]})
    get_only = _as_user({**README_POLICY, "Statement": README_POLICY["Statement"][1:]})
    with enable_iam_authentication():
        read = S3Trail(BUCKET, "AWSLogs/", workers=2, client=enough).read(ROLE, Window())
        without_get = S3Trail(BUCKET, "AWSLogs/", workers=2, client=list_only).read(ROLE, Window())
        without_list = S3Trail(BUCKET, "AWSLogs/", workers=2, client=get_only).read(ROLE, Window())
    assert not read.errors and read.matched == 360
    assert len(without_get.errors) == 12 and all(
        "needs s3:GetObject" in e.message for e in without_get.errors
    )
    assert [e.message.split(" (")[0] for e in without_list.errors] == [
        "AccessDenied: policygen needs s3:ListBucket on the bucket"
    ]
