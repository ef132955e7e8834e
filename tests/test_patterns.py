"""Extraction patterns, each with code that must be found (VALID) and code that must not grant
(INVALID), in the manner of Fixit's rule examples. One helper turns them into tests."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from policygen.model import Target
from policygen.options import Options
from policygen.pipeline import generate

TARGET = Target("aws", "us-east-1", "123456789012")


@dataclass
class Case:
    name: str
    files: dict[str, str]
    grants: set[tuple[str, str]] = field(default_factory=set)  # (action, resource) that must be granted
    absent: set[str] = field(default_factory=set)  # actions that must not be granted
    env: dict[str, str] = field(default_factory=dict)
    unresolved: str | None = None  # a substring one unresolved reason must contain


def run(tmp_path: Path, case: Case):
    for name, text in case.files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return generate(tmp_path, Options(environment=case.env, target=TARGET))


S3 = "arn:aws:s3:::"
DDB = "arn:aws:dynamodb:us-east-1:123456789012:table/"

CASES = [
    Case(
        "import alias",
        {
            "app.py": """
        import boto3 as b
        def handler(e, c):
            b.client("s3").get_object(Bucket="bkt", Key="k")
        """
        },
        {("s3:GetObject", S3 + "bkt/k")},
    ),
    Case(
        "from-import of client factory",
        {
            "app.py": """
        from boto3 import client
        s3 = client("s3")
        def handler(e, c):
            s3.list_objects_v2(Bucket="bkt")
        """
        },
        {("s3:ListBucket", S3 + "bkt")},
        {"s3:GetObjectAcl"},
    ),
    Case(
        "session client and botocore session",
        {
            "app.py": """
        import boto3, botocore.session
        def handler(e, c):
            boto3.Session().client("sqs").delete_message(QueueUrl="https://sqs.us-east-1.amazonaws.com/123456789012/q", ReceiptHandle="r")
            botocore.session.get_session().create_client("sns").publish(TopicArn="arn:aws:sns:us-east-1:123456789012:t", Message="m")
        """
        },
        {
            ("sqs:DeleteMessage", "arn:aws:sqs:us-east-1:123456789012:q"),
            ("sns:Publish", "arn:aws:sns:us-east-1:123456789012:t"),
        },
    ),
    Case(
        "lazy global",
        {
            "app.py": """
        import boto3
        _c = None
        def get():
            global _c
            if _c is None:
                _c = boto3.client("dynamodb")
            return _c
        def handler(e, c):
            get().get_item(TableName="orders", Key={})
        """
        },
        {("dynamodb:GetItem", DDB + "orders")},
    ),
    Case(
        "self attribute",
        {
            "app.py": """
        import boto3
        class Repo:
            def __init__(self):
                self.ddb = boto3.client("dynamodb")
            def save(self, item):
                self.ddb.put_item(TableName="t", Item=item)
        def handler(e, c):
            Repo().save({})
        """
        },
        {("dynamodb:PutItem", DDB + "t")},
    ),
    Case(
        "client passed as argument and returned",
        {
            "app.py": """
        import boto3
        def make():
            return boto3.client("sqs")
        def send(q, url):
            q.send_message(QueueUrl=url, MessageBody="x")
        def handler(e, c):
            send(make(), "https://sqs.us-east-1.amazonaws.com/123456789012/jobs")
        """
        },
        {("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:jobs")},
    ),
    Case(
        "client from another module",
        {
            "app.py": """
        from clients import s3
        def handler(e, c):
            s3.head_object(Bucket="b", Key="k")
        """,
            "clients.py": """
        import boto3
        s3 = boto3.client("s3")
        """,
        },
        {("s3:GetObject", S3 + "b/k")},
        {"s3:HeadObject"},
    ),
    Case(
        "dict of clients with literal keys",
        {
            "app.py": """
        import boto3
        C = {"kin": boto3.client("kinesis")}
        def handler(e, c):
            C["kin"].put_record(StreamName="clicks", Data=b"", PartitionKey="p")
        """
        },
        {("kinesis:PutRecord", "arn:aws:kinesis:us-east-1:123456789012:stream/clicks")},
    ),
    Case(
        "dataclass field",
        {
            "app.py": """
        from dataclasses import dataclass, field
        import boto3
        @dataclass
        class Deps:
            sns: object = field(default_factory=lambda: boto3.client("sns"))
        def handler(e, c):
            Deps().sns.publish(TopicArn="arn:aws:sns:us-east-1:123456789012:alerts", Message="m")
        """
        },
        {("sns:Publish", "arn:aws:sns:us-east-1:123456789012:alerts")},
    ),
    Case(
        "resource sub-resource and load",
        {
            "app.py": """
        import boto3
        def handler(e, c):
            obj = boto3.resource("s3").Bucket("bkt").Object("a.txt")
            obj.load()
            obj.get()
        """
        },
        {("s3:GetObject", S3 + "bkt/a.txt")},
    ),
    Case(
        "collection filter and batch action",
        {
            "app.py": """
        import boto3
        def handler(e, c):
            boto3.resource("s3").Bucket("bkt").objects.filter(Prefix="tmp/").delete()
        """
        },
        {("s3:ListBucket", S3 + "bkt"), ("s3:DeleteObject", S3 + "bkt/*")},
    ),
    Case(
        "batch_writer",
        {
            "app.py": """
        import boto3
        def handler(e, c):
            with boto3.resource("dynamodb").Table("events").batch_writer() as w:
                w.put_item(Item={})
        """
        },
        {("dynamodb:BatchWriteItem", DDB + "events")},
    ),
    Case(
        "paginator",
        {
            "app.py": """
        import boto3
        def handler(e, c):
            for page in boto3.client("dynamodb").get_paginator("scan").paginate(TableName="t"):
                pass
        """
        },
        {("dynamodb:Scan", DDB + "t")},
    ),
    Case(
        "waiter",
        {
            "app.py": """
        import boto3
        def handler(e, c):
            boto3.client("s3").get_waiter("bucket_exists").wait(Bucket="b")
        """
        },
        {("s3:ListBucket", S3 + "b")},
    ),
    Case(
        "managed transfer on client",
        {
            "app.py": """
        import boto3
        def handler(e, c):
            boto3.client("s3").upload_file("/tmp/x", "b", "up/x")
        """
        },
        {("s3:PutObject", S3 + "b/up/x")},
    ),
    Case(
        "presigned url",
        {
            "app.py": """
        import boto3
        def handler(e, c):
            return boto3.client("s3").generate_presigned_url("put_object", Params={"Bucket": "b", "Key": "k"})
        """
        },
        {("s3:PutObject", S3 + "b/k")},
    ),
    Case(
        "f-string widens only the unknown part",
        {
            "app.py": """
        import boto3
        def handler(e, c):
            boto3.client("s3").get_object(Bucket="orders-archive", Key=f"orders/{e['id']}.json")
        """
        },
        {("s3:GetObject", S3 + "orders-archive/orders/*.json")},
    ),
    Case(
        "concatenation, % and format",
        {
            "app.py": """
        import boto3
        P = "p/"
        def handler(e, c):
            s3 = boto3.client("s3")
            s3.get_object(Bucket="b", Key=P + "a")
            s3.get_object(Bucket="b", Key="%s-x" % "q")
            s3.get_object(Bucket="b", Key="{}/{}".format("r", "s"))
        """
        },
        {("s3:GetObject", S3 + "b/p/a"), ("s3:GetObject", S3 + "b/q-x"), ("s3:GetObject", S3 + "b/r/s")},
    ),
    Case(
        "environment from deployment",
        {
            "app.py": """
        import os, boto3
        def handler(e, c):
            boto3.client("ssm").get_parameter(Name=os.environ["PARAM"])
        """
        },
        {("ssm:GetParameter", "arn:aws:ssm:us-east-1:123456789012:parameter/app/key")},
        env={"PARAM": "/app/key"},
    ),
    Case(
        "getenv default is used and reported",
        {
            "app.py": """
        import os, boto3
        def handler(e, c):
            boto3.client("ssm").get_parameter(Name=os.getenv("PARAM", "plain"))
        """
        },
        {("ssm:GetParameter", "arn:aws:ssm:us-east-1:123456789012:parameter/plain")},
        unresolved="PARAM is not set",
    ),
    Case(
        "secret id gets the random suffix",
        {
            "app.py": """
        import boto3
        def handler(e, c):
            boto3.client("secretsmanager").get_secret_value(SecretId="db")
        """
        },
        {("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-??????")},
    ),
    Case(
        "action without resource-level permissions",
        {
            "app.py": """
        import boto3
        def handler(e, c):
            boto3.client("cloudwatch").put_metric_data(Namespace="x", MetricData=[])
        """
        },
        {("cloudwatch:PutMetricData", "*")},
    ),
    Case(
        "permissionless call grants nothing",
        {
            "app.py": """
        import boto3
        def handler(e, c):
            boto3.client("sts").get_caller_identity()
        """
        },
        set(),
        {"sts:GetCallerIdentity"},
    ),
    Case(
        "unreachable code is not granted",
        {
            "app.py": """
        import boto3
        def handler(e, c):
            return 1
        def admin():
            boto3.client("s3").delete_bucket(Bucket="b")
        """
        },
        set(),
        {"s3:DeleteBucket"},
    ),
    Case(
        "service computed at run time is unresolved",
        {
            "app.py": """
        import boto3
        def handler(e, c):
            boto3.client(e["svc"]).do_thing()
        """
        },
        set(),
        set(),
        unresolved="service name is computed",
    ),
    Case(
        "unknown operation is unresolved",
        {
            "app.py": """
        import boto3
        def handler(e, c):
            boto3.client("s3").not_an_operation(Bucket="b")
        """
        },
        set(),
        set(),
        unresolved="no operation 'not_an_operation'",
    ),
    Case(
        "dynamodb index",
        {
            "app.py": """
        import boto3
        def handler(e, c):
            boto3.client("dynamodb").query(TableName="t", IndexName="gsi1", KeyConditionExpression="x")
        """
        },
        {("dynamodb:Query", DDB + "t/index/gsi1")},
    ),
    Case(
        "get_object with VersionId",
        {
            "app.py": """
        import boto3
        def handler(e, c):
            boto3.client("s3").get_object(Bucket="b", Key="k", VersionId="v1")
        """
        },
        {("s3:GetObjectVersion", S3 + "b/k")},
        {"s3:GetObject"},
    ),
    Case(
        "copy_object reads the source",
        {
            "app.py": """
        import boto3
        def handler(e, c):
            boto3.client("s3").copy_object(Bucket="dst", Key="k2", CopySource="src/k1")
        """
        },
        {("s3:PutObject", S3 + "dst/k2"), ("s3:GetObject", S3 + "src/k1")},
    ),
    Case(
        "client helper keeps call sites apart",
        {
            "app.py": """
        import boto3
        def get_client(name, region="us-east-1"):
            return boto3.client(name, region_name=region)
        def handler(e, c):
            get_client("dynamodb").tag_resource(ResourceArn="arn:aws:dynamodb:us-east-1:123456789012:table/t", Tags=[])
            get_client("sqs").tag_queue(QueueUrl="https://sqs.us-east-1.amazonaws.com/123456789012/q", Tags={})
        """
        },
        {("dynamodb:TagResource", DDB + "t"), ("sqs:TagQueue", "arn:aws:sqs:us-east-1:123456789012:q")},
        {"sqs:TagResource", "dynamodb:TagQueue"},
    ),
    Case(
        "any resource type from the service resource",
        {
            "app.py": """
        import boto3
        def handler(e, c):
            boto3.resource("s3").Object("bkt", "out/r.json").put(Body=b"")
            boto3.resource("s3").BucketPolicy("bkt").load()
        """
        },
        {("s3:PutObject", S3 + "bkt/out/r.json"), ("s3:GetBucketPolicy", S3 + "bkt")},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_pattern(tmp_path, case):
    check(tmp_path, case)


def check(tmp_path: Path, case: Case) -> None:
    """The case's grants are all there, its absent actions are not, its unresolved reason is."""
    result = run(tmp_path, case)
    granted = {(p.action, p.resource) for p in result.permissions}
    assert case.grants <= granted, f"missing {case.grants - granted}; got {sorted(granted)}"
    actions = {a for a, _ in granted}
    assert not (case.absent & actions), f"unexpected {case.absent & actions}"
    if case.unresolved:
        reasons = [u.reason for u in result.unresolved]
        assert any(case.unresolved in r for r in reasons), reasons


def test_helper_call_sites_are_not_merged(tmp_path):
    case = next(c for c in CASES if c.name == "client helper keeps call sites apart")
    assert run(tmp_path, case).unresolved == ()  # no "sqs has no operation tag_resource"


def test_a_code_folder_that_is_a_package_imports_itself_by_name(tmp_path):
    root = tmp_path / "orders"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "clients.py").write_text('import boto3\ns3 = boto3.client("s3")\n')
    (root / "app.py").write_text(
        'from orders.clients import s3\n\ndef handler(e, c):\n    s3.get_object(Bucket="b", Key="k")\n'
    )
    result = generate(root, Options(handler="app.handler", target=TARGET))
    assert {(p.action, p.resource) for p in result.permissions} == {("s3:GetObject", S3 + "b/k")}


def test_recursive_structure_building_terminates(tmp_path):
    (tmp_path / "app.py").write_text(
        "import boto3\n"
        "def wrap(d, n):\n"
        "    return wrap({'inner': d, 'list': [d, d]}, n - 1) if n else d\n"
        "def handler(e, c):\n"
        "    boto3.client('sqs').send_message(QueueUrl='https://sqs.us-east-1.amazonaws.com/123456789012/q', MessageBody='x', **wrap({}, 50))\n"
    )
    result = generate(tmp_path, Options(target=TARGET))
    assert ("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:q") in {
        (p.action, p.resource) for p in result.permissions
    }


PARAM = "arn:aws:ssm:us-east-1:123456789012:parameter/"


def test_ssm_parameter_names_lose_their_leading_slash_on_every_path(tmp_path):
    """The parameter ARN holds the name without its leading slash, whether the name comes alone
    (Name, Path), in a list (Names) or through Powertools; a name without a slash is kept whole."""
    (tmp_path / "app.py").write_text(
        textwrap.dedent(
            """
            import boto3
            from aws_lambda_powertools.utilities import parameters
            ssm = boto3.client("ssm")
            def handler(e, c):
                ssm.get_parameter(Name="/shop/one")
                ssm.get_parameters(Names=["/shop/a", "plain-b"])
                ssm.get_parameters_by_path(Path="/shop/cfg")
                ssm.put_parameter(Name="/shop/p", Value="v", Type="String")
                ssm.delete_parameter(Name="/shop/d")
                ssm.delete_parameters(Names=["/shop/e", "plain-f"])
                parameters.get_parameters_by_name({"/shop/pt": {}})
                parameters.set_parameter("/shop/set", "v")
            """
        )
    )
    granted = {(p.action, p.resource) for p in run(tmp_path, Case("ssm", {})).permissions}
    assert granted == {
        ("ssm:GetParameter", PARAM + "shop/one"),
        ("ssm:GetParameter", PARAM + "shop/pt"),
        ("ssm:GetParameters", PARAM + "shop/a"),
        ("ssm:GetParameters", PARAM + "plain-b"),
        ("ssm:GetParameters", PARAM + "shop/pt"),
        ("ssm:GetParametersByPath", PARAM + "shop/cfg"),
        ("ssm:PutParameter", PARAM + "shop/p"),
        ("ssm:PutParameter", PARAM + "shop/set"),
        ("ssm:DeleteParameter", PARAM + "shop/d"),
        ("ssm:DeleteParameters", PARAM + "shop/e"),
        ("ssm:DeleteParameters", PARAM + "plain-f"),
    }


def test_a_slash_inside_a_parameter_name_is_kept(tmp_path):
    """Only the leading slash goes: a name from the environment keeps its inner slashes, and a
    list of names is never widened to every parameter."""
    (tmp_path / "app.py").write_text(
        'import os, boto3\ndef handler(e, c):\n    boto3.client("ssm").delete_parameters(Names=[os.environ["P"]])\n'
    )
    result = generate(tmp_path, Options(environment={"P": "/a/b/c"}, target=TARGET))
    assert {(p.action, p.resource) for p in result.permissions} == {("ssm:DeleteParameters", PARAM + "a/b/c")}


SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:"


def test_create_secret_is_scoped_to_the_secret_it_names(tmp_path):
    """CreateSecret names its secret with Name, as other calls do with SecretId: the grant is that
    secret (with the random suffix Secrets Manager appends), directly or through Powertools."""
    (tmp_path / "app.py").write_text(
        textwrap.dedent(
            """
            import boto3
            from aws_lambda_powertools.utilities import parameters
            def handler(e, c):
                boto3.client("secretsmanager").create_secret(Name="shop/api-key", SecretString="x")
                parameters.set_secret("shop/webhook", "v")
            """
        )
    )
    granted = {(p.action, p.resource) for p in generate(tmp_path, Options(target=TARGET)).permissions}
    assert {r for a, r in granted if a == "secretsmanager:CreateSecret"} == {
        SECRET + "shop/api-key-??????",
        SECRET + "shop/webhook-??????",
    }


def test_create_secret_with_an_unknown_name_is_widened_and_reported(tmp_path):
    """Only the part of the name the code does not fix is a wildcard, and it is reported."""
    (tmp_path / "app.py").write_text(
        'import boto3\ndef handler(e, c):\n    boto3.client("secretsmanager").create_secret(Name=e["tenant"] + "/token")\n'
    )
    result = generate(tmp_path, Options(target=TARGET))
    granted = {(p.action, p.resource) for p in result.permissions}
    assert granted == {("secretsmanager:CreateSecret", SECRET + "*/token-??????")}
    assert result.widenings, "the wildcard in the secret name must be reported"
