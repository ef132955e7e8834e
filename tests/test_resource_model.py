"""boto3's resource API as its model describes it: attributes that load their resource, objects that
actions and collections return, references, carried identifiers. Positive and negative cases, run
through the library (the `Case` helper of test_patterns) and through the CLI."""

from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner
from test_patterns import DDB, S3, Case, check, run

from policygen.cli import main

QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/jobs"
QUEUE = "arn:aws:sqs:us-east-1:123456789012:jobs"

CASES = [
    Case(
        "table attribute loads the table",
        {
            "app.py": """
        import boto3
        table = boto3.resource("dynamodb").Table("orders")
        def handler(e, c):
            return table.item_count, table.key_schema
        """
        },
        {("dynamodb:DescribeTable", DDB + "orders")},
    ),
    Case(
        "table identifier does not load",
        {
            "app.py": """
        import boto3
        table = boto3.resource("dynamodb").Table("orders")
        def handler(e, c):
            table.put_item(Item={"id": table.name})
        """
        },
        {("dynamodb:PutItem", DDB + "orders")},
        {"dynamodb:DescribeTable"},
    ),
    Case(
        "object metadata is a HEAD request",
        {
            "app.py": """
        import boto3
        s3 = boto3.resource("s3")
        def handler(e, c):
            obj = s3.Object("reports", f"daily/{e['day']}.csv")
            return obj.content_length, obj.metadata, obj.e_tag
        """
        },
        {("s3:GetObject", S3 + "reports/daily/*.csv")},
    ),
    Case(
        "object key and bucket name do not load",
        {
            "app.py": """
        import boto3
        def handler(e, c):
            obj = boto3.resource("s3").Bucket("reports").Object("a.csv")
            return obj.key + obj.bucket_name
        """
        },
        set(),
        {"s3:GetObject", "s3:ListAllMyBuckets"},
    ),
    Case(
        "bucket creation date lists the buckets (boto3's injected load)",
        {
            "app.py": """
        import boto3
        def handler(e, c):
            bucket = boto3.resource("s3").Bucket("media")
            bucket.load()
            return bucket.creation_date, bucket.name
        """
        },
        {("s3:ListAllMyBuckets", "*")},
    ),
    Case(
        "queue attributes load the queue",
        {
            "app.py": f"""
        import boto3
        def handler(e, c):
            queue = boto3.resource("sqs").Queue("{QUEUE_URL}")
            return queue.attributes["ApproximateNumberOfMessages"], queue.url
        """
        },
        {("sqs:GetQueueAttributes", QUEUE)},
    ),
    Case(
        "received messages: delete and change visibility on the queue, no load",
        {
            "app.py": f"""
        import boto3
        queue = boto3.resource("sqs").Queue("{QUEUE_URL}")
        def handler(e, c):
            for message in queue.receive_messages(MaxNumberOfMessages=10):
                print(message.body, message.receipt_handle)
                message.change_visibility(VisibilityTimeout=30)
                message.delete()
        """
        },
        {
            ("sqs:ReceiveMessage", QUEUE),
            ("sqs:ChangeMessageVisibility", QUEUE),
            ("sqs:DeleteMessage", QUEUE),
        },
        {"sqs:GetQueueAttributes"},
    ),
    Case(
        "one received message by index",
        {
            "app.py": f"""
        import boto3
        def handler(e, c):
            messages = boto3.resource("sqs").Queue("{QUEUE_URL}").receive_messages()
            if messages:
                messages[0].delete()
        """
        },
        {("sqs:DeleteMessage", QUEUE)},
    ),
    Case(
        "object summaries keep the bucket and the listed prefix",
        {
            "app.py": """
        import boto3
        bucket = boto3.resource("s3").Bucket("inbox")
        def handler(e, c):
            for summary in bucket.objects.filter(Prefix="incoming/"):
                if summary.size > 0:
                    body = summary.get()["Body"].read()
                    summary.Object().copy_from(CopySource={"Bucket": "inbox", "Key": summary.key})
                summary.delete()
        """
        },
        {
            ("s3:ListBucket", S3 + "inbox"),
            ("s3:GetObject", S3 + "inbox/incoming/*"),
            ("s3:DeleteObject", S3 + "inbox/incoming/*"),
            ("s3:PutObject", S3 + "inbox/incoming/*"),
        },
    ),
    Case(
        "object summary data came with the listing",
        {
            "app.py": """
        import boto3
        def handler(e, c):
            return sum(s.size for s in []) + max(o.size for o in boto3.resource("s3").Bucket("b").objects.all())
        """
        },
        set(),
        {"s3:GetObject"},
    ),
    Case(
        "a summary made by hand loads by a HEAD request (boto3's injected load)",
        {
            "app.py": """
        import boto3
        def handler(e, c):
            return boto3.resource("s3").ObjectSummary("b", "k.txt").size
        """
        },
        {("s3:GetObject", S3 + "b/k.txt")},
    ),
    Case(
        "a listed role's data came with the listing",
        {
            "app.py": """
        import boto3
        def handler(e, c):
            return [role.arn for role in boto3.resource("iam").roles.all()]
        """
        },
        {("iam:ListRoles", "*")},
        {"iam:GetRole"},
    ),
    Case(
        "a listed topic has only its ARN: its attributes load it",
        {
            "app.py": """
        import boto3
        sns = boto3.resource("sns")
        def handler(e, c):
            for topic in sns.topics.all():
                print(topic.arn, topic.attributes)
            return sns.Topic("arn:aws:sns:us-east-1:123456789012:alerts").attributes
        """
        },
        {
            ("sns:ListTopics", "*"),
            ("sns:GetTopicAttributes", "arn:aws:sns:us-east-1:123456789012:*"),
            ("sns:GetTopicAttributes", "arn:aws:sns:us-east-1:123456789012:alerts"),
        },
    ),
    Case(
        "calls inside a comparison, a not and a conditional's test are made",
        {
            "app.py": """
        import boto3
        s3 = boto3.client("s3")
        table = boto3.resource("dynamodb").Table("orders")
        def handler(e, c):
            if table.item_count > 0 and not s3.head_object(Bucket="b", Key="flag"):
                return None
            return "full" if s3.list_objects_v2(Bucket="b")["KeyCount"] >= 10 else "room"
        """
        },
        {("dynamodb:DescribeTable", DDB + "orders"), ("s3:GetObject", S3 + "b/flag"), ("s3:ListBucket", S3 + "b")},
    ),
    Case(
        "pages of a collection hold its items",
        {
            "app.py": """
        import boto3
        def handler(e, c):
            for page in boto3.resource("s3").Bucket("logs").objects.filter(Prefix="2024/").pages():
                for summary in page:
                    summary.delete()
        """
        },
        {("s3:ListBucket", S3 + "logs"), ("s3:DeleteObject", S3 + "logs/2024/*")},
    ),
    Case(
        "a reference is a property that loads its owner",
        {
            "app.py": """
        import boto3
        def handler(e, c):
            instance = boto3.resource("ec2").Instance("i-0123456789abcdef0")
            return instance.vpc.cidr_block
        """
        },
        {("ec2:DescribeInstances", "*"), ("ec2:DescribeVpcs", "*")},
    ),
    Case(
        "a resource an action returns with its data does not load",
        {
            "app.py": """
        import boto3
        def handler(e, c):
            table = boto3.resource("dynamodb").create_table(TableName="t", KeySchema=[], AttributeDefinitions=[])
            return table.table_status
        """
        },
        {("dynamodb:CreateTable", DDB + "t")},
        {"dynamodb:DescribeTable"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_resource_pattern(tmp_path, case):
    check(tmp_path, case)


def test_attribute_load_evidence_names_its_line(tmp_path):
    case = next(c for c in CASES if c.name == "table attribute loads the table")
    result = run(tmp_path, case)
    (permission,) = [p for p in result.permissions if p.action == "dynamodb:DescribeTable"]
    assert {e.source for e in permission.evidence} == {"app.py:5"}
    assert "loads the Table" in permission.evidence[0].detail


@pytest.mark.parametrize(
    "name",
    [
        "received messages: delete and change visibility on the queue, no load",
        "object summary data came with the listing",
    ],
)
def test_resource_patterns_through_the_cli(tmp_path, name):
    case = next(c for c in CASES if c.name == name)
    for file, text in case.files.items():
        (tmp_path / file).write_text(textwrap.dedent(text))
    out = CliRunner().invoke(
        main, ["generate", str(tmp_path), "--region", "us-east-1", "--account", "123456789012"]
    )
    assert out.exit_code == 0, out.output
    policy = json.loads(out.stdout)
    granted = {
        (action, resource)
        for statement in policy["Statement"]
        for action in statement["Action"]
        for resource in statement["Resource"]
    }
    assert case.grants <= granted
    assert not case.absent & {a for a, _ in granted}


def _every_resource_call() -> tuple[str, list[tuple[str, str, str]]]:
    """A handler that makes every resource type of every service boto3 ships a resource model for
    (as its service resource names them) and uses every action, load, waiter, collection and batch
    action; and the (service, client method, note) each must be recorded as."""
    import os

    import boto3
    from botocore import xform_name

    from policygen.resolve import boto3_model

    lines = ["import boto3", "", "def handler(e, c):"]
    expected: list[tuple[str, str, str]] = []
    data = os.path.join(os.path.dirname(boto3.__file__), "data")
    for number, service in enumerate(sorted(os.listdir(data))):
        root = boto3_model.shape(service, "")
        if root is None:
            continue
        lines.append(f"    service{number} = boto3.resource({service!r})")
        for index, (made_as, returned) in enumerate(sorted(root.has.items())):
            shape = boto3_model.shape(service, returned.type)
            assert shape is not None
            name = f"r{number}_{index}"
            ids = ", ".join(repr(f"{i.target.lower()}-1") for i in returned.identifiers if i.source == "input")
            lines.append(f"    {name} = service{number}.{made_as}({ids})")
            uses = [(a, x.request.operation, f"{returned.type}.{a}") for a, x in shape.actions.items() if x.request]
            if shape.load is not None:
                uses.append(("load", shape.load.operation, f"{returned.type}.load"))
            for use, operation, note in sorted(uses):
                lines.append(f"    {name}.{use}()")
                expected.append((service, xform_name(operation), note))
            for waiter, (waiter_name, _params) in sorted(shape.waiters.items()):
                lines.append(f"    {name}.{waiter}()")
                expected.append((service, "waiter:" + xform_name(waiter_name), f"{returned.type}.{waiter}"))
            for collection, (request, _item) in sorted(shape.collections.items()):
                lines.append(f"    {name}.{collection}.all()")
                expected.append((service, xform_name(request.operation), f"{returned.type}.{collection}.all"))
                for batch, batch_request in sorted(shape.batch_actions.get(collection, {}).items()):
                    lines.append(f"    {name}.{collection}.{batch}()")
                    expected.append(
                        (service, xform_name(batch_request.operation), f"{returned.type}.{collection}.{batch} (batch)")
                    )
    return "\n".join(lines) + "\n", expected


def test_every_resource_call_of_boto3s_models_is_found(tmp_path):
    from policygen.discover import find_sources
    from policygen.extract import extract, ir
    from policygen.resolve.interpreter import Program

    source, expected = _every_resource_call()
    (tmp_path / "app.py").write_text(source)
    outcomes = extract(find_sources(tmp_path), cache_dir=None, jobs=1)
    resolution = Program({o.name: o for o in outcomes if isinstance(o, ir.ModuleIR)}, {}).run()
    found = {(c.service, c.method, c.note) for c, _ in resolution.calls}
    assert len(expected) > 400
    assert [e for e in expected if e not in found] == []
    assert not [u for u, _ in resolution.unresolved if "not in boto3's resource model" in u.reason]
