"""Generated CloudTrail logs of a Lambda function's execution role, shaped like real records
(field names, nesting and values as CloudTrail writes them for data and management events).

`write_trail(root)` writes an ``AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/`` tree of
gzip files; `records(n)` gives ``n`` records cycling through the same activity (the benchmark's
generator uses it too). Run as a script to write a tree: ``python tests/trail_fixtures.py DIR N``.
"""

from __future__ import annotations

import gzip
import json
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ACCOUNT = "123456789012"
REGION = "eu-west-1"
FUNCTION = "orders-fn"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/{FUNCTION}-role-x1y2z3"
ROLE_ID = "AROAEXAMPLEROLEID0001"
BUCKET = "orders-archive-123456789012"
TABLE = "orders"
QUEUE = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/orders-events"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1111aaaa-22bb-33cc-44dd-555555eeeeee"
SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:orders/db-AbCdEf"
START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _id(n: int, salt: str = "") -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{salt}{n}"))


def _role_identity(session: str = FUNCTION) -> dict[str, Any]:
    return {
        "type": "AssumedRole",
        "principalId": f"{ROLE_ID}:{session}",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{FUNCTION}-role-x1y2z3/{session}",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAEXAMPLEKEY000001",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role", "principalId": ROLE_ID, "arn": ROLE, "accountId": ACCOUNT,
                "userName": f"{FUNCTION}-role-x1y2z3",
            },
            "attributes": {"creationDate": "2026-11-20T08:59:58Z", "mfaAuthenticated": "false"},
        },
    }  # fmt: skip


def _record(
    n: int, when: datetime, source: str, name: str, params: dict[str, Any] | None, **extra: Any
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": extra.pop("identity", None) or _role_identity(),
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source,
        "eventName": name,
        "awsRegion": REGION,
        "sourceIPAddress": "3.250.12.34",
        "userAgent": "Boto3/1.35.0 md/Botocore#1.35.0 ua/2.0 os/linux#5.10 lang/python#3.12.7 exec-env/AWS_Lambda_python3.12",
        "requestParameters": params,
        "responseElements": None,
        "requestID": _id(n, "req").replace("-", "").upper()[:16],
        "eventID": _id(n),
        "readOnly": name.startswith(("Get", "List", "Describe", "Query", "Head")),
        "eventType": "AwsApiCall",
        "managementEvent": False,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Data",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": source,
        },
    }
    record.update(extra)
    return record


def _activity(n: int, when: datetime) -> dict[str, Any]:
    """The n-th record of the function's day: mostly its own calls, some of others."""
    kind = n % 16
    order = f"{n:07d}"
    if kind in (0, 1):
        key = f"incoming/2026/11/{order}.json"
        return _record(
            n, when, "s3.amazonaws.com", "GetObject",
            {"bucketName": BUCKET, "Host": f"{BUCKET}.s3.{REGION}.amazonaws.com", "key": key},
            resources=[
                {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{BUCKET}/{key}"},
                {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{BUCKET}"},
            ],
            additionalEventData={"bytesTransferredIn": 0, "bytesTransferredOut": 812},
        )  # fmt: skip
    if kind == 2:
        key = f"processed/{order}.json"
        return _record(
            n, when, "s3.amazonaws.com", "PutObject",
            {"bucketName": BUCKET, "Host": f"{BUCKET}.s3.{REGION}.amazonaws.com", "key": key,
             "x-amz-server-side-encryption": "aws:kms"},
            resources=[
                {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{BUCKET}/{key}"},
                {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{BUCKET}"},
            ],
        )  # fmt: skip
    if kind in (3, 4):
        return _record(
            n, when, "dynamodb.amazonaws.com", "PutItem",
            {"tableName": TABLE, "key": {"pk": "HIDDEN_DUE_TO_SECURITY_REASONS"}},
            resources=[{"accountId": ACCOUNT, "type": "AWS::DynamoDB::Table",
                        "ARN": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE}"}],
        )  # fmt: skip
    if kind == 5:
        return _record(
            n, when, "dynamodb.amazonaws.com", "Query",
            {"tableName": TABLE, "indexName": "by-customer", "keyConditionExpression": "HIDDEN_DUE_TO_SECURITY_REASONS"},
            resources=[{"accountId": ACCOUNT, "type": "AWS::DynamoDB::Table",
                        "ARN": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE}"}],
        )  # fmt: skip
    if kind == 6:
        return _record(
            n, when, "sqs.amazonaws.com", "SendMessage",
            {"queueUrl": QUEUE, "messageBody": "HIDDEN_DUE_TO_SECURITY_REASONS"},
            responseElements={"mD5OfMessageBody": "5d41402abc4b2a76b9719d911017c592", "messageId": _id(n, "m")},
        )  # fmt: skip
    if kind == 7:
        return _record(
            n, when, "kms.amazonaws.com", "Decrypt",
            {"encryptionAlgorithm": "SYMMETRIC_DEFAULT",
             "encryptionContext": {"aws:s3:arn": f"arn:aws:s3:::{BUCKET}"}},
            resources=[{"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": KEY}],
            managementEvent=True, eventCategory="Management", readOnly=True,
        )  # fmt: skip
    if kind == 8:  # denied: the role lacks it
        return _record(
            n, when, "secretsmanager.amazonaws.com", "GetSecretValue", None,
            errorCode="AccessDenied",
            errorMessage=f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{FUNCTION}-role-x1y2z3/{FUNCTION} is not "
            f"authorized to perform: secretsmanager:GetSecretValue on resource: {SECRET}",
            managementEvent=True, eventCategory="Management",
            requestParameters={"secretId": SECRET},
        )  # fmt: skip
    if kind == 9:  # the platform: Lambda creates the log stream with the role
        return _record(
            n, when, "logs.amazonaws.com", "CreateLogStream",
            {"logGroupName": f"/aws/lambda/{FUNCTION}", "logStreamName": f"2026/11/20/[$LATEST]{_id(n, 's')[:32]}"},
            userAgent="awslambda-worker/1.0 rusoto/0.48.0 rust/1.79.0 linux",
            managementEvent=True, eventCategory="Management",
        )  # fmt: skip
    if kind == 10:
        return _record(
            n, when, "monitoring.amazonaws.com", "PutMetricData", {"namespace": "Orders"},
            managementEvent=True, eventCategory="Management",
        )  # fmt: skip
    if kind == 11:  # someone deploying the function: another principal
        return _record(
            n, when, "lambda.amazonaws.com", "UpdateFunctionCode20150331v2",
            {"functionName": FUNCTION, "publish": False},
            identity={"type": "IAMUser", "principalId": "AIDAEXAMPLEUSER00001",
                      "arn": f"arn:aws:iam::{ACCOUNT}:user/deployer", "accountId": ACCOUNT, "userName": "deployer"},
            managementEvent=True, eventCategory="Management",
        )  # fmt: skip
    if kind == 12:  # Lambda assuming the role: a service principal
        return _record(
            n, when, "sts.amazonaws.com", "AssumeRole",
            {"roleArn": ROLE, "roleSessionName": FUNCTION},
            identity={"type": "AWSService", "invokedBy": "lambda.amazonaws.com"},
            managementEvent=True, eventCategory="Management",
        )  # fmt: skip
    if kind == 13:
        return _record(
            n, when, "kms.amazonaws.com", "RotateKey", None,
            eventType="AwsServiceEvent", identity={"accountId": ACCOUNT, "invokedBy": "AWS Internal"},
            managementEvent=True, eventCategory="Management", resources=[{"ARN": KEY}],
        )  # fmt: skip
    if kind == 14:
        return _record(
            n, when, "signin.amazonaws.com", "ConsoleLogin", None,
            eventType="AwsConsoleSignIn",
            identity={"type": "IAMUser", "arn": f"arn:aws:iam::{ACCOUNT}:user/alice", "accountId": ACCOUNT},
            responseElements={"ConsoleLogin": "Success"}, managementEvent=True, eventCategory="Management",
        )  # fmt: skip
    return _record(n, when, "sts.amazonaws.com", "GetCallerIdentity", None, managementEvent=True)


def records(
    count: int, start: datetime = START, step: timedelta = timedelta(seconds=7)
) -> Iterator[dict[str, Any]]:
    for n in range(count):
        yield _activity(n, start + n * step)


def write_trail(root: Path, count: int = 480, per_file: int = 40, start: datetime = START) -> list[Path]:
    """Delivered CloudTrail files of ``count`` records under ``root/AWSLogs/...``; their paths."""
    written: list[Path] = []
    batch: list[dict[str, Any]] = []
    for record in records(count, start, timedelta(minutes=7)):
        batch.append(record)
        if len(batch) == per_file:
            written.append(_write(root, batch))
            batch = []
    if batch:
        written.append(_write(root, batch))
    return written


def _write(root: Path, batch: list[dict[str, Any]]) -> Path:
    when = datetime.strptime(batch[0]["eventTime"], "%Y-%m-%dT%H:%M:%SZ")
    folder = root / "AWSLogs" / ACCOUNT / "CloudTrail" / REGION / when.strftime("%Y/%m/%d")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{ACCOUNT}_CloudTrail_{REGION}_{when:%Y%m%dT%H%MZ}_{batch[0]['eventID'][:16]}.json.gz"
    path.write_bytes(gzip.compress(json.dumps({"Records": batch}).encode(), mtime=0))
    return path


if __name__ == "__main__":
    write_trail(Path(sys.argv[1]), int(sys.argv[2]), per_file=120)


def as_principal(
    records: Iterator[dict[str, Any]] | list[dict[str, Any]], role_name: str, session: str, rename: str = ""
) -> list[dict[str, Any]]:
    """The records, as made by another function: its execution role ``role_name`` (no path),
    its session ``session`` (the deployed function's name), its own resources (``orders`` in
    their names becomes ``rename``, when given)."""
    out = []
    for n, record in enumerate(records):
        text = json.dumps({**record, "eventID": _id(n, session)})
        text = text.replace(ROLE, f"arn:aws:iam::{ACCOUNT}:role/{role_name}")
        text = text.replace(f"assumed-role/{FUNCTION}-role-x1y2z3/{FUNCTION}", f"assumed-role/{role_name}/{session}")
        text = text.replace(f'"{FUNCTION}-role-x1y2z3"', f'"{role_name}"').replace(f":{FUNCTION}\"", f':{session}"')
        if rename:
            text = text.replace("orders", rename)
        out.append(json.loads(text))
    return out
