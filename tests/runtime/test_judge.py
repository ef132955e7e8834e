"""What moto's IAM enforcement checks by itself, and what the judge adds: each claim of `judge.py`
tested by a call that a right grant allows and a wrong one denies."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import disable_iam_authentication, enable_iam_authentication

from . import fixtures
from .harness import ACCOUNT, MOTO_CONFIG, REGION, _principal, shared_models
from .judge import judging

pytestmark = pytest.mark.runtime


def _policy(action: str, resource: str, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


@contextlib.contextmanager
def _as_role(setup: Callable[[], None], policy: dict[str, Any]) -> Iterator[boto3.Session]:
    with shared_models(), mock_aws(config=MOTO_CONFIG):
        with disable_iam_authentication():
            setup()
            credentials = _principal(policy)
        with enable_iam_authentication():
            yield boto3.Session(
                aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"],
                aws_session_token=credentials["SessionToken"],
                region_name=REGION,
            )


def _denied(call: Callable[[], object]) -> bool:
    try:
        call()
    except ClientError as error:
        code = error.response["Error"]["Code"]
        assert code in {"AccessDenied", "AccessDeniedException", "403"} or "AccessDenied" in str(error), error
        return True
    return False


def _setup() -> None:
    fixtures.bucket("judge-bucket", {"k": b"x"})
    fixtures.table("judge-table")
    fixtures.queue("judge-queue")


EMAIL = {"ToAddresses": ["x@example.org"]}
MESSAGE = {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/judge-table"
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:judge-queue"


# --- moto by itself ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("granted", "resource", "denied"),
    [
        ("s3:GetObject", "arn:aws:s3:::judge-bucket/*", False),
        ("s3:PutObject", "arn:aws:s3:::judge-bucket/*", True),  # a missing action is denied
        ("s3:GetObject", "arn:aws:s3:::other-bucket/*", True),  # S3 resources are judged
    ],
)
def test_moto_judges_s3_actions_and_resources(granted: str, resource: str, denied: bool) -> None:
    with _as_role(_setup, _policy(granted, resource)) as session:
        s3 = session.client("s3")
        assert _denied(lambda: s3.get_object(Bucket="judge-bucket", Key="k")) is denied


@pytest.mark.parametrize(
    ("resource", "denied"),
    [(QUEUE, False), (f"arn:aws:sqs:{REGION}:{ACCOUNT}:other-queue", True)],
)
def test_moto_judges_sqs_queue_resources(resource: str, denied: bool) -> None:
    with _as_role(_setup, _policy("sqs:SendMessage", resource)) as session:
        sqs = session.client("sqs")
        url = fixtures.queue_url("judge-queue")
        assert _denied(lambda: sqs.send_message(QueueUrl=url, MessageBody="m")) is denied


def test_moto_alone_denies_a_correct_dynamodb_grant_it_cannot_place() -> None:
    """moto checks DynamoDB requests against the resource `*`: the right table ARN does not match."""
    with _as_role(_setup, _policy("dynamodb:GetItem", TABLE)) as session:
        ddb = session.client("dynamodb")
        assert _denied(lambda: ddb.get_item(TableName="judge-table", Key={"pk": {"S": "a"}}))


def test_moto_alone_denies_a_missing_dynamodb_action() -> None:
    with _as_role(_setup, _policy("dynamodb:PutItem", "*")) as session:
        ddb = session.client("dynamodb")
        assert _denied(lambda: ddb.get_item(TableName="judge-table", Key={"pk": {"S": "a"}}))


UNGRANTED: list[tuple[str, Callable[[boto3.Session], object]]] = [
    ("sns", lambda s: s.client("sns").publish(TopicArn=f"arn:aws:sns:{REGION}:{ACCOUNT}:t", Message="m")),
    ("lambda", lambda s: s.client("lambda").invoke(FunctionName="f")),
    ("kms", lambda s: s.client("kms").encrypt(KeyId="alias/k", Plaintext=b"x")),
    ("secretsmanager", lambda s: s.client("secretsmanager").get_secret_value(SecretId="s")),
    ("ssm", lambda s: s.client("ssm").get_parameter(Name="/p")),
    ("ses", lambda s: s.client("ses").send_email(Source="a@example.com", Destination=EMAIL, Message=MESSAGE)),
    ("events", lambda s: s.client("events").put_events(Entries=[{"Source": "a", "DetailType": "b", "Detail": "{}"}])),
    ("stepfunctions", lambda s: s.client("stepfunctions").start_execution(stateMachineArn=f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:m")),
    ("kinesis", lambda s: s.client("kinesis").put_record(StreamName="k", Data=b"x", PartitionKey="p")),
    ("firehose", lambda s: s.client("firehose").put_record(DeliveryStreamName="f", Record={"Data": b"x"})),
    ("athena", lambda s: s.client("athena").start_query_execution(QueryString="select 1")),
    ("rekognition", lambda s: s.client("rekognition").detect_labels(Image={"S3Object": {"Bucket": "bkt", "Name": "k"}})),
    ("bedrock-runtime", lambda s: s.client("bedrock-runtime").invoke_model(modelId="m", body=b"{}")),
    ("ec2", lambda s: s.client("ec2").describe_instances()),
    ("cloudwatch", lambda s: s.client("cloudwatch").put_metric_data(Namespace="n", MetricData=[{"MetricName": "m", "Value": 1}])),
]


@pytest.mark.parametrize(("service", "call"), UNGRANTED, ids=[u[0] for u in UNGRANTED])
def test_moto_alone_denies_an_ungranted_action_of_every_service_used(service: str, call: Callable[[boto3.Session], object]) -> None:
    """moto checks the action of every request to these services: a role granted only something
    else is denied before the service looks at the (missing) resource."""
    with _as_role(lambda: None, _policy("s3:GetObject", "*")) as session:
        assert _denied(lambda: call(session)), service


def test_moto_reads_conditions_as_satisfied() -> None:
    condition = {"StringEquals": {"aws:SourceVpce": "vpce-never-present"}}
    with _as_role(_setup, _policy("s3:GetObject", "arn:aws:s3:::judge-bucket/*", condition)) as session:
        s3 = session.client("s3")
        assert not _denied(lambda: s3.get_object(Bucket="judge-bucket", Key="k"))


# --- the judge --------------------------------------------------------------------------------


def _judge_setup() -> None:
    _setup()
    fixtures.topic("judge-topic")
    fixtures.secret("judge/secret", "s")
    boto3.client("ssm", region_name=REGION).put_parameter(Name="/app/flag", Value="on", Type="String")
    kms = boto3.client("kms", region_name=REGION)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/app-data", TargetKeyId=key)
    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress="orders@example.com")
    boto3.client("events", region_name=REGION).create_event_bus(Name="orders-bus")
    boto3.client("ec2", region_name=REGION).run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)


_INSTANCE: dict[str, str] = {}  # the id moto gave this test's instance, read during setup


def _instance_id() -> str:
    reservations = boto3.client("ec2", region_name=REGION).describe_instances()["Reservations"]
    return str(reservations[0]["Instances"][0]["InstanceId"])


def _key_arn() -> str:
    key = boto3.client("kms", region_name=REGION).describe_key(KeyId="alias/app-data")["KeyMetadata"]["KeyId"]
    return f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key}"


def _secret_arn() -> str:
    return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:judge/secret-??????"


JUDGED: list[tuple[str, str, str, Callable[[boto3.Session], object]]] = [
    ("dynamodb", "dynamodb:GetItem", TABLE, lambda s: s.client("dynamodb").get_item(TableName="judge-table", Key={"pk": {"S": "a"}})),
    (
        "dynamodb-transaction",
        "dynamodb:UpdateItem",
        TABLE,
        lambda s: s.client("dynamodb").transact_write_items(
            TransactItems=[{"Update": {"TableName": "judge-table", "Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET v = :v", "ExpressionAttributeValues": {":v": {"S": "1"}}}}]
        ),
    ),
    ("sns", "sns:Publish", f"arn:aws:sns:{REGION}:{ACCOUNT}:judge-topic", lambda s: s.client("sns").publish(TopicArn=f"arn:aws:sns:{REGION}:{ACCOUNT}:judge-topic", Message="m")),
    ("ssm", "ssm:GetParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/app/flag", lambda s: s.client("ssm").get_parameter(Name="/app/flag")),
    ("secretsmanager", "secretsmanager:GetSecretValue", _secret_arn(), lambda s: s.client("secretsmanager").get_secret_value(SecretId="judge/secret")),
    ("kms-alias", "kms:Encrypt", "KEY", lambda s: s.client("kms").encrypt(KeyId="alias/app-data", Plaintext=b"x")),
    ("ses", "ses:SendEmail", f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/orders@example.com", lambda s: s.client("ses").send_email(Source="Orders <orders@example.com>", Destination=EMAIL, Message=MESSAGE)),
    ("events", "events:PutEvents", f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/orders-bus", lambda s: s.client("events").put_events(Entries=[{"Source": "a", "DetailType": "b", "Detail": "{}", "EventBusName": "orders-bus"}])),
    (
        "bedrock-foundation-model",
        "bedrock:InvokeModel",
        f"arn:aws:bedrock:{REGION}::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
        lambda s: s.client("bedrock-runtime").invoke_model(modelId="anthropic.claude-3-haiku-20240307-v1:0", body=b"{}"),
    ),
    (
        "ec2-create-tags",
        "ec2:CreateTags",
        "INSTANCE",
        lambda s: s.client("ec2").create_tags(Resources=[_INSTANCE["id"]], Tags=[{"Key": "a", "Value": "b"}]),
    ),
    ("s3-delete-objects", "s3:DeleteObject", "arn:aws:s3:::judge-bucket/k", lambda s: s.client("s3").delete_objects(Bucket="judge-bucket", Delete={"Objects": [{"Key": "k"}]})),
]


def _session(credentials: dict[str, Any]) -> boto3.Session:
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=REGION,
    )


@pytest.mark.parametrize(("name", "action", "resource", "call"), JUDGED, ids=[j[0] for j in JUDGED])
@pytest.mark.parametrize("right", [True, False], ids=["right-resource", "wrong-resource"])
def test_judge_places_the_resource(name: str, action: str, resource: str, call: Callable[[boto3.Session], object], right: bool) -> None:
    with shared_models(), mock_aws(config=MOTO_CONFIG):
        with disable_iam_authentication():
            _judge_setup()
            if resource == "KEY":
                resource = _key_arn()
            _INSTANCE["id"] = _instance_id()
            if resource == "INSTANCE":
                resource = f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{_INSTANCE['id']}"
            granted = resource if right else resource.rsplit("/", 1)[0].rsplit(":", 1)[0] + ":wrong/name"
            credentials = _principal(_policy(action, granted))
        session = _session(credentials)
        with enable_iam_authentication(), judging() as judge, contextlib.suppress(ClientError):
            call(session)
    assert judge.checks, f"{name}: the judge saw no request"
    assert all(c.resource_judged for c in judge.checks), judge.checks
    assert (not judge.denials) is right, judge.checks


def test_judge_uses_iam_action_names() -> None:
    """moto checks Lambda's Invoke as `lambda:Invoke`; IAM's action is `lambda:InvokeFunction`."""
    with shared_models(), mock_aws(config=MOTO_CONFIG):
        with disable_iam_authentication():
            role = boto3.client("iam", region_name=REGION).create_role(
                RoleName="callee", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
            )["Role"]["Arn"]
            import io
            import zipfile

            code = io.BytesIO()
            with zipfile.ZipFile(code, "w") as archive:
                archive.writestr("a.py", "def h(e, c):\n    return 1\n")
            boto3.client("lambda", region_name=REGION).create_function(
                FunctionName="callee", Runtime="python3.12", Role=role, Handler="a.h", Code={"ZipFile": code.getvalue()}
            )
            credentials = _principal(_policy("lambda:InvokeFunction", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:callee"))
        session = _session(credentials)
        with enable_iam_authentication(), judging() as judge:
            session.client("lambda").invoke(FunctionName="callee")
            with contextlib.suppress(ClientError):
                session.client("lambda").invoke(FunctionName="callee", Qualifier="1")
    assert [(c.action, c.resource.rsplit(":", 1)[-1], c.allowed) for c in judge.checks] == [
        ("lambda:InvokeFunction", "callee", True),
        ("lambda:InvokeFunction", "1", False),  # a qualified invocation needs the qualified ARN
    ]


@pytest.mark.parametrize("right", [True, False], ids=["right-source", "wrong-source"])
def test_judge_checks_the_source_an_s3_copy_reads(right: bool) -> None:
    """moto authorizes CopyObject on the destination only; S3 also authorizes the source read."""
    source = "arn:aws:s3:::judge-bucket/k" if right else "arn:aws:s3:::judge-bucket/other"
    with shared_models(), mock_aws(config=MOTO_CONFIG):
        with disable_iam_authentication():
            _judge_setup()
            policy = {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::judge-bucket/copy"},
                    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": source},
                ],
            }
            credentials = _principal(policy)
        session = _session(credentials)
        with enable_iam_authentication(), judging() as judge, contextlib.suppress(ClientError):
            session.client("s3").copy_object(CopySource="judge-bucket/k", Bucket="judge-bucket", Key="copy")
    assert ("s3:GetObject", "arn:aws:s3:::judge-bucket/k") in {(c.action, c.resource) for c in judge.checks}
    assert (not judge.denials) is right, judge.checks
