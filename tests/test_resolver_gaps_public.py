"""Resolver gaps found running policygen on public projects (terraform-aws-lambda-nuke's
client wrapper and strategy table), reproduced with own minimal code. Strict xfails: they pass
the day the resolver (policygen/resolve, not this test's owner) handles them, and then must be
turned into plain tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from policygen.model import Target
from policygen.options import Options
from policygen.pipeline import generate
from policygen.project import generate_project

TARGET = Target("aws", "us-east-1", "123456789012")
CLASSES = """
import boto3


class Clients:
    connection = None

    def connect(self, service, region=None):
        {connect}


class Queues:
    def __init__(self, region=None):
        self.sqs = Clients().connect("sqs", region)

    def purge(self):
        self.sqs.purge_queue(QueueUrl="https://sqs.us-east-1.amazonaws.com/123456789012/jobs")


class Topics:
    def __init__(self, region=None):
        self.sns = Clients().connect("sns", region)

    def purge(self):
        self.sns.delete_topic(TopicArn="arn:aws:sns:us-east-1:123456789012:alerts")


def handler(event, context):
    {loop}
"""
RETURNED = "return boto3.client(service, region_name=region)"
CACHED = "self.connection = boto3.client(service, region_name=region)\n        return self.connection"
TUPLE_LOOP = 'for cls in (Queues, Topics):\n        cls("us-east-1").purge()'
TABLE_LOOP = (
    'strategies = {"sqs": Queues, "sns": Topics}\n'
    "    for key, value in strategies.items():\n"
    '        value(region="us-east-1").purge()'
)
WANTED = {
    ("sns:DeleteTopic", "arn:aws:sns:us-east-1:123456789012:alerts"),
    ("sqs:PurgeQueue", "arn:aws:sqs:us-east-1:123456789012:jobs"),
}


def run(tmp_path: Path, connect: str, loop: str):
    (tmp_path / "app.py").write_text(textwrap.dedent(CLASSES).format(connect=connect, loop=loop))
    result = generate(tmp_path, Options(target=TARGET))
    return {(p.action, p.resource) for p in result.permissions}, [u.reason for u in result.unresolved]


def test_a_wrapper_returning_the_client_it_makes_keeps_each_caller_s_service(tmp_path):
    # The shape that works today, kept as the reference for the two gaps below.
    granted, unresolved = run(tmp_path, RETURNED, TUPLE_LOOP)
    assert granted == WANTED and unresolved == []


@pytest.mark.xfail(
    strict=True,
    reason="resolver gap (policygen/resolve, perf's lane): a client stored on a self attribute by a "
    "wrapper called with several service names merges them (sns.purge_queue, sqs.delete_topic "
    "reported; with shared operation names such as list_clusters every service's action is granted)",
)
def test_a_wrapper_caching_the_client_on_self_keeps_each_caller_s_service(tmp_path):
    granted, unresolved = run(tmp_path, CACHED, TUPLE_LOOP)
    assert granted == WANTED and unresolved == []


@pytest.mark.xfail(
    strict=True,
    reason="resolver gap (policygen/resolve, perf's lane): classes held as a dict's values and "
    "instantiated from a .items() loop variable are not followed: every call is unreachable and "
    "the policy is empty",
)
def test_classes_called_from_a_dict_of_strategies_are_reachable(tmp_path):
    granted, unresolved = run(tmp_path, RETURNED, TABLE_LOOP)
    assert granted == WANTED and unresolved == []


@pytest.mark.xfail(
    strict=True,
    reason="resolver gap (policygen/resolve/sdk.py, perf's lane): a Queue resource loaded by "
    "get_queue_by_name(QueueName=...) takes its url from the response, so its send_message is widened "
    "to every queue although the name is known (serverless-python-dynamo)",
)
def test_a_queue_got_by_name_sends_to_that_queue(tmp_path):
    (tmp_path / "app.py").write_text(
        "import boto3\n\nsqs = boto3.resource('sqs')\n\n\ndef handler(event, context):\n"
        "    sqs.get_queue_by_name(QueueName='jobs').send_message(MessageBody='x')\n"
    )
    result = generate(tmp_path, Options(target=TARGET))
    assert {(p.action, p.resource) for p in result.permissions} == {
        ("sqs:GetQueueUrl", "arn:aws:sqs:us-east-1:123456789012:jobs"),
        ("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:jobs"),
    }


@pytest.mark.xfail(
    strict=True,
    reason="resolver gap (policygen/resolve, perf's lane): a variable the deployment does not set "
    "(its environment is all the template declares) still takes the branch where it is set: the "
    "local-testing bucket is granted too, with no widening or unresolved item (s3-local, a "
    "Serverless example)",
)
def test_a_branch_on_a_variable_the_deployment_does_not_set_is_not_taken(tmp_path):
    (tmp_path / "app.py").write_text(
        "import os\nimport boto3\n\nif os.getenv('IS_LOCAL'):\n    bucket = 'local-bucket'\nelse:\n"
        "    bucket = 'deployed-bucket'\n\n\ndef handler(event, context):\n"
        "    boto3.client('s3').put_object(Bucket=bucket, Key='k', Body=b'x')\n"
    )
    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
        "    Properties:\n      Runtime: python3.12\n      CodeUri: .\n      Handler: app.handler\n"
        "      Environment:\n        Variables:\n          STAGE: prod\n"
    )
    (function,) = generate_project(tmp_path, Options(target=TARGET)).functions  # type: ignore[union-attr]
    granted = {p.resource for p in function.result.permissions if p.action == "s3:PutObject"}
    assert granted == {"arn:aws:s3:::deployed-bucket/k"}


@pytest.mark.xfail(
    strict=True,
    reason="resolver gap (policygen/resolve/sdk.py, perf's lane): sts.get_caller_identity()['Account'] "
    "is the function's own account (--account), yet it is widened to '*' (reports-{account} buckets, "
    "Athena result buckets named after the account: serverless-samples' monetization)",
)
def test_the_caller_s_own_account_is_the_target_account(tmp_path):
    (tmp_path / "app.py").write_text(
        "import boto3\n\nACCOUNT = boto3.client('sts').get_caller_identity()['Account']\n\n\n"
        "def handler(event, context):\n"
        "    boto3.client('s3').put_object(Bucket=f'reports-{ACCOUNT}', Key='k', Body=b'x')\n"
    )
    result = generate(tmp_path, Options(target=TARGET))
    granted = {p.resource for p in result.permissions if p.action == "s3:PutObject"}
    assert granted == {"arn:aws:s3:::reports-123456789012/k"}


@pytest.mark.xfail(
    strict=True,
    reason="resolver gap (policygen/resolve, perf's lane): a batch call retried with its response's "
    "UnprocessedKeys/UnprocessedItems (the tables it was asked about) is widened to every table "
    "(aws-serverless-ecommerce-platform products/ValidateFunction)",
)
def test_a_batch_retry_of_unprocessed_keys_stays_on_the_request_s_tables(tmp_path):
    (tmp_path / "app.py").write_text(
        "import boto3\n\ndynamodb = boto3.client('dynamodb')\n\n\ndef handler(event, context):\n"
        "    response = dynamodb.batch_get_item(RequestItems={'products': {'Keys': [{'id': {'S': '1'}}]}})\n"
        "    while response.get('UnprocessedKeys'):\n"
        "        response = dynamodb.batch_get_item(RequestItems=response['UnprocessedKeys'])\n"
    )
    result = generate(tmp_path, Options(target=TARGET))
    granted = {p.resource for p in result.permissions if p.action == "dynamodb:BatchGetItem"}
    assert granted == {"arn:aws:dynamodb:us-east-1:123456789012:table/products"}
