"""Resolver patterns from issue 10, each positive (what must be granted) and negative (what must
not be), run through the library and through the CLI's json-report."""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner
from seeds import reports_across_hash_seeds

from policygen.cli import main
from policygen.model import Target
from policygen.options import Options
from policygen.pipeline import generate

TARGET = Target("aws", "us-east-1", "123456789012")
S3 = "arn:aws:s3:::"
DDB = "arn:aws:dynamodb:us-east-1:123456789012:table/"
EVENTS = "arn:aws:events:us-east-1:123456789012:event-bus/"
SQS = "arn:aws:sqs:us-east-1:123456789012:"


@dataclass
class Case:
    name: str
    code: str
    grants: set[tuple[str, str]] = field(default_factory=set)  # (action, resource) that must be granted
    denied: set[tuple[str, str]] = field(default_factory=set)  # (action, resource) that must not be
    absent: set[str] = field(default_factory=set)  # actions that must not be granted at all
    unreachable: set[str] = field(default_factory=set)  # calls listed as unreachable ("s3.delete_bucket")
    env: dict[str, str] = field(default_factory=dict)
    # principal -> (action, resource) its policy must hold: calls made with other credentials
    made_as: dict[str, set[tuple[str, str]]] = field(default_factory=dict)


def write(tmp_path: Path, case: Case) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(case.code))


def check(
    case: Case,
    granted: set[tuple[str, str]],
    unreachable: set[str],
    others: dict[str, set[tuple[str, str]]],
) -> None:
    assert case.grants <= granted, f"missing {case.grants - granted}; got {sorted(granted)}"
    for principal, needs in case.made_as.items():
        assert needs <= others.get(principal, set()), f"{principal}: {others}"
        assert not (needs & granted), f"the function's own policy grants {needs & granted}"
    if not case.made_as:
        assert not others, others
    assert not (case.denied & granted), f"over-granted {case.denied & granted}"
    actions = {a for a, _ in granted}
    assert not (case.absent & actions), f"unexpected {case.absent & actions}"
    assert case.unreachable <= unreachable, f"not listed as unreachable: {case.unreachable - unreachable}"


def run_cli(tmp_path: Path, case: Case) -> dict:
    args = ["generate", str(tmp_path), "--no-cache", "--format", "json-report"]
    args += ["--region", TARGET.region, "--account", TARGET.account]
    for key, value in case.env.items():
        args += ["--env", f"{key}={value}"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    report: dict = json.loads(result.stdout)
    return report


CASES: list[Case] = [
    # -- a client chosen by a branch: every possible value counts --------------------------------
    Case(
        "conditional expression picks a regional client",
        """
        import os, boto3
        primary = boto3.client("dynamodb", region_name="us-east-1")
        replica = boto3.client("dynamodb", region_name="eu-west-1")
        def handler(event, context):
            client = replica if os.environ.get("FAILOVER") == "1" else primary
            client.get_item(TableName="orders", Key={})
        """,
        {
            ("dynamodb:GetItem", DDB + "orders"),
            ("dynamodb:GetItem", "arn:aws:dynamodb:eu-west-1:123456789012:table/orders"),
        },
    ),
    Case(
        "if/else assignment of resources",
        """
        import boto3
        def handler(event, context):
            if event.get("archive"):
                table = boto3.resource("dynamodb").Table("orders-archive")
            else:
                table = boto3.resource("dynamodb").Table("orders")
            table.put_item(Item={})
        """,
        {("dynamodb:PutItem", DDB + "orders-archive"), ("dynamodb:PutItem", DDB + "orders")},
        {("dynamodb:PutItem", DDB + "*")},
    ),
    Case(
        "or default and region chosen inline",
        """
        import os, boto3
        def handler(event, context):
            region = os.environ.get("REPLICA_REGION") or "eu-west-1"
            boto3.client("sns", region_name=region).publish(TopicArn="alerts", Message="m")
            boto3.Session(region_name="us-west-2" if event else "us-east-1").client("sns").publish(
                TopicArn="audit", Message="m")
        """,
        {
            ("sns:Publish", "arn:aws:sns:eu-west-1:123456789012:alerts"),
            ("sns:Publish", "arn:aws:sns:us-west-2:123456789012:audit"),
            ("sns:Publish", "arn:aws:sns:us-east-1:123456789012:audit"),
        },
        {("sns:Publish", "arn:aws:sns:us-west-2:123456789012:alerts")},
    ),
    # -- request items built up step by step ---------------------------------------------------
    Case(
        "transaction items appended in a loop",
        """
        import boto3
        ddb = boto3.client("dynamodb")
        def handler(event, context):
            items = []
            for line in event["lines"]:
                items.append({"Update": {"TableName": "stock", "Key": {"sku": {"S": line["sku"]}},
                                         "UpdateExpression": "SET qty = qty - :n"}})
            items += [{"Put": {"TableName": "orders", "Item": {"id": {"S": event["id"]}}}}]
            ddb.transact_write_items(TransactItems=items)
        """,
        {("dynamodb:UpdateItem", DDB + "stock"), ("dynamodb:PutItem", DDB + "orders")},
        {("dynamodb:UpdateItem", DDB + "*"), ("dynamodb:PutItem", DDB + "*")},
        absent={"dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"},
    ),
    Case(
        "items added by helpers that change the caller's list",
        """
        import boto3
        ddb = boto3.client("dynamodb")
        def reserve(items, sku):
            items.append({"ConditionCheck": {"TableName": "stock", "Key": {}, "ConditionExpression": "x"}})
            release(items, sku)
        def release(items, sku):
            items.extend([{"Delete": {"TableName": "holds", "Key": {}}}])
        def handler(event, context):
            items = []
            for sku in event["skus"]:
                reserve(items, sku)
            ddb.transact_write_items(TransactItems=items)
        """,
        {("dynamodb:ConditionCheckItem", DDB + "stock"), ("dynamodb:DeleteItem", DDB + "holds")},
        {("dynamodb:DeleteItem", DDB + "*"), ("dynamodb:ConditionCheckItem", DDB + "*")},
        absent={"dynamodb:PutItem", "dynamodb:UpdateItem"},
    ),
    Case(
        "PutEvents entries from a comprehension, with and without EventBusName",
        """
        import boto3
        events = boto3.client("events")
        def handler(event, context):
            entries = [{"Source": "shop", "DetailType": "OrderPlaced", "Detail": r["body"]}
                       for r in event["Records"] if r.get("body")]
            events.put_events(Entries=entries)
            audit = [{"Source": "shop", "DetailType": "Audit", "Detail": "{}", "EventBusName": "audit-bus"}
                     for _ in range(3)]
            events.put_events(Entries=audit)
        """,
        {("events:PutEvents", EVENTS + "default"), ("events:PutEvents", EVENTS + "audit-bus")},
        {("events:PutEvents", EVENTS + "*")},
    ),
    Case(
        "RequestItems built as a dict, with setdefault and defaultdict",
        """
        import collections
        import boto3
        ddb = boto3.client("dynamodb")
        def handler(event, context):
            request = {}
            request["orders"] = [{"PutRequest": {"Item": r}} for r in event["orders"]]
            for key in event["expired"]:
                request.setdefault("sessions", []).append({"DeleteRequest": {"Key": key}})
            ddb.batch_write_item(RequestItems=request)
            reads = collections.defaultdict(dict)
            reads["customers"]["Keys"] = [{"id": {"S": c}} for c in event["customers"]]
            ddb.batch_get_item(RequestItems=reads)
        """,
        {
            ("dynamodb:BatchWriteItem", DDB + "orders"),
            ("dynamodb:BatchWriteItem", DDB + "sessions"),
            ("dynamodb:BatchGetItem", DDB + "customers"),
        },
        {("dynamodb:BatchWriteItem", DDB + "*"), ("dynamodb:BatchGetItem", DDB + "*")},
    ),
    Case(
        "a batch kept on self and a module list, flushed elsewhere",
        """
        import boto3
        sqs = boto3.client("sqs")
        events = boto3.client("events")
        PENDING = []
        class Outbox:
            def __init__(self):
                self.batch = []
            def add(self, body):
                self.batch.append({"Id": str(len(self.batch)), "MessageBody": body})
            def flush(self):
                sqs.send_message_batch(QueueUrl="https://sqs.us-east-1.amazonaws.com/123456789012/outbox",
                                       Entries=self.batch)
        def remember(detail):
            PENDING.append({"Source": "shop", "DetailType": "t", "Detail": detail, "EventBusName": "shop-bus"})
        def handler(event, context):
            box = Outbox()
            box.add("x")
            box.flush()
            remember("{}")
            events.put_events(Entries=PENDING)
        """,
        {("sqs:SendMessage", SQS + "outbox"), ("events:PutEvents", EVENTS + "shop-bus")},
        {("events:PutEvents", EVENTS + "default"), ("events:PutEvents", EVENTS + "*")},
    ),
    Case(
        "a table name computed at run time widens, and says so",
        """
        import boto3
        def handler(event, context):
            request = {}
            request[event["table"]] = [{"PutRequest": {"Item": {}}}]
            boto3.client("dynamodb").batch_write_item(RequestItems=request)
        """,
        {("dynamodb:BatchWriteItem", DDB + "*")},
    ),
    # -- functions called for the code by the standard library ----------------------------------
    Case(
        "executor.map and submit, the pool used as a context manager",
        """
        from concurrent.futures import ThreadPoolExecutor
        import boto3
        s3 = boto3.client("s3")
        def fetch(key):
            return s3.get_object(Bucket="media", Key=f"in/{key}")
        def archive(key, prefix):
            s3.put_object(Bucket="vault", Key=prefix + key, Body=b"")
        def handler(event, context):
            keys = [r["key"] for r in event["Records"]]
            with ThreadPoolExecutor(max_workers=4) as pool:
                list(pool.map(fetch, keys))
                pool.submit(archive, "x.json", "cold/")
                pool.submit(s3.delete_object, Bucket="scratch", Key="lock")
        """,
        {
            ("s3:GetObject", S3 + "media/in/*"),
            ("s3:PutObject", S3 + "vault/cold/x.json"),
            ("s3:DeleteObject", S3 + "scratch/lock"),
        },
        {("s3:GetObject", S3 + "media/*"), ("s3:PutObject", S3 + "vault/*")},
    ),
    Case(
        "functools.partial of a client method and of a function",
        """
        import functools
        import boto3
        s3 = boto3.client("s3")
        def publish(topic, message):
            boto3.client("sns").publish(TopicArn=topic, Message=message)
        def handler(event, context):
            put = functools.partial(s3.put_object, Bucket="reports")
            put(Key="daily.csv", Body=b"")
            alert = functools.partial(publish, "arn:aws:sns:us-east-1:123456789012:alerts")
            alert("done")
        """,
        {("s3:PutObject", S3 + "reports/daily.csv"), ("sns:Publish", "arn:aws:sns:us-east-1:123456789012:alerts")},
        {("s3:PutObject", S3 + "*"), ("s3:PutObject", S3 + "reports/*"), ("sns:Publish", "*")},
    ),
    Case(
        "threading.Thread targets with args and kwargs",
        """
        import threading
        import boto3
        def send(queue_url, body):
            boto3.client("sqs").send_message(QueueUrl=queue_url, MessageBody=body)
        class Recorder:
            def save(self, table):
                boto3.client("dynamodb").put_item(TableName=table, Item={})
        def handler(event, context):
            t = threading.Thread(target=send, args=("https://sqs.us-east-1.amazonaws.com/123456789012/jobs", "x"))
            t.start()
            threading.Thread(target=Recorder().save, kwargs={"table": "runs"}).start()
        """,
        {("sqs:SendMessage", SQS + "jobs"), ("dynamodb:PutItem", DDB + "runs")},
        {("sqs:SendMessage", SQS + "*"), ("dynamodb:PutItem", DDB + "*")},
    ),
    Case(
        "map and lambdas",
        """
        import boto3
        s3 = boto3.client("s3")
        BUCKET = "thumbs"
        def handler(event, context):
            keys = [r["s3"]["object"]["key"] for r in event["Records"]]
            sizes = list(map(lambda k: s3.head_object(Bucket=BUCKET, Key="small/" + k), keys))
            remove = lambda key, bucket="trash": s3.delete_object(Bucket=bucket, Key=key)
            remove("old.png")
            return sizes
        """,
        {("s3:GetObject", S3 + "thumbs/small/*"), ("s3:DeleteObject", S3 + "trash/old.png")},
        {("s3:GetObject", S3 + "*"), ("s3:DeleteObject", S3 + "trash/*")},
    ),
    Case(
        "asyncio.to_thread and run_in_executor",
        """
        import asyncio
        import functools
        import boto3
        s3 = boto3.client("s3")
        async def work():
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, functools.partial(s3.get_object_tagging, Bucket="tags", Key="t"))
            await asyncio.to_thread(s3.get_object_acl, Bucket="acls", Key="a")
        def handler(event, context):
            asyncio.run(work())
        """,
        {("s3:GetObjectTagging", S3 + "tags/t"), ("s3:GetObjectAcl", S3 + "acls/a")},
    ),
    Case(
        "a lambda handed to a library the analysis does not model still runs",
        """
        import boto3
        from tenacity import retry_call
        def handler(event, context):
            retry_call(lambda: boto3.client("sqs").purge_queue(
                QueueUrl="https://sqs.us-east-1.amazonaws.com/123456789012/dead"))
        """,
        {("sqs:PurgeQueue", SQS + "dead")},
    ),
    # -- calls made with other credentials ------------------------------------------------------
    Case(
        "a session from assume_role credentials acts as the role",
        """
        import boto3
        sts = boto3.client("sts")
        def partner_session(role_arn):
            creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="sync")["Credentials"]
            return boto3.Session(
                aws_access_key_id=creds["AccessKeyId"],
                aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds["SessionToken"],
            )
        def handler(event, context):
            session = partner_session("arn:aws:iam::210987654321:role/reports-reader")
            session.client("s3").get_object(Bucket="partner-reports", Key="daily.csv")
            session.resource("dynamodb").Table("exports").put_item(Item={})
            boto3.client("s3").put_object(Bucket="own-copies", Key="daily.csv", Body=b"")
        """,
        {
            ("sts:AssumeRole", "arn:aws:iam::210987654321:role/reports-reader"),
            ("s3:PutObject", S3 + "own-copies/daily.csv"),
        },
        absent={"s3:GetObject", "dynamodb:PutItem"},
        made_as={
            "arn:aws:iam::210987654321:role/reports-reader": {
                ("s3:GetObject", S3 + "partner-reports/daily.csv"),
                ("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:210987654321:table/exports"),
            }
        },
    ),
    Case(
        "credentials passed as a mapping, and keys from a secret",
        """
        import os
        import boto3
        def handler(event, context):
            resp = boto3.client("sts").assume_role(RoleArn=os.environ["AUDIT_ROLE"], RoleSessionName="a")
            c = resp.get("Credentials")
            keys = {"aws_access_key_id": c["AccessKeyId"], "aws_secret_access_key": c["SecretAccessKey"],
                    "aws_session_token": c["SessionToken"]}
            boto3.client("sns", **keys).publish(TopicArn="arn:aws:sns:us-east-1:123456789012:audit", Message="m")
            secret = boto3.client("secretsmanager").get_secret_value(SecretId="legacy-keys")["SecretString"]
            legacy = boto3.client("sqs", aws_access_key_id=secret[:20], aws_secret_access_key=secret[20:])
            legacy.send_message(QueueUrl="https://sqs.us-east-1.amazonaws.com/111111111111/legacy", MessageBody="x")
        """,
        {
            ("sts:AssumeRole", "arn:aws:iam::123456789012:role/auditor"),
            ("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:123456789012:secret:legacy-keys-??????"),
        },
        absent={"sns:Publish", "sqs:SendMessage"},
        env={"AUDIT_ROLE": "arn:aws:iam::123456789012:role/auditor"},
        made_as={
            "arn:aws:iam::123456789012:role/auditor": {
                ("sns:Publish", "arn:aws:sns:us-east-1:123456789012:audit")
            },
            "other credentials": {("sqs:SendMessage", "arn:aws:sqs:us-east-1:111111111111:legacy")},
        },
    ),
    Case(
        "a client with default credentials is the function's own",
        """
        import boto3
        def handler(event, context):
            boto3.client("s3", aws_access_key_id=None).get_object(Bucket="own", Key="k")
            boto3.Session(region_name="eu-west-1").client("sqs").purge_queue(
                QueueUrl="https://sqs.eu-west-1.amazonaws.com/123456789012/q")
        """,
        {("s3:GetObject", S3 + "own/k"), ("sqs:PurgeQueue", "arn:aws:sqs:eu-west-1:123456789012:q")},
    ),
    # -- statements that can never run are listed, not granted ----------------------------------
    Case(
        "after return, raise, continue and break",
        """
        import boto3
        s3 = boto3.client("s3")
        def handler(event, context):
            for key in event["keys"]:
                if key.startswith("skip/"):
                    continue
                    s3.delete_object(Bucket="data", Key="after-continue")
                if key == "stop":
                    break
                    s3.put_object(Bucket="data", Key="after-break")
                s3.get_object(Bucket="data", Key="live")
            check(event)
            return {"ok": True}
            s3.delete_bucket(Bucket="data")
        def check(event):
            if not event:
                raise ValueError("empty"); s3.delete_object(Bucket="data", Key="same-line")
            if event.get("x"):
                raise ValueError("x")
                s3.put_bucket_policy(Bucket="data", Policy="{}")
            s3.head_object(Bucket="data", Key="checked")
        """,
        {("s3:GetObject", S3 + "data/live"), ("s3:GetObject", S3 + "data/checked")},
        absent={"s3:DeleteObject", "s3:PutObject", "s3:DeleteBucket", "s3:PutBucketPolicy"},
        unreachable={"s3.delete_object", "s3.put_object", "s3.delete_bucket", "s3.put_bucket_policy"},
    ),
    Case(
        "main guard, TYPE_CHECKING, if False and if 0",
        """
        from __future__ import annotations
        import typing
        from typing import TYPE_CHECKING
        import boto3
        if TYPE_CHECKING:
            from mypy_boto3_s3 import S3Client
            boto3.client("s3").delete_bucket(Bucket="typing")
        s3 = boto3.client("s3")
        def seed_test_data():
            s3.put_object(Bucket="data", Key="fixture")
        def handler(event, context):
            if typing.TYPE_CHECKING:
                s3.put_bucket_acl(Bucket="data", ACL="private")
            if False:
                s3.delete_object(Bucket="data", Key="never")
            if 0:
                s3.delete_object(Bucket="data", Key="zero")
            elif event:
                s3.get_object(Bucket="data", Key=event["key"])
            else:
                s3.head_object(Bucket="data", Key="default")
        if __name__ == "__main__":
            seed_test_data()
            handler({"key": "local-test"}, None)
        """,
        {("s3:GetObject", S3 + "data/*"), ("s3:GetObject", S3 + "data/default")},
        {("s3:GetObject", S3 + "data/local-test")},
        absent={"s3:DeleteBucket", "s3:PutBucketAcl", "s3:DeleteObject", "s3:PutObject"},
        unreachable={"s3.delete_bucket", "s3.put_bucket_acl", "s3.delete_object", "s3.put_object"},
    ),
    Case(
        "the else of a never-true test and code after a conditional return do run",
        """
        import boto3
        from typing import TYPE_CHECKING
        def handler(event, context):
            if TYPE_CHECKING:
                pass
            else:
                boto3.client("sqs").purge_queue(QueueUrl="https://sqs.us-east-1.amazonaws.com/123456789012/jobs")
            if event.get("dry"):
                return None
            boto3.client("s3").delete_object(Bucket="data", Key="tmp")
        """,
        {("sqs:PurgeQueue", SQS + "jobs"), ("s3:DeleteObject", S3 + "data/tmp")},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_library(tmp_path, case):
    write(tmp_path, case)
    result = generate(tmp_path, Options(environment=case.env, target=TARGET))
    granted = {(p.action, p.resource) for p in result.permissions}
    others = {o.principal: {(p.action, p.resource) for p in o.permissions} for o in result.other_principals}
    check(case, granted, {c.label for c in result.unreachable}, others)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_cli(tmp_path, case):
    write(tmp_path, case)
    report = run_cli(tmp_path, case)
    granted = {(p["action"], p["resource"]) for p in report["permissions"]}
    others = {
        o["principal"]: {(p["action"], p["resource"]) for p in o["permissions"]}
        for o in report.get("other_principals", [])
    }
    check(case, granted, {c["call"] for c in report["unreachable_calls"]}, others)


def test_branch_chosen_clients_are_byte_identical_across_hash_seeds(tmp_path):
    """Which of two clients was kept used to depend on set order, so on PYTHONHASHSEED."""
    parts = [textwrap.dedent(c.code).replace("def handler", f"def h{i}") for i, c in enumerate(CASES[:3])]
    calls = "".join(f"    h{i}(event, context)\n" for i in range(3))
    (tmp_path / "app.py").write_text("\n".join(parts) + "\ndef handler(event, context):\n" + calls)
    outputs = reports_across_hash_seeds(tmp_path)
    assert len(outputs) == 1
    assert "eu-west-1:123456789012:table/orders" in outputs.pop()


def test_code_that_never_runs_is_not_granted_without_a_handler_either(tmp_path):
    (tmp_path / "tool.py").write_text(
        "import boto3\n"
        "def main():\n"
        "    boto3.client('s3').list_buckets()\n"
        "    return 0\n"
        "    boto3.client('s3').delete_bucket(Bucket='b')\n"
    )
    result = generate(tmp_path, Options(target=TARGET))
    assert {p.action for p in result.permissions} == {"s3:ListAllMyBuckets"}
    assert [(c.label, c.note) for c in result.unreachable] == [
        ("s3.delete_bucket", "never runs: after `return`")
    ]
