"""Libraries that call AWS for the code (mappings/wrappers.yaml): each positive case must be
granted, each negative case must grant nothing of the kind. Run through the library and the CLI;
the table itself is checked against the mapping data."""

from __future__ import annotations

import json
import re
import textwrap

import pytest
from click.testing import CliRunner
from test_patterns import DDB, Case, check, run

from policygen import mapping
from policygen.cli import main

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:"
SSM = "arn:aws:ssm:us-east-1:123456789012:parameter/"
API = "arn:aws:execute-api:us-east-1:123456789012:"

PYNAMO_MODELS = """
from pynamodb.models import Model
from pynamodb.attributes import UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, AllProjection


class ByCustomer(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-customer"
        projection = AllProjection()

    customer = UnicodeAttribute(hash_key=True)


class Order(Model):
    class Meta:
        table_name = "orders"
        region = "us-east-1"

    id = UnicodeAttribute(hash_key=True)
    customer = UnicodeAttribute()
    by_customer = ByCustomer()
"""

CASES = [
    Case(
        "SecretCache reads and describes the secret, in its client's region",
        {
            "app.py": """
        import boto3
        from aws_secretsmanager_caching import SecretCache, SecretCacheConfig
        cache = SecretCache(config=SecretCacheConfig(), client=boto3.client("secretsmanager", region_name="eu-west-1"))
        def handler(e, c):
            return cache.get_secret_string("db/password"), cache.get_secret_binary(secret_id="tls/key")
        """
        },
        {
            (
                "secretsmanager:GetSecretValue",
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db/password-??????",
            ),
            (
                "secretsmanager:DescribeSecret",
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db/password-??????",
            ),
            (
                "secretsmanager:GetSecretValue",
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:tls/key-??????",
            ),
        },
    ),
    Case(
        "InjectSecretString and InjectKeywordedSecretString decorators",
        {
            "app.py": """
        from aws_secretsmanager_caching import SecretCache, InjectSecretString, InjectKeywordedSecretString
        cache = SecretCache()
        @InjectSecretString("api/token", cache)
        def token(value):
            return value
        @InjectKeywordedSecretString(secret_id="db/creds", cache=cache, user="username", password="password")
        def connect(user, password):
            return user
        def handler(e, c):
            return token(), connect()
        """
        },
        {
            ("secretsmanager:GetSecretValue", SECRET + "api/token-??????"),
            ("secretsmanager:DescribeSecret", SECRET + "api/token-??????"),
            ("secretsmanager:GetSecretValue", SECRET + "db/creds-??????"),
        },
    ),
    Case(
        "a SecretCache that is never read calls nothing",
        {
            "app.py": """
        from aws_secretsmanager_caching import SecretCache
        cache = SecretCache()
        def handler(e, c):
            return cache
        """
        },
        set(),
        {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"},
    ),
    Case(
        "Powertools parameters: functions and providers",
        {
            "app.py": """
        import os
        from aws_lambda_powertools.utilities import parameters
        from aws_lambda_powertools.utilities.parameters import SSMProvider, DynamoDBProvider, SecretsProvider
        ssm = SSMProvider()
        flags = DynamoDBProvider(table_name=os.environ["FLAGS_TABLE"])
        def handler(e, c):
            parameters.get_parameter("/app/endpoint")
            parameters.get_secret("stripe/key")
            ssm.get_multiple("/app/limits")
            SecretsProvider().get("db/creds")
            return flags.get("beta"), flags.get_multiple("rollout")
        """
        },
        {
            ("ssm:GetParameter", SSM + "app/endpoint"),
            ("secretsmanager:GetSecretValue", SECRET + "stripe/key-??????"),
            ("ssm:GetParametersByPath", SSM + "app/limits"),
            ("secretsmanager:GetSecretValue", SECRET + "db/creds-??????"),
            ("dynamodb:GetItem", DDB + "feature-flags"),
            ("dynamodb:Query", DDB + "feature-flags"),
        },
        {"ssm:GetParameters", "dynamodb:Scan"},
        env={"FLAGS_TABLE": "feature-flags"},
    ),
    Case(
        "Powertools idempotency: the persistence layer's table",
        {
            "app.py": """
        import os
        from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent, idempotent_function
        layer = DynamoDBPersistenceLayer(table_name=os.environ["IDEMPOTENCY_TABLE"])
        @idempotent_function(data_keyword_argument="order", persistence_store=layer)
        def charge(order):
            return order
        @idempotent(persistence_store=layer)
        def handler(e, c):
            return charge(order=e)
        """
        },
        {
            ("dynamodb:GetItem", DDB + "idempotency"),
            ("dynamodb:PutItem", DDB + "idempotency"),
            ("dynamodb:UpdateItem", DDB + "idempotency"),
            ("dynamodb:DeleteItem", DDB + "idempotency"),
        },
        {"dynamodb:Scan", "dynamodb:DescribeTable"},
        env={"IDEMPOTENCY_TABLE": "idempotency"},
    ),
    Case(
        "Powertools batch processor and metrics call nothing",
        {
            "app.py": """
        from aws_lambda_powertools import Metrics
        from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
        processor = BatchProcessor(event_type=EventType.SQS)
        metrics = Metrics(namespace="orders")
        def record_handler(record):
            metrics.add_metric(name="processed", unit="Count", value=1)
        def handler(e, c):
            return process_partial_response(event=e, record_handler=record_handler, processor=processor, context=c)
        """
        },
        set(),
        {"sqs:DeleteMessageBatch", "sqs:DeleteMessage", "cloudwatch:PutMetricData"},
    ),
    Case(
        "Powertools v1 PartialSQSProcessor deletes processed messages from the event's queue",
        {
            "app.py": """
        from aws_lambda_powertools.utilities.batch import PartialSQSProcessor
        def handler(e, c):
            with PartialSQSProcessor() as processor:
                return processor
        """
        },
        {
            ("sqs:DeleteMessage", "arn:aws:sqs:us-east-1:123456789012:*")
        },  # IAM authorizes DeleteMessageBatch so
    ),
    Case(
        "PynamoDB model: class and instance methods on the Meta table, index queries on the index",
        {
            "models.py": PYNAMO_MODELS,
            "app.py": """
        from models import Order
        def handler(e, c):
            order = Order.get(e["id"])
            order.update(actions=[Order.customer.set("c")])
            for other in Order.by_customer.query(e["customer"]):
                other.delete()
            with Order.batch_write() as batch:
                batch.save(Order(id="new"))
            Order(id="x").save()
            return Order.count(), Order.exists()
        """,
        },
        {
            ("dynamodb:GetItem", DDB + "orders"),
            ("dynamodb:UpdateItem", DDB + "orders"),
            ("dynamodb:Query", DDB + "orders/index/by-customer"),
            ("dynamodb:DeleteItem", DDB + "orders"),
            ("dynamodb:BatchWriteItem", DDB + "orders"),
            ("dynamodb:PutItem", DDB + "orders"),
            ("dynamodb:DescribeTable", DDB + "orders"),
        },
        {"dynamodb:Scan"},
    ),
    Case(
        "PynamoDB count with a hash key is a query, not a describe",
        {
            "models.py": PYNAMO_MODELS,
            "app.py": """
        from models import Order
        def handler(e, c):
            return Order.count("o-1")
        """,
        },
        {("dynamodb:Query", DDB + "orders")},
        {"dynamodb:DescribeTable"},
    ),
    Case(
        "PynamoDB transactions: each item's own action on its model's table",
        {
            "models.py": PYNAMO_MODELS,
            "app.py": """
        from pynamodb.connection import Connection
        from pynamodb.transactions import TransactGet, TransactWrite
        from models import Order
        connection = Connection(region="us-east-1")
        def handler(e, c):
            with TransactWrite(connection=connection) as transaction:
                transaction.save(Order(e["id"], customer="c"))
                transaction.condition_check(Order, e["other"], condition=Order.customer.exists())
            with TransactGet(connection=connection) as reads:
                found = reads.get(Order, e["id"])
            return found
        """,
        },
        {
            ("dynamodb:PutItem", DDB + "orders"),
            ("dynamodb:ConditionCheckItem", DDB + "orders"),
            ("dynamodb:GetItem", DDB + "orders"),
        },
        {"dynamodb:DeleteItem", "dynamodb:UpdateItem"},
    ),
    Case(
        "Powertools by-name parameters, app config and setters",
        {
            "app.py": """
        from aws_lambda_powertools.utilities import parameters
        from aws_lambda_powertools.utilities.parameters import AppConfigProvider
        features = AppConfigProvider(environment="prod", application="shop")
        def handler(e, c):
            values = parameters.get_parameters_by_name(parameters={"/shop/a": {}, "/shop/b": {"decrypt": True}})
            parameters.set_parameter("/shop/last-run", "now", overwrite=True)
            parameters.set_secret("shop/token", "t")
            return values, parameters.get_app_config("flags", environment="prod"), features.get("limits")
        """
        },
        {
            ("ssm:GetParameter", SSM + "shop/a"),
            ("ssm:GetParameter", SSM + "shop/b"),
            ("ssm:GetParameters", SSM + "shop/a"),
            ("ssm:GetParameters", SSM + "shop/b"),
            ("ssm:PutParameter", SSM + "shop/last-run"),
            ("secretsmanager:PutSecretValue", SECRET + "shop/token-??????"),
            ("secretsmanager:CreateSecret", SECRET + "shop/token-??????"),
        },
        {"ssm:GetParametersByPath", "secretsmanager:GetSecretValue"},
        env={"POWERTOOLS_SERVICE_NAME": "shop"},
    ),
    Case(
        "a project class named Model that is not PynamoDB's calls nothing",
        {
            "app.py": """
        class Model:
            class Meta:
                table_name = "orders"
            def save(self):
                return None
        class Order(Model):
            pass
        def handler(e, c):
            Order().save()
            return Order.get
        """
        },
        set(),
        {"dynamodb:PutItem", "dynamodb:GetItem"},
    ),
    Case(
        "a model's own method overrides the library's",
        {
            "models.py": PYNAMO_MODELS,
            "app.py": """
        from models import Order
        class Draft(Order):
            def save(self):
                return "kept in memory"
        def handler(e, c):
            Draft(id="d").save()
        """,
        },
        set(),
        {"dynamodb:PutItem"},
    ),
    Case(
        "SigV4 (requests_aws4auth) to API Gateway: execute-api:Invoke on the method and path",
        {
            "app.py": """
        import os, boto3, requests
        from requests_aws4auth import AWS4Auth
        creds = boto3.Session().get_credentials()
        auth = AWS4Auth(creds.access_key, creds.secret_key, "us-east-1", "execute-api", session_token=creds.token)
        def handler(e, c):
            base = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod"
            requests.get(f"{base}/orders/{e['id']}", auth=auth)
            return requests.post(base + "/orders", json=e, auth=auth)
        """
        },
        {(API + "a1b2c3d4e5/prod/GET/orders/*", ""), (API + "a1b2c3d4e5/prod/POST/orders", "")},
    ),
    Case(
        "SigV4 (aws_requests_auth and botocore SigV4Auth) to OpenSearch: ESHttp actions on the domain path",
        {
            "app.py": """
        import boto3, requests
        from aws_requests_auth.boto_utils import BotoAWSRequestsAuth
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        HOST = "search-app-logs-4kyrgtp4nmz5v6d5.us-east-1.es.amazonaws.com"
        auth = BotoAWSRequestsAuth(aws_host=HOST, aws_region="us-east-1", aws_service="es")
        def handler(e, c):
            requests.put(f"https://{HOST}/events/_doc/{e['id']}", auth=auth, json=e)
            request = AWSRequest(method="POST", url=f"https://{HOST}/events/_search", data="{}")
            SigV4Auth(boto3.Session().get_credentials(), "es", "us-east-1").add_auth(request)
        """
        },
        {
            ("es:ESHttpPut", "arn:aws:es:us-east-1:123456789012:domain/app-logs/events/_doc/*"),
            ("es:ESHttpPost", "arn:aws:es:us-east-1:123456789012:domain/app-logs/events/_search"),
        },
        {"es:ESHttpGet", "es:ESHttpDelete"},
    ),
    Case(
        "an HTTP request that is not SigV4-signed calls no AWS action",
        {
            "app.py": """
        import requests
        def handler(e, c):
            requests.get("https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/orders")
            return requests.post("https://example.com/hook", auth=("user", "secret"))
        """
        },
        set(),
        {"execute-api:Invoke"},
    ),
    Case(
        "a signed request to an API behind a custom domain is widened and reported",
        {
            "app.py": """
        import requests
        from requests_aws4auth import AWS4Auth
        def handler(e, c):
            auth = AWS4Auth(region="us-east-1", service="execute-api", refreshable_credentials=None)
            return requests.get("https://api.example.com/orders", auth=auth)
        """
        },
        {(API + "*/*/GET/*", "")},
    ),
    Case(
        "a request signed for a service the table does not describe is reported, not granted",
        {
            "app.py": """
        import requests
        from requests_aws4auth import AWS4Auth
        def handler(e, c):
            auth = AWS4Auth("a", "b", "us-east-1", "aoss")
            return requests.get("https://abc.us-east-1.aoss.amazonaws.com/idx/_search", auth=auth)
        """
        },
        set(),
        {"aoss:APIAccessAll"},
        unresolved="which mappings/wrappers.yaml does not describe",
    ),
]


DDB_EU = "arn:aws:dynamodb:eu-central-1:123456789012:table/"
DDB_WEST = "arn:aws:dynamodb:eu-west-1:123456789012:table/"

# A model whose Meta sets its region in one branch only (the other points at DynamoDB Local), and
# whose save stamps the item and goes on to the library's save through super().
TODO_MODEL = """
import os
from pynamodb.models import Model
from pynamodb.attributes import UnicodeAttribute


class Note(Model):
    class Meta:
        table_name = os.environ["NOTES_TABLE"]
        if "LOCAL" in os.environ:
            host = "http://localhost:8000"
        else:
            region = "eu-central-1"
            host = "https://dynamodb.eu-central-1.amazonaws.com"

    note_id = UnicodeAttribute(hash_key=True)
    stamp = UnicodeAttribute(null=True)

    def save(self, condition=None):
        self.stamp = "now"
        super(Note, self).save()


class Memo(Note):
    def delete(self, condition=None):
        return super().delete()
"""

META_CASES = [
    Case(
        "PynamoDB Meta region under if/else: the branch's region, and the default where a branch sets none",
        {
            "models.py": TODO_MODEL,
            "app.py": """
        from models import Note
        def handler(e, c):
            return Note.get(e["id"])
        """,
        },
        {("dynamodb:GetItem", DDB_EU + "notes"), ("dynamodb:GetItem", DDB + "notes")},
        {"dynamodb:PutItem"},
        env={"NOTES_TABLE": "notes"},
    ),
    Case(
        "an overriding save reaches the library's save through super(Cls, self), with the model's Meta",
        {
            "models.py": TODO_MODEL,
            "app.py": """
        from models import Note
        def handler(e, c):
            Note(note_id=e["id"]).save()
        """,
        },
        {("dynamodb:PutItem", DDB_EU + "notes")},
        {"dynamodb:DeleteItem", "dynamodb:GetItem"},
        env={"NOTES_TABLE": "notes"},
    ),
    Case(
        "super() without arguments in a subclass of a model reaches the library method",
        {
            "models.py": TODO_MODEL,
            "app.py": """
        from models import Memo
        def handler(e, c):
            Memo.get(e["id"]).delete()
        """,
        },
        {("dynamodb:DeleteItem", DDB_EU + "notes"), ("dynamodb:GetItem", DDB_EU + "notes")},
        {"dynamodb:PutItem"},
        env={"NOTES_TABLE": "notes"},
    ),
    Case(
        "super() reaching a project method that keeps the item in memory calls nothing",
        {
            "models.py": PYNAMO_MODELS,
            "app.py": """
        from models import Order
        class Draft(Order):
            def save(self):
                return "kept in memory"
        class Stamped(Draft):
            def save(self):
                return super().save()
        def handler(e, c):
            Stamped(id="d").save()
        """,
        },
        set(),
        {"dynamodb:PutItem"},
    ),
    Case(
        "super() in a class that is not a library model calls nothing",
        {
            "app.py": """
        class Base:
            def save(self):
                return None
        class Model(Base):
            class Meta:
                table_name = "orders"
            def save(self):
                super(Model, self).save()
        def handler(e, c):
            Model().save()
        """
        },
        set(),
        {"dynamodb:PutItem"},
    ),
]

# Regions set in every branch of an if/else and of a try/except: those regions only.
EVERY_BRANCH_MODEL = """
import os
from pynamodb.models import Model
from pynamodb.attributes import UnicodeAttribute


class Note(Model):
    class Meta:
        table_name = "notes"
        if os.environ.get("STAGE") == "eu":
            region = "eu-central-1"
        else:
            try:
                region = os.environ["NOTES_REGION"]
            except KeyError:
                region = "eu-west-1"

    note_id = UnicodeAttribute(hash_key=True)
"""


@pytest.mark.parametrize("case", META_CASES, ids=lambda c: c.name)
def test_model_meta_branches_and_super(tmp_path, case):
    check(tmp_path, case)


def test_a_region_set_in_every_branch_leaves_no_default(tmp_path):
    case = Case(
        "every branch",
        {
            "models.py": EVERY_BRANCH_MODEL,
            "app.py": "from models import Note\n\ndef handler(e, c):\n    return Note.get(e['id'])\n",
        },
        env={"NOTES_REGION": "eu-west-1"},
    )
    granted = {(p.action, p.resource) for p in run(tmp_path, case).permissions}
    assert granted == {("dynamodb:GetItem", DDB_EU + "notes"), ("dynamodb:GetItem", DDB_WEST + "notes")}


@pytest.mark.parametrize("case", META_CASES[:3], ids=lambda c: c.name)
def test_model_meta_branches_and_super_through_the_cli(tmp_path, case):
    _check_through_the_cli(tmp_path, case)


def _with_invoke_resources(case: Case) -> Case:
    """execute-api grants are written ``(resource, "")`` above for brevity."""
    grants = {("execute-api:Invoke", a) if b == "" else (a, b) for a, b in case.grants}
    return Case(case.name, case.files, grants, case.absent, case.env, case.unresolved)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_wrapper_pattern(tmp_path, case):
    check(tmp_path, _with_invoke_resources(case))


def test_widening_of_a_custom_domain_is_explained(tmp_path):
    case = next(c for c in CASES if "custom domain" in c.name)
    result = run(tmp_path, case)
    (widening,) = [w for w in result.widenings if w.action == "execute-api:Invoke"]
    assert "the URL https://api.example.com/orders does not show it" in widening.reason
    assert widening.location.line == 6


@pytest.mark.parametrize("name", [CASES[0].name, "Powertools batch processor and metrics call nothing"])
def test_wrapper_patterns_through_the_cli(tmp_path, name):
    _check_through_the_cli(tmp_path, next(c for c in CASES if c.name == name))


def _check_through_the_cli(tmp_path, case: Case) -> None:
    for file, text in case.files.items():
        (tmp_path / file).write_text(textwrap.dedent(text))
    env = [arg for key, value in sorted(case.env.items()) for arg in ("--env", f"{key}={value}")]
    out = CliRunner().invoke(
        main, ["generate", str(tmp_path), "--region", "us-east-1", "--account", "123456789012", *env]
    )
    assert out.exit_code == 0, out.output
    statements = json.loads(out.stdout)["Statement"]
    granted = {(a, r) for s in statements for a in s["Action"] for r in s["Resource"]}
    assert case.grants <= granted
    assert not case.absent & {a for a, _ in granted}


def test_every_table_entry_is_reviewed_and_maps():
    table = mapping.wrappers()
    entries = {**table["functions"], **table["classes"], **table["signed_http"]}
    for name, spec in entries.items():
        assert spec.get("reason") and re.match(r"https://", spec.get("source", "")), name
    calls = [c for spec in table["functions"].values() for c in spec.get("calls", ())]
    for spec in table["classes"].values():
        calls.extend(spec.get("calls", ()))
        for method in spec.get("methods", {}).values():
            calls.extend(method.get("calls", ()))
    assert calls
    for call in calls:
        doc = mapping.sdk_service(call["service"])
        assert doc is not None and call["method"] in doc["methods"], call
    for spec in table["signed_http"].values():
        re.compile(spec["url"])
        for actions in spec["actions"].values():
            for action in actions:
                assert mapping.action_exists(action["action"]), action
                need = mapping.need_from_spec(action)
                assert all(need.arn_formats[o.type] for o in need.options), action
