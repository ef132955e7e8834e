"""Deployment readers: SAM/CloudFormation intrinsics, platform permissions, the declared policy,
per-function output, and bad templates with located errors."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import cfnlint.api
import hcl2
import pytest
import yaml
from click.testing import CliRunner
from parliament import analyze_policy_string

from golden import PROJECTS, ROOT
from policygen.cli import main
from policygen.deploy import cloudformation
from policygen.deploy.cfn_yaml import load_template
from policygen.deploy.intrinsics import Context, resolve
from policygen.errors import DeploymentError
from policygen.model import Target
from policygen.options import DeployOptions, Options
from policygen.project import generate_project

TARGET = Target("aws", "us-east-1", "123456789012")
SAM = ROOT / "examples" / "sam-orders"


def ctx(resources=None, parameters=None, overrides=None, stack="shop"):
    return Context(
        resources or {},
        parameters or {},
        overrides or {},
        {"M": {"k": {"v": "mapped"}}},
        TARGET,
        stack,
        "t.yaml",
    )


RESOURCES = {
    "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "orders"}},
    "Anon": {"Type": "AWS::DynamoDB::Table"},
    "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "jobs"}},
    "Topic": {"Type": "AWS::SNS::Topic"},
    "Bucket": {"Type": "AWS::S3::Bucket"},
}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"Ref": "Table"}, ["orders"]),
        ({"Ref": "Anon"}, ["shop-Anon-*"]),
        ({"Ref": "Bucket"}, ["shop-bucket-*"]),
        ({"Ref": "Queue"}, ["https://sqs.us-east-1.amazonaws.com/123456789012/jobs"]),
        ({"Ref": "Topic"}, ["arn:aws:sns:us-east-1:123456789012:shop-Topic-*"]),
        ({"Fn::GetAtt": ["Table", "Arn"]}, ["arn:aws:dynamodb:us-east-1:123456789012:table/orders"]),
        ({"Fn::GetAtt": "Queue.Arn"}, ["arn:aws:sqs:us-east-1:123456789012:jobs"]),
        ({"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/in/*"}, ["arn:aws:s3:::shop-bucket-*/in/*"]),
        ({"Fn::Sub": ["${X}-${Stage}", {"X": "a"}]}, ["a-dev"]),
        ({"Fn::Join": ["-", ["a", {"Ref": "Stage"}]]}, ["a-dev"]),
        ({"Fn::If": ["C", "one", "two"]}, ["one", "two"]),
        ({"Fn::Select": [1, ["a", "b"]]}, ["b"]),
        ({"Fn::FindInMap": ["M", "k", "v"]}, ["mapped"]),
        ({"Ref": "AWS::StackName"}, ["shop"]),
    ],
)
def test_intrinsics(value, expected):
    params = {"Stage": {"Type": "String", "Default": "dev"}}
    assert [t.pattern() for t in resolve(value, ctx(RESOURCES, params))] == expected


def test_parameter_override_and_missing_parameter():
    params = {"Env": {"Type": "String"}}
    assert resolve({"Ref": "Env"}, ctx(RESOURCES, params, {"Env": "prod"}))[0].known == "prod"
    [missing] = resolve({"Ref": "Env"}, ctx(RESOURCES, params))
    assert "give --parameter-overrides Env=..." in missing.holes[0].reason


def test_ref_to_nothing_names_it():
    with pytest.raises(DeploymentError, match="Ref to Nope, which is neither a parameter nor a resource"):
        resolve({"Ref": "Nope"}, ctx(RESOURCES))


def test_circular_reference_is_detected():
    resources = {
        "A": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": {"Ref": "B"}}},
        "B": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": {"Ref": "A"}}},
    }
    with pytest.raises(DeploymentError, match="circular reference: A -> B -> A"):
        resolve({"Ref": "A"}, ctx(resources))


def write(tmp_path: Path, template: str, code: str = "def handler(e, c):\n    return 1\n") -> Path:
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "src" / "app.py").write_text(code)
    (tmp_path / "template.yaml").write_text(textwrap.dedent(template))
    return tmp_path


FUNCTION = """
    Resources:
      Fn:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: {code}
          Handler: app.handler
          Runtime: python3.12
"""


def test_invalid_yaml_names_file_and_line(tmp_path):
    write(tmp_path, "Resources:\n  Fn: [unclosed\n")
    with pytest.raises(DeploymentError, match=r"template.yaml:\d+: invalid YAML"):
        generate_project(tmp_path, Options(target=TARGET))


def test_missing_code_folder(tmp_path):
    write(tmp_path, FUNCTION.format(code="missing"))
    result = CliRunner().invoke(main, ["generate", str(tmp_path), "--no-cache"])
    assert result.exit_code == 2
    assert "template.yaml:6: Fn's code folder missing does not exist" in result.stderr


def test_code_folder_outside_the_project(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    write(project, FUNCTION.format(code="../.."))
    result = generate_project(project, Options(target=TARGET))
    assert result is not None and not result.functions
    [failure] = result.failures
    assert failure.spec.name == "Fn"
    assert "is outside the project" in failure.message


def test_billion_laughs_is_refused(tmp_path):
    lines = ['a0: &a0 ["lol"]']
    for i in range(1, 12):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    (tmp_path / "template.yaml").write_text("\n".join(lines) + "\nResources: {}\n")
    with pytest.raises(DeploymentError, match="more than 100 YAML aliases"):
        load_template(tmp_path / "template.yaml")


def test_no_python_objects_from_yaml(tmp_path):
    (tmp_path / "template.yaml").write_text("Resources: !!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(DeploymentError, match="could not determine a constructor"):
        load_template(tmp_path / "template.yaml")


def test_short_form_tags_become_long_form(tmp_path):
    (tmp_path / "template.yaml").write_text(
        "Resources:\n  X:\n    Type: T\n    Properties:\n      A: !GetAtt Y.Arn\n      B: !Sub '${Z}'\n      C: !Ref W\n"
    )
    props = load_template(tmp_path / "template.yaml")["Resources"]["X"]["Properties"]
    assert props == {"A": {"Fn::GetAtt": ["Y", "Arn"]}, "B": {"Fn::Sub": "${Z}"}, "C": {"Ref": "W"}}


def sam_project():
    options = DeployOptions(
        stack_name="orders", parameter_overrides={"ReportsBucketName": "acme-order-reports"}
    )
    return generate_project(SAM, Options(target=TARGET, deploy=options, cache_dir=None))


def test_sam_functions_are_scoped_with_template_names():
    project = sam_project()
    assert [f.spec.name for f in project.functions] == ["ApiFunction", "WorkerFunction", "ReporterFunction"]
    api = {(p.action, p.resource) for p in project.functions[0].result.permissions}
    assert ("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:123456789012:table/orders-prod") in api
    assert ("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:orders-EventsQueue-*") in api


def test_platform_permissions_carry_template_evidence():
    worker = sam_project().functions[1].result
    by_action = {p.action: p for p in worker.permissions}
    assert (
        by_action["sqs:ReceiveMessage"].resource == "arn:aws:sqs:us-east-1:123456789012:orders-EventsQueue-*"
    )
    assert by_action["sqs:ReceiveMessage"].evidence[0].source == "template.yaml:77"
    assert (
        by_action["dynamodb:GetRecords"].resource
        == "arn:aws:dynamodb:us-east-1:123456789012:table/orders-prod/stream/*"
    )
    assert by_action["dynamodb:ListStreams"].resource == "*"
    assert by_action["sqs:SendMessage"].resource == "arn:aws:sqs:us-east-1:123456789012:orders-failed-prod"
    assert {"xray:PutTraceSegments", "logs:CreateLogStream"} <= set(by_action)


def test_sam_policy_templates_are_expanded_from_aws_sam_translator():
    spec = sam_project().functions[0].spec
    actions = {a for s in spec.deployed.statements for a in s.actions}
    assert {"dynamodb:GetItem", "dynamodb:PutItem", "sqs:SendMessage*"} <= actions
    resources = {r for s in spec.deployed.statements for r in s.resources}
    assert "arn:aws:dynamodb:us-east-1:123456789012:table/orders-prod" in resources


def test_one_function_and_output_directory(tmp_path):
    args = [
        "generate",
        str(SAM),
        "--no-cache",
        "--stack-name",
        "orders",
        "--parameter-overrides",
        "ReportsBucketName=b",
    ]
    one = CliRunner().invoke(main, [*args, "--function", "ApiFunction"])
    assert one.exit_code == 0, one.output
    assert json.loads(one.stdout)["Statement"]
    out = tmp_path / "policies"
    out.mkdir()
    many = CliRunner().invoke(main, [*args, "-o", str(out), "--format", "terraform"])
    assert many.exit_code == 0, many.output
    assert sorted(p.name for p in out.iterdir()) == [
        "ApiFunction.tf",
        "ReporterFunction.tf",
        "WorkerFunction.tf",
    ]
    unknown = CliRunner().invoke(main, [*args, "--function", "Nope"])
    assert unknown.exit_code == 2
    assert (
        "declares no such function (it has ApiFunction, WorkerFunction, ReporterFunction)" in unknown.stderr
    )


@pytest.mark.parametrize("example", PROJECTS, ids=lambda p: p.name)
def test_project_outputs_are_valid(example):
    expected = example / "expected"
    documents = json.loads((expected / "policy.json").read_text())
    documents = {example.name: documents} if "Statement" in documents else documents
    for name, document in documents.items():
        assert [f.issue for f in analyze_policy_string(json.dumps(document)).findings] == [], name
    assert hcl2.loads((expected / "policy.tf").read_text())["data"]
    if (example / "template.yaml").exists():
        template = yaml.safe_load((example / "template.yaml").read_text().replace("!", "_tag_"))
        assert template  # the example's own template parses
        snippet = yaml.safe_load((expected / "cloudformation.yaml").read_text())["Resources"]
        merged = (example / "template.yaml").read_text() + textwrap.indent(
            yaml.safe_dump(snippet, sort_keys=False), "  "
        )
        matches = cfnlint.api.lint(merged, config=cfnlint.api.ManualArgs(regions=["us-east-1"]))
        assert [f"{m.rule.id}: {m.message}" for m in matches if m.rule.severity == "error"] == []


def test_find_template_prefers_template_yaml(tmp_path):
    (tmp_path / "template.yml").write_text("Resources: {}\n")
    assert cloudformation.find_template(tmp_path).name == "template.yml"


def test_references_replace_whole_segments_of_the_right_service():
    from policygen.model import IacReference
    from policygen.render.references import cloudformation_value, split

    refs = [
        IacReference("orders", "Orders", "s3"),
        IacReference("shared", "aws_iam_role.shared.name", "iam"),
        IacReference("shared", "aws_lambda_function.shared.function_name", "lambda"),
    ]
    assert split("arn:aws:s3:::orders-archive/orders/x", refs)[1:] == ["orders-archive/", refs[0], "/x"]
    assert split("arn:aws:logs:us-east-1:1:log-group:/aws/lambda/shared:*", refs)[2] is refs[2]
    value = cloudformation_value("arn:aws:s3:::orders/${literal}", refs, TARGET)
    assert value == {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Orders}/${!literal}"}


def test_sam_cloudformation_output_refers_to_the_template():
    text = (SAM / "expected" / "cloudformation.yaml").read_text()
    assert "table/${OrdersTable}" in text
    assert "${EventsQueue.QueueName}" in text  # exact, where the JSON policy has orders-EventsQueue-*
    assert "log-group:/aws/lambda/${ApiFunction}:*" in text
    assert "s3:::${ReportsBucketName}/incoming/*.json" in text
    tf = (ROOT / "examples" / "tf-thumbnails" / "expected" / "policy.tf").read_text()
    assert "arn:aws:s3:::${aws_s3_bucket.images.bucket}/thumbnails/*" in tf
    assert "/aws/lambda/${aws_lambda_function.thumbnailer.function_name}:*" in tf


def test_terraform_declared_policy_is_read_and_compared():
    project = generate_project(ROOT / "examples" / "tf-thumbnails", Options(target=TARGET, deploy=DeployOptions(variables={"stage": "prod"}), cache_dir=None))
    [function] = project.functions
    declared = function.spec.deployed
    actions = {a for s in declared.statements for a in s.actions}
    assert {
        "s3:*",
        "sqs:ReceiveMessage",
        "dynamodb:Query",
    } <= actions  # jsonencode, policy document, attachment
    resources = {r for s in declared.statements for r in s.resources}
    assert "arn:aws:s3:::thumbs-prod-images/*" in resources
    # The attached AWS managed policy is expanded in the comparison, not just named.
    assert function.spec.managed_policies == ("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",)
    from policygen.compare import compare

    comparison = compare(function.spec, function.result)
    assert set(comparison.unused_actions) == {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"}
    assert comparison.wildcard_actions == ("s3:*",)


def test_terraform_var_file(tmp_path):
    var_file = tmp_path / "qa.tfvars"
    var_file.write_text('stage = "qa"\n')
    result = CliRunner().invoke(
        main,
        ["generate", str(ROOT / "examples" / "tf-thumbnails"), "--var-file", str(var_file), "--no-cache"],
    )
    assert result.exit_code == 0, result.output
    assert "arn:aws:s3:::thumbs-qa-images/thumbnails/*" in result.stdout
