"""Parameter-dependent actions and the side actions AWS checks on the caller's behalf."""

from __future__ import annotations

import textwrap
from pathlib import Path

from policygen.model import Target
from policygen.pipeline import generate

TARGET = Target("aws", "us-east-1", "123456789012")
DDB = "arn:aws:dynamodb:us-east-1:123456789012:table/"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def grants(tmp_path: Path, code: str, **kwargs):
    (tmp_path / "app.py").write_text("import boto3\n\n" + textwrap.dedent(code))
    result = generate(tmp_path, target=TARGET, **kwargs)
    return result, {(p.action, p.resource): p.conditions for p in result.permissions}


def test_partiql_verb_and_table(tmp_path):
    _, got = grants(
        tmp_path,
        """
        def handler(e, c):
            d = boto3.client("dynamodb")
            d.execute_statement(Statement='SELECT * FROM "orders" WHERE id = ?')
            d.execute_statement(Statement=f'UPDATE "{e["t"]}" SET a = 1')
            d.batch_execute_statement(Statements=[{"Statement": 'INSERT INTO "audit" VALUE {}'}])
        """,
    )
    assert set(got) == {
        ("dynamodb:PartiQLSelect", DDB + "orders"),
        ("dynamodb:PartiQLUpdate", DDB + "*"),
        ("dynamodb:PartiQLInsert", DDB + "audit"),
    }


def test_partiql_unknown_statement_grants_all_four_and_says_so(tmp_path):
    result, got = grants(
        tmp_path,
        """
        def handler(e, c):
            boto3.client("dynamodb").execute_statement(Statement=e["q"])
        """,
    )
    assert {a for a, _ in got} == {
        "dynamodb:PartiQLSelect",
        "dynamodb:PartiQLInsert",
        "dynamodb:PartiQLUpdate",
        "dynamodb:PartiQLDelete",
    }
    assert all("all four PartiQL actions" in w.reason for w in result.widenings)


def test_transact_write_items_per_item_kind(tmp_path):
    _, got = grants(
        tmp_path,
        """
        def handler(e, c):
            boto3.client("dynamodb").transact_write_items(TransactItems=[
                {"Put": {"TableName": "orders", "Item": {}}},
                {"ConditionCheck": {"TableName": "stock", "Key": {}, "ConditionExpression": "x"}},
            ])
            boto3.client("dynamodb").transact_get_items(TransactItems=[{"Get": {"TableName": "orders", "Key": {}}}])
        """,
    )
    assert set(got) == {
        ("dynamodb:PutItem", DDB + "orders"),
        ("dynamodb:ConditionCheckItem", DDB + "stock"),
        ("dynamodb:GetItem", DDB + "orders"),
    }


def test_pass_role_only_when_a_role_is_passed(tmp_path):
    _, got = grants(
        tmp_path,
        """
        def handler(e, c):
            lam = boto3.client("lambda")
            lam.create_function(FunctionName="f", Role="arn:aws:iam::123456789012:role/fn-role", Code={})
            lam.update_function_configuration(FunctionName="g", Timeout=3)
        """,
    )
    assert ("iam:PassRole", "arn:aws:iam::123456789012:role/fn-role") in got
    assert ("lambda:CreateFunction", "arn:aws:lambda:us-east-1:123456789012:function:f") in got
    assert [r for a, r in got if a == "iam:PassRole"] == ["arn:aws:iam::123456789012:role/fn-role"]


def test_role_passed_by_name_becomes_its_arn(tmp_path):
    _, got = grants(
        tmp_path,
        """
        def handler(e, c):
            boto3.client("glue").create_job(Name="j", Role="etl-role", Command={})
        """,
    )
    assert ("iam:PassRole", "arn:aws:iam::123456789012:role/etl-role") in got


def test_hidden_pass_role_is_reported(tmp_path):
    result, got = grants(
        tmp_path,
        """
        def handler(e, c):
            boto3.client("ecs").run_task(cluster="c", taskDefinition="td:1")
        """,
    )
    assert not any(a == "iam:PassRole" for a, _ in got)
    assert any("grant iam:PassRole on them by hand" in u.reason for u in result.unresolved)


def test_s3_object_read_by_rekognition_and_textract(tmp_path):
    _, got = grants(
        tmp_path,
        """
        def handler(e, c):
            boto3.client("textract").analyze_document(Document={"S3Object": {"Bucket": "docs", "Name": "in/a.pdf"}}, FeatureTypes=["FORMS"])
        """,
    )
    assert ("s3:GetObject", "arn:aws:s3:::docs/in/a.pdf") in got
    assert ("textract:AnalyzeDocument", "*") in got


def test_transcribe_reads_media_and_writes_output(tmp_path):
    _, got = grants(
        tmp_path,
        """
        def handler(e, c):
            boto3.client("transcribe").start_transcription_job(
                TranscriptionJobName="j", Media={"MediaFileUri": "s3://calls/2024/a.wav"}, OutputBucketName="transcripts")
        """,
    )
    assert ("s3:GetObject", "arn:aws:s3:::calls/2024/a.wav") in got
    assert ("s3:PutObject", "arn:aws:s3:::transcripts/*") in got


def test_sse_kms_key_named_in_code(tmp_path):
    _, got = grants(
        tmp_path,
        f"""
        def handler(e, c):
            boto3.client("s3").put_object(Bucket="b", Key="k", ServerSideEncryption="aws:kms", SSEKMSKeyId="{KEY}")
        """,
    )
    conditions = got[("kms:GenerateDataKey", KEY)]
    assert [(c.key, c.values) for c in conditions] == [("kms:ViaService", ("s3.us-east-1.amazonaws.com",))]
    assert ("kms:Decrypt", KEY) not in got  # a single PutObject needs no Decrypt


def test_kms_key_flag_is_held_to_the_calling_services(tmp_path):
    _, got = grants(
        tmp_path,
        """
        def handler(e, c):
            boto3.client("sqs").send_message(QueueUrl="https://sqs.us-east-1.amazonaws.com/123456789012/q", MessageBody="m")
            boto3.client("secretsmanager").get_secret_value(SecretId="db")
            boto3.client("ssm").get_parameter(Name="/plain")
        """,
        kms_keys=(KEY,),
    )
    via = {c.values for c in got[("kms:Decrypt", KEY)]}
    assert via == {("secretsmanager.us-east-1.amazonaws.com", "sqs.us-east-1.amazonaws.com")}
    assert ("kms:GenerateDataKey", KEY) in got


def test_no_kms_without_a_customer_managed_key(tmp_path):
    _, got = grants(
        tmp_path,
        """
        def handler(e, c):
            boto3.client("ssm").get_parameter(Name="/secure", WithDecryption=True)
        """,
    )
    assert not any(a.startswith("kms:") for a, _ in got)


def test_cloudwatch_namespace_condition(tmp_path):
    _, got = grants(
        tmp_path,
        """
        def handler(e, c):
            boto3.client("cloudwatch").put_metric_data(Namespace="Orders", MetricData=[])
        """,
    )
    [condition] = got[("cloudwatch:PutMetricData", "*")]
    assert (condition.operator, condition.key, condition.values) == (
        "StringEquals",
        "cloudwatch:namespace",
        ("Orders",),
    )
