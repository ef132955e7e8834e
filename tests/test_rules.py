"""Parameter-dependent actions and the side actions AWS checks on the caller's behalf."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from policygen.model import Target
from policygen.options import Options
from policygen.pipeline import generate

TARGET = Target("aws", "us-east-1", "123456789012")
DDB = "arn:aws:dynamodb:us-east-1:123456789012:table/"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def grants(tmp_path: Path, code: str, **kwargs):
    (tmp_path / "app.py").write_text("import boto3\n\n" + textwrap.dedent(code))
    result = generate(tmp_path, Options(target=TARGET, **kwargs))
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


ANY_KEY = "arn:aws:kms:us-east-1:123456789012:key/*"


def test_kms_alias_is_authorized_on_the_key_held_to_the_alias(tmp_path):
    result, got = grants(
        tmp_path,
        """
        def handler(e, c):
            kms = boto3.client("kms")
            kms.decrypt(CiphertextBlob=b"x", KeyId="alias/app-data")
            kms.generate_data_key(KeyId="arn:aws:kms:us-east-1:123456789012:alias/app-data", KeySpec="AES_256")
        """,
    )
    assert not any("alias/" in r for _, r in got)  # an ARN built from the alias matches nothing
    [decrypt] = got[("kms:Decrypt", ANY_KEY)]
    assert (decrypt.operator, decrypt.key, decrypt.values) == (
        "StringEquals",
        "kms:RequestAlias",
        ("alias/app-data",),
    )
    [generate] = got[("kms:GenerateDataKey", ANY_KEY)]
    assert generate.values == ("alias/app-data", "arn:aws:kms:us-east-1:123456789012:alias/app-data")
    assert {w.action for w in result.widenings} == {"kms:Decrypt", "kms:GenerateDataKey"}
    assert all("held to the alias with kms:RequestAlias" in w.reason for w in result.widenings)


def test_kms_key_id_needs_no_alias_condition(tmp_path):
    result, got = grants(
        tmp_path,
        """
        def handler(e, c):
            boto3.client("kms").describe_key(KeyId="1234abcd-12ab-34cd-56ef-1234567890ab")
        """,
    )
    assert got == {("kms:DescribeKey", KEY): ()}
    assert result.widenings == ()


def test_kms_alias_on_an_action_without_request_alias_is_reported_as_any_key(tmp_path):
    result, got = grants(
        tmp_path,
        """
        def handler(e, c):
            boto3.client("kms").create_grant(KeyId="alias/app-data", GranteePrincipal="p", Operations=["Decrypt"])
        """,
    )
    assert got == {("kms:CreateGrant", ANY_KEY): ()}
    [widening] = result.widenings
    assert "does not support kms:RequestAlias" in widening.reason


def test_kms_alias_partly_known_is_a_pattern(tmp_path):
    _, got = grants(
        tmp_path,
        """
        import os
        def handler(e, c):
            boto3.client("kms").encrypt(KeyId=f"alias/{os.environ['STAGE']}-data", Plaintext=b"x")
        """,
    )
    [condition] = got[("kms:Encrypt", ANY_KEY)]
    assert (condition.operator, condition.values) == ("StringLike", ("alias/*-data",))


def test_cli_kms_alias_condition(tmp_path):
    from click.testing import CliRunner

    from policygen.cli import main

    (tmp_path / "app.py").write_text(
        "import boto3\ndef handler(e, c):\n    boto3.client('kms').decrypt(CiphertextBlob=b'x', KeyId='alias/app-data')\n"
    )
    result = CliRunner().invoke(
        main, ["generate", str(tmp_path), "--region", "us-east-1", "--account", "123456789012", "--no-cache"]
    )
    assert result.exit_code == 0, result.output
    [statement] = json.loads(result.stdout)["Statement"]
    assert statement["Resource"] in (ANY_KEY, [ANY_KEY])
    assert statement["Condition"] == {"StringEquals": {"kms:RequestAlias": ["alias/app-data"]}}


GLUE = "arn:aws:glue:us-east-1:123456789012:"


def test_athena_query_reads_the_catalog_and_writes_results(tmp_path):
    result, got = grants(
        tmp_path,
        """
        def handler(e, c):
            athena = boto3.client("athena")
            q = athena.start_query_execution(
                QueryString='SELECT o.id FROM "sales"."orders" o JOIN customers c ON o.cid = c.id',
                QueryExecutionContext={"Database": "crm"},
                ResultConfiguration={"OutputLocation": "s3://athena-results/lambda/"},
                WorkGroup="reports",
            )
            return athena.get_query_results(QueryExecutionId=q["QueryExecutionId"])
        """,
    )
    assert ("athena:StartQueryExecution", "arn:aws:athena:us-east-1:123456789012:workgroup/reports") in got
    for action in ("glue:GetTable", "glue:GetPartitions"):
        assert {r for a, r in got if a == action} == {
            GLUE + "catalog",
            GLUE + "database/sales",
            GLUE + "database/crm",
            GLUE + "table/sales/orders",
            GLUE + "table/crm/customers",
        }
    assert {r for a, r in got if a == "glue:GetDatabase"} == {
        GLUE + "catalog",
        GLUE + "database/sales",
        GLUE + "database/crm",
    }
    assert ("s3:PutObject", "arn:aws:s3:::athena-results/lambda/*") in got
    assert ("s3:GetBucketLocation", "arn:aws:s3:::athena-results") in got
    assert ("s3:GetObject", "arn:aws:s3:::athena-results/lambda/*") in got  # read back by GetQueryResults
    # The tables' data locations are Glue's, not the code's: reported, not guessed.
    assert any("sales.orders, crm.customers from S3" in u.reason for u in result.unresolved)
    assert not any(a == "s3:GetObject" and "athena-results" not in r for a, r in got)


def test_athena_defaults_and_what_it_cannot_see(tmp_path):
    result, got = grants(
        tmp_path,
        """
        def handler(e, c):
            boto3.client("athena").start_query_execution(QueryString=e["sql"], QueryExecutionContext={"Database": "logs"})
        """,
    )
    assert ("athena:StartQueryExecution", "arn:aws:athena:us-east-1:123456789012:workgroup/primary") in got
    assert ("glue:GetTable", GLUE + "table/logs/*") in got
    assert not any(a == "s3:PutObject" for a, _ in got)
    reasons = " ".join(u.reason for u in result.unresolved)
    assert "work group's output location" in reasons
    assert any("tables of a query the analysis cannot read" in w.reason for w in result.widenings)


def test_athena_results_without_a_known_query_are_reported(tmp_path):
    result, got = grants(
        tmp_path,
        """
        def handler(e, c):
            return boto3.client("athena").get_query_results(QueryExecutionId=e["id"])
        """,
    )
    assert not any(a.startswith("s3:") for a, _ in got)
    assert any("GetQueryResults reads the results" in u.reason for u in result.unresolved)


def test_transcribe_output_key_folder_and_role(tmp_path):
    _, got = grants(
        tmp_path,
        """
        def handler(e, c):
            t = boto3.client("transcribe")
            t.start_transcription_job(TranscriptionJobName="j", Media={"MediaFileUri": "s3://calls/a.wav"},
                                      OutputBucketName="out", OutputKey="transcripts/")
            t.start_transcription_job(TranscriptionJobName="k", Media={"MediaFileUri": "s3://calls/b.wav"},
                                      JobExecutionSettings={"AllowDeferredExecution": True,
                                                            "DataAccessRoleArn": "arn:aws:iam::123456789012:role/tr"})
        """,
    )
    assert ("s3:PutObject", "arn:aws:s3:::out/transcripts/*") in got
    assert ("s3:GetObject", "arn:aws:s3:::calls/a.wav") in got
    assert ("s3:GetObject", "arn:aws:s3:::calls/b.wav") not in got  # the role reads it


def test_comprehend_document_bytes_call_textract(tmp_path):
    _, got = grants(
        tmp_path,
        """
        def handler(e, c):
            cmp = boto3.client("comprehend")
            cmp.detect_entities(Bytes=e["pdf"], DocumentReaderConfig={"DocumentReadAction": "TEXTRACT_DETECT_DOCUMENT_TEXT"},
                                EndpointArn="arn:aws:comprehend:us-east-1:123456789012:entity-recognizer-endpoint/x")
            cmp.detect_sentiment(Text="t", LanguageCode="en")
        """,
    )
    assert ("textract:DetectDocumentText", "*") in got
    assert ("textract:AnalyzeDocument", "*") in got


def test_comprehend_plain_text_needs_no_textract(tmp_path):
    _, got = grants(
        tmp_path,
        """
        def handler(e, c):
            boto3.client("comprehend").detect_entities(Text="t", LanguageCode="en")
        """,
    )
    assert not any(a.startswith("textract:") for a, _ in got)


def test_cli_athena_strict_fails_on_the_data_it_cannot_see(tmp_path):
    from click.testing import CliRunner

    from policygen.cli import main

    (tmp_path / "app.py").write_text(
        "import boto3\n"
        "def handler(e, c):\n"
        "    boto3.client('athena').start_query_execution(QueryString='SELECT * FROM sales.orders',\n"
        "        ResultConfiguration={'OutputLocation': 's3://results/q/'})\n"
    )
    args = ["generate", str(tmp_path), "--region", "us-east-1", "--account", "123456789012", "--no-cache"]
    report = CliRunner().invoke(main, [*args, "--format", "json-report"])
    assert report.exit_code == 0, report.output
    body = json.loads(report.stdout)
    granted = {a for s in body["policy"]["Statement"] for a in s["Action"]}
    assert {"athena:StartQueryExecution", "glue:GetTable", "s3:PutObject"} <= granted
    assert any("sales.orders from S3" in u["reason"] for u in body["unresolved"])
    strict = CliRunner().invoke(main, [*args, "--strict"])
    assert strict.exit_code == 1
    assert "sales.orders from S3" in strict.stderr
