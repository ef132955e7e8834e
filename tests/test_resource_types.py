"""Which resource types a call is authorized on: what the call names, each required type, and the
optional ones only when the call passes them (issue 10, "resources that are wrong")."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from click.testing import CliRunner

from policygen import mapping
from policygen.cli import main
from policygen.model import Target
from policygen.options import Options
from policygen.pipeline import generate

TARGET = Target("aws", "us-east-1", "123456789012")
BEDROCK = "arn:aws:bedrock:us-east-1:123456789012:"
SES = "arn:aws:ses:us-east-1:123456789012:"


def grants(tmp_path: Path, code: str):
    (tmp_path / "app.py").write_text("import boto3\n\n" + textwrap.dedent(code))
    result = generate(tmp_path, Options(target=TARGET))
    return result, {(p.action, p.resource) for p in result.permissions}


def resources(got, action: str) -> set[str]:
    return {r for a, r in got if a == action}


# -- bedrock: the model id picks the type ---------------------------------------------------------
def test_foundation_model_id_is_a_foundation_model(tmp_path):
    result, got = grants(
        tmp_path,
        """
        def handler(e, c):
            boto3.client("bedrock-runtime").invoke_model(modelId="anthropic.claude-3-haiku-20240307-v1:0", body="{}")
        """,
    )
    assert resources(got, "bedrock:InvokeModel") == {
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
    }
    assert result.widenings == ()


def test_inference_profile_id_needs_the_profile_and_its_model_in_every_region(tmp_path):
    result, got = grants(
        tmp_path,
        """
        def handler(e, c):
            boto3.client("bedrock-runtime").converse(modelId="us.anthropic.claude-3-5-sonnet-20240620-v1:0", messages=[])
        """,
    )
    assert resources(got, "bedrock:InvokeModel") == {
        BEDROCK + "inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0",
        "arn:aws:bedrock:*::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0",
    }
    [widening] = result.widenings
    assert "every Region it may route to" in widening.reason


def test_model_arns_pick_their_type_by_shape(tmp_path):
    provisioned = BEDROCK + "provisioned-model/abcdef123456"
    application = BEDROCK + "application-inference-profile/a1b2c3"
    result, got = grants(
        tmp_path,
        f"""
        def handler(e, c):
            br = boto3.client("bedrock-runtime")
            br.invoke_model_with_response_stream(modelId="{provisioned}", body="{{}}")
            br.converse_stream(modelId="{application}", messages=[])
        """,
    )
    assert resources(got, "bedrock:InvokeModelWithResponseStream") == {
        provisioned,
        application,
        "arn:aws:bedrock:*::foundation-model/*",
    }
    assert any("application inference profile" in w.reason for w in result.widenings)


def test_unknown_model_id_is_widened_and_reported(tmp_path):
    result, got = grants(
        tmp_path,
        """
        def handler(e, c):
            boto3.client("bedrock-runtime").invoke_model(modelId=e["model"], body="{}")
        """,
    )
    assert "arn:aws:bedrock:us-east-1:*" in resources(got, "bedrock:InvokeModel")
    assert any("could not tell which" in w.reason for w in result.widenings)
    # Never the unrelated type the list happened to start with.
    assert not any("application-inference-profile/*" in r for _, r in got)


# -- SES: the identity comes from Source / FromEmailAddress --------------------------------------
def test_ses_source_with_display_name_is_the_address_identity(tmp_path):
    result, got = grants(
        tmp_path,
        """
        def handler(e, c):
            boto3.client("ses").send_email(Source="Orders <orders@example.com>", Destination={}, Message={})
        """,
    )
    assert resources(got, "ses:SendEmail") == {SES + "identity/orders@example.com"}
    [widening] = result.widenings
    assert "identity/example.com" in widening.reason  # the domain is reported as the other possibility


def test_ses_configuration_set_only_when_passed(tmp_path):
    _, got = grants(
        tmp_path,
        """
        def handler(e, c):
            ses = boto3.client("ses")
            ses.send_raw_email(Source="a@example.com", RawMessage={"Data": b""}, ConfigurationSetName="tracked")
            ses.send_email(Source="b@example.com", Destination={}, Message={})
        """,
    )
    assert resources(got, "ses:SendRawEmail") == {
        SES + "identity/a@example.com",
        SES + "configuration-set/tracked",
    }
    assert resources(got, "ses:SendEmail") == {SES + "identity/b@example.com"}


def test_ses_templated_needs_identity_and_template(tmp_path):
    _, got = grants(
        tmp_path,
        """
        def handler(e, c):
            boto3.client("ses").send_templated_email(
                Source=f"{e['name']} <noreply@example.com>", Template="welcome", Destination={}, TemplateData="{}")
        """,
    )
    assert resources(got, "ses:SendTemplatedEmail") == {
        SES + "identity/noreply@example.com",
        SES + "template/welcome",
    }


def test_sesv2_from_address_and_template_when_used(tmp_path):
    _, got = grants(
        tmp_path,
        """
        def handler(e, c):
            v2 = boto3.client("sesv2")
            v2.send_email(FromEmailAddress="Team <team@example.com>", Destination={},
                          Content={"Template": {"TemplateName": "digest", "TemplateData": "{}"}})
            v2.send_email(FromEmailAddress="alerts@example.com", Destination={}, Content={"Simple": {}})
        """,
    )
    assert resources(got, "ses:SendEmail") == {
        SES + "identity/team@example.com",
        SES + "identity/alerts@example.com",
        SES + "template/digest",
    }


def test_ses_without_source_grants_the_required_identity_widened(tmp_path):
    result, got = grants(
        tmp_path,
        """
        def handler(e, c):
            boto3.client("ses").send_raw_email(RawMessage={"Data": b""})
        """,
    )
    assert resources(got, "ses:SendRawEmail") == {SES + "identity/*"}
    assert any("Source is not given" in w.reason for w in result.widenings)


# -- optional types only when named; required ones always -----------------------------------------
def test_optional_only_types_not_named_give_star_and_say_so(tmp_path):
    result, got = grants(
        tmp_path,
        """
        def handler(e, c):
            boto3.client("polly").synthesize_speech(Text="t", OutputFormat="mp3", VoiceId="Joanna")
            boto3.client("translate").translate_text(Text="t", SourceLanguageCode="en", TargetLanguageCode="de")
        """,
    )
    assert resources(got, "polly:SynthesizeSpeech") == {"*"}
    assert resources(got, "translate:TranslateText") == {"*"}
    assert not any("parallel-data" in r or "lexicon" in r for _, r in got)
    assert {w.action for w in result.widenings if "optional resource types" in w.reason} == {
        "polly:SynthesizeSpeech",
        "translate:TranslateText",
    }


def test_optional_types_named_by_the_call(tmp_path):
    _, got = grants(
        tmp_path,
        """
        def handler(e, c):
            boto3.client("polly").synthesize_speech(Text="t", OutputFormat="mp3", VoiceId="Joanna", LexiconNames=["names"])
            boto3.client("translate").translate_text(Text="t", SourceLanguageCode="en", TargetLanguageCode="de",
                                                     TerminologyNames=["brand"])
        """,
    )
    assert resources(got, "polly:SynthesizeSpeech") == {"arn:aws:polly:us-east-1:123456789012:lexicon/names"}
    assert resources(got, "translate:TranslateText") == {
        "arn:aws:translate:us-east-1:123456789012:terminology/brand"
    }


def test_every_required_type_and_no_parent_of_a_named_child(tmp_path):
    _, got = grants(
        tmp_path,
        """
        def handler(e, c):
            boto3.client("glue").get_table(DatabaseName="sales", Name="orders")
            boto3.client("dynamodb").query(TableName="orders", IndexName="by-date")
        """,
    )
    glue = "arn:aws:glue:us-east-1:123456789012:"
    assert resources(got, "glue:GetTable") == {
        glue + "catalog",
        glue + "database/sales",
        glue + "table/sales/orders",
    }
    # An index query is authorized on the index, not on its table.
    assert resources(got, "dynamodb:Query") == {
        "arn:aws:dynamodb:us-east-1:123456789012:table/orders/index/by-date"
    }


def test_mapping_data_carries_the_required_mark():
    [need] = mapping.needs(_call("ses", "send_email", Source="a@b.c"))
    marks = {o.type: o.required for o in need.options}
    assert marks == {"identity": True, "configuration-set": False}
    [need] = mapping.needs(_call("glue", "get_table", DatabaseName="d", Name="t"))
    marks = {o.type: o.required for o in need.options}
    assert marks == {"table": True, "database": True, "rootcatalog": True}  # optional catalog: not named


def _call(service, method, **kwargs):
    from policygen.model import Argument, Location, SdkCall, Text

    return SdkCall(
        service, method, tuple(Argument(k, (Text.of(v),)) for k, v in kwargs.items()), Location("x.py", 1)
    )


def test_cli_bedrock_and_ses(tmp_path):
    (tmp_path / "app.py").write_text(
        textwrap.dedent(
            """
            import boto3
            def handler(e, c):
                boto3.client("bedrock-runtime").invoke_model(modelId="amazon.titan-text-express-v1", body="{}")
                boto3.client("sesv2").send_email(FromEmailAddress="Shop <shop@example.com>", Destination={}, Content={})
            """
        )
    )
    result = CliRunner().invoke(
        main, ["generate", str(tmp_path), "--region", "eu-west-1", "--account", "123456789012", "--no-cache"]
    )
    assert result.exit_code == 0, result.output
    policy = json.loads(result.stdout)
    granted = {
        (a, r)
        for s in policy["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
    }
    assert granted == {
        ("bedrock:InvokeModel", "arn:aws:bedrock:eu-west-1::foundation-model/amazon.titan-text-express-v1"),
        ("ses:SendEmail", "arn:aws:ses:eu-west-1:123456789012:identity/shop@example.com"),
    }


def test_ec2_tags_by_id_prefix(tmp_path):
    result, got = grants(
        tmp_path,
        """
        def handler(e, c):
            ec2 = boto3.client("ec2")
            ec2.create_tags(Resources=["i-0abc", "vol-123"], Tags=[])
            ec2.delete_tags(Resources=[e["resource_id"]])
        """,
    )
    ec2 = "arn:aws:ec2:us-east-1:123456789012:"
    assert resources(got, "ec2:CreateTags") == {ec2 + "instance/i-0abc", ec2 + "volume/vol-123"}
    assert not [w for w in result.widenings if w.action == "ec2:CreateTags"]
    assert resources(got, "ec2:DeleteTags") == {"arn:aws:ec2:us-east-1:*"}
    [widening] = [w for w in result.widenings if w.action == "ec2:DeleteTags"]
    assert "could not tell which" in widening.reason


# -- Lambda: qualified ARNs ----------------------------------------------------------------------
FN = "arn:aws:lambda:us-east-1:123456789012:function:"


def test_lambda_qualifier_is_part_of_the_arn(tmp_path):
    result, got = grants(
        tmp_path,
        """
        def handler(e, c):
            lam = boto3.client("lambda")
            lam.invoke(FunctionName="resize", Qualifier="prod", Payload=b"{}")
            lam.invoke(FunctionName="thumbs:live")
            lam.invoke(FunctionName="arn:aws:lambda:eu-west-1:210987654321:function:billing:7")
            lam.invoke(FunctionName="123456789012:function:plain")
            lam.get_function(FunctionName="resize", Qualifier="3")
        """,
    )
    assert resources(got, "lambda:InvokeFunction") == {
        FN + "resize:prod",
        FN + "thumbs:live",
        "arn:aws:lambda:eu-west-1:210987654321:function:billing:7",
        FN + "plain",
    }
    assert resources(got, "lambda:GetFunction") == {FN + "resize:3"}
    assert result.widenings == ()


def test_lambda_unqualified_call_gets_only_the_unqualified_arn(tmp_path):
    _, got = grants(
        tmp_path,
        """
        def handler(e, c):
            boto3.client("lambda").invoke(FunctionName="resize")
            boto3.client("lambda").get_function_configuration(FunctionName="resize")
        """,
    )
    assert resources(got, "lambda:InvokeFunction") == {FN + "resize"}
    assert resources(got, "lambda:GetFunctionConfiguration") == {FN + "resize"}


def test_lambda_unknown_qualifier_is_widened_to_the_function_qualifiers(tmp_path):
    result, got = grants(
        tmp_path,
        f"""
        def handler(e, c):
            boto3.client("lambda").invoke(FunctionName="{FN}audit", Qualifier=e["version"])
        """,
    )
    assert resources(got, "lambda:InvokeFunction") == {FN + "audit:*"}
    [widening] = result.widenings
    assert "Version" in widening.reason


# -- the data behind it -----------------------------------------------------------------------------
def test_bedrock_model_types_are_alternatives_told_apart_by_match():
    [need] = mapping.needs(_call("bedrock-runtime", "converse", modelId="m"))
    by_type = {o.type: o for o in need.options}
    assert {o.members for o in need.options} == {frozenset({"modelId"})}
    assert by_type["inference-profile"].match and by_type["foundation-model"].match
    [companion] = by_type["inference-profile"].also
    assert (companion.type, companion.region) == ("foundation-model", "*")
    assert "async-invoke" not in by_type and "project" not in by_type  # not named by a model id


def test_lambda_qualifier_option_only_where_the_operation_takes_one():
    [invoke] = mapping.needs(_call("lambda", "invoke", FunctionName="f"))
    qualified = [o for o in invoke.options if o.type == "function version"]
    assert [(o.required, dict(o.bind)["Version"]) for o in qualified] == [(False, "Qualifier")]
    [update] = mapping.needs(_call("lambda", "update_function_code", FunctionName="f"))
    assert {o.type for o in update.options} == {"function"}


def test_kms_condition_keys_are_carried_per_action():
    assert "kms:RequestAlias" in mapping.condition_keys("kms:Decrypt")
    assert "kms:RequestAlias" in mapping.condition_keys("kms:DescribeKey")
    assert "kms:RequestAlias" not in mapping.condition_keys("kms:CreateGrant")
    assert mapping.condition_keys("nosuchservice:Action") == frozenset()


def test_athena_calls_carry_their_side_action_rules():
    [start] = mapping.entries(_call("athena", "start_query_execution", QueryString="q"))
    [results] = mapping.entries(_call("athena", "get_query_results", QueryExecutionId="i"))
    assert (start.rule, results.rule) == ("athena_query", "athena_results")
    assert {a.action for a in start.actions} == {"athena:StartQueryExecution"}


def test_the_operations_own_type_partly_named_is_scoped_as_far_as_named(tmp_path):
    result, got = grants(
        tmp_path,
        """
        def handler(e, c):
            boto3.client("cloudformation").describe_stacks(StackName="orders")
            boto3.client("cloudformation").describe_stacks()
        """,
    )
    cfn = "arn:aws:cloudformation:us-east-1:123456789012:"
    # Named: the stack (its id AWS appends is widened, reported); not named: every stack, '*'.
    assert resources(got, "cloudformation:DescribeStacks") == {cfn + "stack/orders/*", "*"}
    assert any("Id" in w.reason and w.resource == cfn + "stack/orders/*" for w in result.widenings)
