"""Real projects as they are laid out: any file name is a module, handlers in slash form, tests and
local runners next to the handler, build and virtualenv folders, one broken function among good
ones, ``-o DIR`` whatever the number of functions, validated ``--region``/``--account``."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from policygen.cli import main
from policygen.discover import discover, normalize_handler
from policygen.errors import UsageError
from policygen.model import Target
from policygen.options import Options
from policygen.pipeline import generate
from policygen.project import generate_project
from policygen.regions import check_target

TARGET = Target("aws", "us-east-1", "123456789012")
ARN_ARGS = ("--region", "us-east-1", "--account", "123456789012")

# A handler that makes its own client, as most do.
HANDLER = """\
import os
import boto3


def lambda_handler(event, context):
    s3 = boto3.client("s3")
    return s3.get_object(Bucket=os.environ["BUCKET"], Key=event["key"])
"""
OBJECTS = "arn:aws:s3:::uploads/*"


def cli(*args: str):
    return CliRunner().invoke(main, ["generate", *args, "--no-cache"])


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def granted(result) -> set[tuple[str, str]]:
    return {(s["Action"][0], r) for s in json.loads(result.stdout)["Statement"] for r in s["Resource"]}


# --- every .py file is a module; both handler forms --------------------------------------------


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("src/api/orders.lambda_handler", "src.api.orders.lambda_handler"),
        ("src.api.orders.lambda_handler", "src.api.orders.lambda_handler"),
        ("./app.handler", "app.handler"),
        (" send-email.lambda_handler ", "send-email.lambda_handler"),
        ("handler", "handler"),
    ],
)
def test_normalize_handler(setting, expected):
    assert normalize_handler(setting) == expected


def test_hyphenated_file_is_a_module_and_can_be_the_handler(tmp_path):
    write(tmp_path, {"send-email.py": HANDLER.replace("s3", "s3"), "resize-image-function.py": "x = 1\n"})
    found = discover(tmp_path)
    assert [(s.path, s.module) for s in found.sources] == [
        ("resize-image-function.py", "resize-image-function"),
        ("send-email.py", "send-email"),
    ]
    result = generate(tmp_path, Options(environment={"BUCKET": "uploads"}, target=TARGET))
    assert result.analysis.handler == "send-email.lambda_handler"
    assert {(p.action, p.resource) for p in result.permissions} == {("s3:GetObject", OBJECTS)}
    cli_result = cli(str(tmp_path), "--handler", "send-email.lambda_handler", "--env", "BUCKET=uploads")
    assert cli_result.exit_code == 0, cli_result.output
    assert granted(cli_result) == {("s3:GetObject", OBJECTS)}


def test_a_dotted_file_name_is_reported_not_imported(tmp_path):
    write(tmp_path, {"app.py": HANDLER, "app.old.py": HANDLER})
    found = discover(tmp_path)
    assert [s.path for s in found.sources] == ["app.py"]
    assert [(e.path, e.reason) for e in found.excluded] == [
        ("app.old.py", "not importable: a dot in the module name")
    ]


@pytest.mark.parametrize("form", ["src/api/orders.lambda_handler", "src.api.orders.lambda_handler"])
def test_slash_and_dotted_handlers(tmp_path, form):
    write(tmp_path, {"src/api/orders.py": HANDLER, "src/api/admin.py": HANDLER})
    result = cli(str(tmp_path), "--handler", form, "--env", "BUCKET=uploads")
    assert result.exit_code == 0, result.output
    assert granted(result) == {("s3:GetObject", OBJECTS)}
    library = generate(tmp_path, Options(handler=form, environment={"BUCKET": "uploads"}))
    assert library.analysis.handler == "src.api.orders.lambda_handler"


# --- reachability starts at the deployed handler ---------------------------------------------


RUNNER = """\
from app import lambda_handler

if __name__ == "__main__":
    print(lambda_handler({"key": "local.json"}, None))
"""
SCRIPT = """\
import app

app.lambda_handler({"key": "smoke.json"}, None)
"""
TEST = """\
import app


def test_handler():
    assert app.lambda_handler({"key": "k"}, None)
"""


@pytest.mark.parametrize(
    "caller",
    [{"run_local.py": RUNNER}, {"smoke.py": SCRIPT}, {"test_app.py": TEST}, {"tests/test_app.py": TEST}],
)
def test_other_callers_of_the_handler_do_not_empty_its_policy(tmp_path, caller):
    write(tmp_path, {"app.py": HANDLER, **caller})
    result = cli(str(tmp_path), "--env", "BUCKET=uploads", "--strict", *ARN_ARGS)
    assert result.exit_code == 0, result.output
    # The event's key comes from Lambda whatever a local caller passes: the whole prefix, not
    # only the runner's own key.
    assert granted(result) == {("s3:GetObject", OBJECTS)}


def test_the_handler_is_not_listed_as_unreachable_because_a_runner_calls_it(tmp_path):
    write(tmp_path, {"app.py": HANDLER, "smoke.py": SCRIPT})
    result = generate(tmp_path, Options(environment={"BUCKET": "uploads"}))
    assert result.unreachable == ()
    assert result.analysis.empty_policy is None


def test_empty_policy_for_code_that_calls_aws_is_a_defect(tmp_path):
    write(
        tmp_path,
        {
            "app.py": "def lambda_handler(event, context):\n    return {}\n",
            "tools.py": "import boto3\n\ndef purge():\n    boto3.client('sqs').purge_queue(QueueUrl='q')\n",
        },
    )
    result = generate(tmp_path)
    assert result.policy.statements == ()
    assert result.analysis.empty_policy is not None
    assert (
        "none of the code's 1 AWS call(s) (first sqs.purge_queue at tools.py:4:5)"
        in result.analysis.empty_policy
    )
    assert [u.location.path for u in result.unresolved] == ["app.py"]
    plain = cli(str(tmp_path))
    assert plain.exit_code == 0
    assert "policygen: warning: none of the code's 1 AWS call(s)" in plain.stderr
    strict = cli(str(tmp_path), "--strict")
    assert strict.exit_code == 1
    assert "is reachable from the handler app.lambda_handler: the policy is empty" in strict.stderr
    assert strict.stdout == ""


def test_calls_that_map_to_nothing_are_a_defect_too(tmp_path):
    write(tmp_path, {"app.py": "import boto3\n\ndef handler(e, c):\n    boto3.client('s3').no_such_op()\n"})
    result = generate(tmp_path)
    assert result.analysis.empty_policy is not None
    assert "none maps to a permission" in result.analysis.empty_policy
    assert cli(str(tmp_path), "--strict").exit_code == 1


def test_code_without_aws_calls_is_not_a_defect(tmp_path):
    write(tmp_path, {"app.py": "def handler(e, c):\n    return 1\n"})
    result = generate(tmp_path)
    assert result.analysis.empty_policy is None
    assert cli(str(tmp_path), "--strict").exit_code == 0


# --- tests, tools and build output are not the function's code --------------------------------

BYSTANDER = "import boto3\nboto3.client('ec2').terminate_instances(InstanceIds=['i-1'])\n"


def test_tests_build_and_virtualenv_folders_are_left_out_and_listed(tmp_path):
    write(
        tmp_path,
        {
            "app.py": HANDLER,
            "conftest.py": BYSTANDER,
            "setup.py": BYSTANDER,
            "orders_test.py": BYSTANDER,
            "tests/test_app.py": BYSTANDER,
            "pkg/test/helpers.py": BYSTANDER,
            ".aws-sam/build/Fn/app.py": BYSTANDER,
            ".serverless/app.py": BYSTANDER,
            "node_modules/x/gen.py": BYSTANDER,
            ".venv/lib/site.py": BYSTANDER,
            "env/pyvenv.cfg": "home = /usr\n",
            "env/lib/site.py": BYSTANDER,
            "build/lib/app.py": BYSTANDER,
            "cdk.out/asset/app.py": BYSTANDER,
            ".terraform/modules/m.py": BYSTANDER,
            "__pycache__/app.py": BYSTANDER,
        },
    )
    result = generate(tmp_path, Options(environment={"BUCKET": "uploads"}, target=TARGET))
    assert result.analysis.files == 1
    assert result.unreachable == ()  # the bystanders were never read
    assert {(p.action, p.resource) for p in result.permissions} == {("s3:GetObject", OBJECTS)}
    assert [(e.path, e.reason) for e in result.analysis.excluded] == [
        (".aws-sam/", "SAM build output"),
        (".serverless/", "Serverless Framework build output"),
        (".terraform/", "Terraform working folder"),
        (".venv/", "virtualenv"),
        ("build/", "build output"),
        ("cdk.out/", "CDK build output"),
        ("env/", "virtualenv"),
        ("node_modules/", "Node.js packages"),
        ("tests/", "tests"),
        ("conftest.py", "tests"),
        ("orders_test.py", "tests"),
        ("setup.py", "packaging script"),
        ("pkg/test/", "tests"),
    ]
    report = json.loads(cli(str(tmp_path), "--env", "BUCKET=uploads", "--format", "json-report").stdout)
    assert {"path": "tests/", "reason": "tests"} in report["excluded"]
    explained = cli(str(tmp_path), "--env", "BUCKET=uploads", "--explain").stderr
    assert "Left out of the analysis: 13 file(s) and folder(s): .aws-sam/ (SAM build output)" in explained
    assert "and 3 more (see --format json-report)" in explained


def test_a_folder_named_env_that_is_not_a_virtualenv_is_code(tmp_path):
    write(
        tmp_path,
        {"app.py": "from env.settings import BUCKET\n" + HANDLER, "env/settings.py": "BUCKET = 'b'\n"},
    )
    assert [s.path for s in discover(tmp_path).sources] == ["app.py", "env/settings.py"]


def test_a_handler_in_a_test_named_file_is_analysed(tmp_path):
    write(tmp_path, {"test_lambda.py": HANDLER, "helpers.py": "x = 1\n"})
    result = generate(tmp_path, Options(handler="test_lambda.lambda_handler", environment={"BUCKET": "uploads"}))
    assert result.analysis.handler == "test_lambda.lambda_handler"
    assert {p.action for p in result.permissions} == {"s3:GetObject"}
    assert result.analysis.excluded == ()


def test_a_folder_of_only_test_named_files_is_analysed(tmp_path):
    write(tmp_path, {"test_function.py": HANDLER})
    result = generate(tmp_path, Options(environment={"BUCKET": "uploads"}))
    assert result.analysis.handler == "test_function.lambda_handler"


# --- unreadable files ------------------------------------------------------------------------


def test_an_unreadable_file_is_an_error_naming_it(tmp_path, monkeypatch):
    write(tmp_path, {"app.py": HANDLER, "secret.py": "import boto3\n"})
    real = Path.read_bytes

    def read_bytes(self):
        if self.name == "secret.py":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    result = generate(tmp_path, Options(environment={"BUCKET": "uploads"}))
    assert [str(e) for e in result.analysis.errors] == [
        "secret.py:1: cannot be read (Permission denied); fix its permissions or remove it"
    ]
    out = cli(str(tmp_path), "--env", "BUCKET=uploads")
    assert out.exit_code == 2
    assert "secret.py:1: cannot be read (Permission denied)" in out.stderr


# --- large files --------------------------------------------------------------------------------

GENERATED = """\
# Generated by the protocol buffer compiler.  DO NOT EDIT!
from google.protobuf import descriptor as _descriptor
from google.protobuf.internal import builder as _builder
from . import (
    common_pb2 as common,
)

DESCRIPTOR = _descriptor.FileDescriptor(name="orders.proto")
_ORDER = _descriptor.Descriptor(
    name="Order",
    fields=[],
)


class Order(object):
    def total(self):
        return boto_free_helper(self)


def boto_free_helper(order):
    return 0
"""


@pytest.fixture
def small_limits(monkeypatch):
    from policygen.extract import lower

    monkeypatch.setattr(lower, "FULL_ANALYSIS_BYTES", 300)
    monkeypatch.setattr(lower, "MAX_SOURCE_BYTES", 5_000)


def test_a_large_module_is_read_for_its_names(tmp_path, small_limits):
    generated = GENERATED.replace("boto_free_helper", "pad_helper")  # no AWS name in it
    write(
        tmp_path,
        {
            "orders_pb2.py": generated,
            "app.py": "import boto3\nfrom orders_pb2 import DESCRIPTOR, Order\n\n"
            "def lambda_handler(event, context):\n"
            "    boto3.client('s3').put_object(Bucket='acme', Key='o', Body=DESCRIPTOR.name)\n",
        },
    )
    result = generate(tmp_path, Options(jobs=1))
    assert not result.analysis.errors and not result.unresolved
    assert {(p.action, p.resource) for p in result.permissions} == {("s3:PutObject", "arn:aws:s3:::acme/o")}
    [note] = [e for e in result.analysis.excluded if e.path == "orders_pb2.py"]
    assert note.reason.startswith(f"{len(generated):,} bytes, over the 300-byte limit of full analysis")


def test_a_large_module_that_names_aws_is_unresolved(tmp_path, small_limits):
    write(tmp_path, {"big.py": GENERATED + "import boto3\n", "app.py": HANDLER})
    result = generate(tmp_path, Options(environment={"BUCKET": "uploads"}, jobs=1))
    [item] = [u for u in result.unresolved if u.location.path == "big.py"]
    assert "it names boto3, botocore or an AWS library" in item.reason
    assert cli(str(tmp_path), "--env", "BUCKET=uploads", "--strict", "--jobs", "1").exit_code == 1


def test_a_module_over_the_per_file_limit_is_an_error_naming_file_and_limit(tmp_path, small_limits):
    write(tmp_path, {"huge.py": "x = 1\n" * 1_000, "app.py": HANDLER})
    result = generate(tmp_path, Options(environment={"BUCKET": "uploads"}, jobs=1))
    assert [str(e) for e in result.analysis.errors] == [
        "huge.py:1: file is 6,000 bytes, over policygen's 5,000-byte per-file limit; skipped "
        "(its names and calls are unknown to the analysis)"
    ]


# --- --region and --account -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--region", "us-est-1"), "--region us-est-1: not a region of partition aws; did you mean"),
        (("--region", "eu-west-9"), "--region eu-west-9: not a region of partition aws; did you mean"),
        (
            ("--region", "cn-north-1"),
            "--region cn-north-1: a region of partition aws-cn, not aws; add --partition aws-cn",
        ),
        (
            ("--account", "12345678901"),
            "--account 12345678901: expected a 12-digit AWS account id (11 characters)",
        ),
        (
            ("--account", "my-account"),
            "--account my-account: expected a 12-digit AWS account id, or * for any",
        ),
        (("--partition", "aws-us-gvo"), "--partition aws-us-gvo: unknown partition; did you mean aws-us-gov"),
    ],
)
def test_region_account_and_partition_are_validated(tmp_path, args, message):
    write(tmp_path, {"app.py": HANDLER})
    result = cli(str(tmp_path), *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_known_targets_pass():
    assert check_target("aws-cn", "cn-north-1", "123456789012") == Target(
        "aws-cn", "cn-north-1", "123456789012"
    )
    assert check_target("aws", "*", "*") == Target()
    with pytest.raises(UsageError, match=r"did you mean .*us-east-1\?"):
        check_target("aws", "us-east-l", "*")


# --- one function's problem is that function's problem -----------------------------------------

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Uploads:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: uploads
  GoodFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: good/
      Handler: src/app.lambda_handler
      Runtime: python3.12
      Environment:
        Variables:
          BUCKET: !Ref Uploads
  BadHandlerFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: good/
      Handler: src/nowhere.lambda_handler
      Runtime: python3.12
  MissingCodeFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: missing/
      Handler: app.lambda_handler
      Runtime: python3.12
"""


def broken_project(root: Path) -> Path:
    return write(root, {"template.yaml": TEMPLATE, "good/src/app.py": HANDLER})


def test_a_broken_function_does_not_stop_the_others(tmp_path):
    project = generate_project(broken_project(tmp_path), Options(target=TARGET, cache_dir=None))
    assert project is not None
    assert [f.spec.name for f in project.functions] == ["GoodFunction"]
    assert project.functions[0].spec.handler == "src.app.lambda_handler"
    failures = {f.spec.name: f.message for f in project.failures}
    assert failures.keys() == {"BadHandlerFunction", "MissingCodeFunction"}
    assert "no module src.nowhere" in failures["BadHandlerFunction"]
    assert failures["BadHandlerFunction"].startswith("template.yaml:")
    assert "MissingCodeFunction's code folder missing" in failures["MissingCodeFunction"]


def test_a_broken_function_through_the_cli(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    result = cli(str(broken_project(tmp_path / "p")), *ARN_ARGS, "-o", str(out))
    assert result.exit_code == 2
    assert sorted(p.name for p in out.iterdir()) == ["GoodFunction.json"]
    policy = json.loads((out / "GoodFunction.json").read_text())
    assert "arn:aws:s3:::uploads/*" in {r for s in policy["Statement"] for r in s["Resource"]}
    assert "policygen: error: BadHandlerFunction: no policy: template.yaml:" in result.stderr
    assert "policygen: error: MissingCodeFunction: no policy:" in result.stderr
    assert "1 of 3 functions got their policy; 2 did not" in result.stderr
    report = json.loads(cli(str(tmp_path / "p"), *ARN_ARGS, "--format", "json-report").stdout)
    assert list(report["functions"]) == ["GoodFunction"]
    assert [f["function"] for f in report["failures"]] == ["BadHandlerFunction", "MissingCodeFunction"]


def test_strict_findings_in_one_function_exit_1_and_the_others_are_written(tmp_path):
    write(
        tmp_path,
        {
            "template.yaml": TEMPLATE.split("  BadHandlerFunction:")[0]
            + "  LooseFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n"
            "      CodeUri: loose/\n      Handler: app.lambda_handler\n      Runtime: python3.12\n",
            "good/src/app.py": HANDLER,
            "loose/app.py": "import boto3\n\ndef lambda_handler(e, c):\n    boto3.client('s3').no_such_op()\n",
        },
    )
    result = cli(str(tmp_path), *ARN_ARGS, "--strict")
    assert result.exit_code == 1
    assert "policygen: LooseFunction: no policy: template.yaml:" in result.stderr
    assert "GoodFunction" not in result.stderr.split("no policy")[0]
    policies = json.loads(result.stdout)
    assert list(policies) == ["GoodFunction"]  # still keyed by function: the project has two
    assert policies["GoodFunction"]["Statement"]


def test_output_folder_with_one_function_or_plain_code(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    code = write(tmp_path / "code", {"app.py": HANDLER})
    result = cli(str(code), "--env", "BUCKET=uploads", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert [p.name for p in out.iterdir()] == ["code.json"]
    project = write(
        tmp_path / "one",
        {"template.yaml": TEMPLATE.split("  BadHandlerFunction:")[0], "good/src/app.py": HANDLER},
    )
    result = cli(str(project), "-o", str(out), "--format", "terraform")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["GoodFunction.tf", "code.json"]


def test_handler_with_a_project_keeps_the_template(tmp_path):
    project = broken_project(tmp_path)
    write(project, {"good/src/other.py": HANDLER.replace("s3.get_object", "s3.put_object")})
    # --function F --handler H: H replaces F's handler; the template still names the bucket.
    result = cli(
        str(project),
        *ARN_ARGS,
        "--function",
        "BadHandlerFunction",
        "--handler",
        "src/other.lambda_handler",
        "--env",
        "BUCKET=uploads",
    )
    assert result.exit_code == 0, result.output
    assert ("s3:PutObject", OBJECTS) in granted(result)
    assert any(a.startswith("logs:") for a, _ in granted(result)), "the platform permissions are still there"
    # Several functions and no --function: which one is meant must be said.
    ambiguous = cli(str(project), "--handler", "src/other.lambda_handler")
    assert ambiguous.exit_code == 2
    assert (
        "declares 3 functions (GoodFunction, BadHandlerFunction, MissingCodeFunction); say whose"
        in ambiguous.stderr
    )
    # --code-only is how to ignore the template.
    plain = cli(
        str(project / "good"),
        "--code-only",
        "--handler",
        "src.other.lambda_handler",
        "--env",
        "BUCKET=uploads",
    )
    assert plain.exit_code == 0, plain.output


def test_multi_function_terraform_attaches_each_policy_to_its_own_role(tmp_path):
    write(
        tmp_path,
        {
            "template.yaml": TEMPLATE.split("  BadHandlerFunction:")[0]
            + "  OtherFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n"
            "      CodeUri: good/\n      Handler: src/app.lambda_handler\n      Runtime: python3.12\n",
            "good/src/app.py": HANDLER,
        },
    )
    for fmt in ("terraform", "terraform-json"):
        result = cli(str(tmp_path), *ARN_ARGS, "--format", fmt)
        assert result.exit_code == 0, result.output
        roles = [
            line.split("=")[1].strip()
            for line in result.stdout.splitlines()
            if line.strip().startswith("role ")
        ]
        assert roles == ["var.GoodFunction_role_name", "var.OtherFunction_role_name"]
        assert result.stdout.count('variable "GoodFunction_role_name"') == 1
        assert "policygen_role_name" not in result.stdout
    refused = cli(str(tmp_path), "--format", "terraform", "--role", "aws_iam_role.shared.name")
    assert refused.exit_code == 2
    assert "--role aws_iam_role.shared.name: names one role" in refused.stderr


def test_the_sam_shop_layout_example():
    """examples/sam-shop-layout: slash-form and hyphenated handlers, CodeUri: . with tests/,
    scripts/ and .aws-sam/ beside the code (its goldens are checked by test_examples)."""
    from golden import ROOT

    project = generate_project(ROOT / "examples" / "sam-shop-layout", Options(target=TARGET, cache_dir=None))
    assert project is not None and not project.failures
    orders, notify = project.functions
    assert (orders.spec.handler, notify.spec.handler) == (
        "src.api.orders.lambda_handler",
        "send-email.lambda_handler",
    )
    assert [e.path for e in orders.result.analysis.excluded] == [".aws-sam/", "tests/"]
    assert {p.action for p in orders.result.permissions if not p.action.startswith("logs:")} == {
        "dynamodb:PutItem",
        "sns:Publish",
    }
    assert "ses:SendEmail" in {p.action for p in notify.result.permissions}
