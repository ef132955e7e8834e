"""Terraform projects: local and registry modules, count/for_each, the ways code is packaged, and
what is reported when a function cannot be read. The bundled examples (tf-*) carry the goldens;
these tests pin the cases that read better as assertions."""

from __future__ import annotations

import textwrap
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from golden import ROOT
from policygen.cli import main
from policygen.deploy import bundle
from policygen.deploy import terraform as tf
from policygen.deploy.terraform import hcl
from policygen.errors import DeploymentError
from policygen.evidence.deployment import for_spec
from policygen.model import Target
from policygen.options import DeployOptions, Options
from policygen.project import generate_project

TARGET = Target("aws", "us-east-1", "123456789012")
HANDLER = """
import os
import boto3

def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody="x")
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def specs(root: Path, **variables: str):
    return {s.name: s for s in tf.read(root, TARGET, variables)}


def run(*args: str):
    return CliRunner().invoke(
        main, ["generate", *args, "--region", "us-east-1", "--account", "123456789012", "--no-cache"]
    )


FUNCTION = """
data "archive_file" "{name}" {{
  type        = "zip"
  source_dir  = "${{path.module}}/{code}"
  output_path = "${{path.module}}/build/{name}.zip"
}}

resource "aws_lambda_function" "{name}" {{
  function_name = "{name}"
  role          = "arn:aws:iam::123456789012:role/r"
  handler       = "app.handler"
  runtime       = "python3.12"
  filename      = data.archive_file.{name}.output_path
  environment {{
    variables = {{ QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/{name}-q" }}
  }}
}}
"""


# no function -----------------------------------------------------------------------------------
def test_tf_without_functions_is_an_error_not_a_single_function(tmp_path):
    write(
        tmp_path,
        {
            "main.tf": 'resource "aws_s3_bucket" "b" {\n  bucket = "data"\n}\nmodule "vpc" {\n  source = "terraform-aws-modules/vpc/aws"\n}\n',
            "scripts/seed.py": "import boto3\nboto3.client('s3').list_buckets()\n",
            "tests/test_x.py": "def test_x():\n    pass\n",
        },
    )
    result = run(str(tmp_path))
    assert result.exit_code == 2
    assert "no Lambda function found" in result.stderr
    assert "1 resource(s) (aws_s3_bucket)" in result.stderr
    assert "module.vpc (terraform-aws-modules/vpc/aws" in result.stderr
    assert "--code-only" in result.stderr
    assert result.stdout == ""
    # The way out it names works.
    assert run(str(tmp_path), "--code-only").exit_code == 0


# local modules ---------------------------------------------------------------------------------
def test_local_module_example_binds_variables_outputs_and_nested_modules():
    found = specs(ROOT / "examples" / "tf-local-module", env="prod")
    audit = found["module.audit.module.function.aws_lambda_function.this"]
    api = found["module.orders_api.aws_lambda_function.this"]
    assert audit.code_dir == "functions/audit" and audit.handler == "audit.handler"
    env = {k: str(v[0]) for k, v in api.environment}
    # An output of a module (itself from a nested module) used by the caller.
    assert env["AUDIT_FUNCTION"] == "shop-prod-audit"
    assert env["TABLE_NAME"] == "shop-prod-orders"
    audit_env = {k: str(v[0]) for k, v in audit.environment}
    assert audit_env == {"AUDIT_BUCKET": "shop-prod-audit-log", "QUEUE_NAME": "shop-prod-audit"}  # merge()
    # The mapping sits in the calling module and names the function through an output.
    assert {p.action for p in for_spec(audit, TARGET).permissions} >= {"sqs:ReceiveMessage", "sqs:DeleteMessage"}
    # A policy the root attaches to the module's role, through the module's output.
    assert api.deployed is not None and api.role == "module.orders_api.role_name"
    assert any("dynamodb:*" in s.actions for s in api.deployed.statements)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("./modules/missing", "source ./modules/missing does not exist"),
        ("../outside", "is outside the project"),
    ],
)
def test_a_bad_module_source_is_that_module_s_problem_only(tmp_path, source, message):
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "main.tf").write_text("")
    project = tmp_path / "project"
    write(
        project,
        {
            "main.tf": FUNCTION.format(name="good", code="src")
            + f'\nmodule "broken" {{\n  source = "{source}"\n}}\n',
            "src/app.py": HANDLER,
        },
    )
    found = specs(project)
    assert found["aws_lambda_function.good"].error is None
    assert message in found["module.broken"].error and found["module.broken"].skipped is None
    result = run(str(project), "--format", "json-report")
    assert result.exit_code == 2, result.output  # a failure, as a SAM or Serverless function's
    assert "module.broken: no policy:" in result.stderr
    assert "sqs:SendMessage" in result.stdout


# count / for_each -------------------------------------------------------------------------------
def test_count_and_for_each_make_one_function_each():
    found = specs(ROOT / "examples" / "tf-instances", env="prod")
    assert sorted(found) == [
        "aws_lambda_function.compactor[0]",
        "aws_lambda_function.compactor[1]",
        'aws_lambda_function.meter["acme"]',
        'aws_lambda_function.meter["globex"]',
    ]
    acme = found['aws_lambda_function.meter["acme"]']
    assert dict((k, str(v[0])) for k, v in acme.environment)["PLAN"] == "pro"
    pollers = {p.resource for p in for_spec(acme, TARGET).permissions if p.action == "sqs:ReceiveMessage"}
    assert pollers == {"arn:aws:sqs:us-east-1:123456789012:usage-acme-prod"}  # its own queue only
    assert acme.role == 'aws_iam_role.meter["acme"].name'
    assert found["aws_lambda_function.compactor[1]"].environment[0][1][0].known == "usage-prod-shard-1"
    # count comes from a variable: --var changes the instances.
    assert len([n for n in specs(ROOT / "examples" / "tf-instances", shards="3") if "compactor" in n]) == 3


def test_a_count_that_cannot_be_evaluated_says_which_variable(tmp_path):
    write(
        tmp_path,
        {
            "main.tf": 'variable "n" {}\n'
            + FUNCTION.format(name="fn", code="src").replace(
                'function_name = "fn"', 'count = var.n\n  function_name = "fn"'
            ),
            "src/app.py": HANDLER,
        },
    )
    [spec] = specs(tmp_path).values()
    assert spec.name == "aws_lambda_function.fn"
    assert "give --var n=..." in spec.error
    assert [s.name for s in tf.read(tmp_path, TARGET, {"n": "2"})] == [
        "aws_lambda_function.fn[0]",
        "aws_lambda_function.fn[1]",
    ]


# packages ---------------------------------------------------------------------------------------
def test_packages_example_reads_source_blocks_committed_zip_and_s3_objects():
    found = specs(ROOT / "examples" / "tf-packages", env="prod")
    heartbeat = found["aws_lambda_function.heartbeat"]
    assert heartbeat.bundle is not None
    assert [f.path for f in heartbeat.bundle.files] == ["index.py"]
    assert b'sns.publish(TopicArn=os.environ["ALERTS_TOPIC"]' in heartbeat.bundle.files[0].data
    rotate = found["aws_lambda_function.rotate"]
    assert [f.shown for f in rotate.bundle.files] == ["dist/rotate.zip!/rotate.py"]
    assert (
        found["aws_lambda_function.exporter"].code_dir == "exporter"
    )  # s3_key -> aws_s3_object -> archive_file
    assert "container image" in found["aws_lambda_function.renderer"].skipped
    assert found["aws_lambda_function.edge"].skipped.startswith("runtime nodejs20.x")


def test_committed_example_zip_is_what_its_script_builds(tmp_path):
    import importlib.util

    script = ROOT / "examples" / "tf-packages" / "make_rotate_zip.py"
    spec = importlib.util.spec_from_file_location("make_rotate_zip", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build(script.parent / "rotate-src", tmp_path / "rotate.zip")
    assert (tmp_path / "rotate.zip").read_bytes() == (script.parent / "dist" / "rotate.zip").read_bytes()


def make_zip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def test_committed_zip_is_analysed_with_locations_inside_the_archive(tmp_path):
    write(
        tmp_path,
        {
            "main.tf": """
            resource "aws_lambda_function" "fn" {
              function_name = "fn"
              role          = "arn:aws:iam::123456789012:role/r"
              handler       = "app.handler"
              runtime       = "python3.12"
              filename      = "lambda.zip"
              environment {
                variables = { QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/jobs" }
              }
            }
            """
        },
    )
    make_zip(tmp_path / "lambda.zip", {"app.py": textwrap.dedent(HANDLER).encode(), "README.txt": b"x"})
    result = run(str(tmp_path), "--format", "json-report")
    assert result.exit_code == 0, result.output
    assert '"source": "lambda.zip!/app.py:6:5"' in result.stdout
    assert "arn:aws:sqs:us-east-1:123456789012:jobs" in result.stdout


def test_zip_members_outside_the_package_are_left_out_and_named(tmp_path):
    archive = tmp_path / "lambda.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("app.py", b"x = 1\n")
        out.writestr("../evil.py", b"import os\n")
        out.writestr("/abs.py", b"import os\n")
        link = zipfile.ZipInfo("link.py")
        link.external_attr = 0o120777 << 16
        out.writestr(link, b"/etc/passwd")
    code, notes = bundle.read_zip(archive, "lambda.zip")
    assert [f.path for f in code.files] == ["app.py"]
    assert any("'../evil.py' is outside the package" in n for n in notes)
    assert any("'/abs.py' is outside the package" in n for n in notes)
    assert any("'link.py' is a symbolic link" in n for n in notes)
    assert not (tmp_path.parent / "evil.py").exists()


def test_zip_bounds_hold_whatever_the_headers_say(tmp_path, monkeypatch):
    archive = tmp_path / "big.zip"
    make_zip(archive, {"big.py": b"#" * 5000, "small.py": b"x = 1\n"})
    monkeypatch.setattr(bundle, "MAX_MODULE_BYTES", 1000)
    code, notes = bundle.read_zip(archive, "big.zip")
    assert [f.path for f in code.files] == ["small.py"]
    assert any("'big.py' is over 1000 bytes" in n for n in notes)
    monkeypatch.setattr(bundle, "MAX_MEMBERS", 1)
    with pytest.raises(DeploymentError, match=r"big\.zip: more than 1 members"):
        bundle.read_zip(archive, "big.zip")
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    with pytest.raises(DeploymentError, match=r"bad\.zip: not a zip archive"):
        bundle.read_zip(tmp_path / "bad.zip", "bad.zip")


def test_code_policygen_cannot_see_is_that_function_s_problem(tmp_path):
    write(
        tmp_path,
        {
            "main.tf": FUNCTION.format(name="good", code="src")
            + FUNCTION.format(name="gone", code="nowhere")
            + """
            resource "aws_lambda_function" "remote" {
              function_name = "remote"
              role          = "arn:aws:iam::123456789012:role/r"
              handler       = "app.handler"
              runtime       = "python3.12"
              s3_bucket     = "artifacts"
              s3_key        = "remote.zip"
            }
            resource "aws_lambda_function" "prebuilt" {
              function_name = "prebuilt"
              role          = "arn:aws:iam::123456789012:role/r"
              handler       = "app.handler"
              runtime       = "python3.12"
              filename      = "build/prebuilt.zip"
            }
            """,
            "src/app.py": HANDLER,
        },
    )
    found = specs(tmp_path)
    assert found["aws_lambda_function.good"].skipped is None
    # A folder or archive the configuration names and that is not there: the function's failure.
    assert "nowhere does not exist" in found["aws_lambda_function.gone"].error
    assert (
        "build/prebuilt.zip does not exist (built outside Terraform?"
        in found["aws_lambda_function.prebuilt"].error
    )
    # Code that is not in the repository at all: not analysed, not a failure.
    assert "in S3" in found["aws_lambda_function.remote"].skipped
    assert found["aws_lambda_function.remote"].error is None


@pytest.mark.parametrize(("second_code", "exit_code"), [("missing", 2), ("src", 0)])
def test_one_broken_function_fails_alone_and_the_good_one_gets_its_policy(tmp_path, second_code, exit_code):
    """A Terraform function whose code folder is missing is that function's failure (exit 2),
    reported with the file and line; the good function's policy is still written. With both
    folders present, both policies are written and the run succeeds."""
    write(
        tmp_path / "project",
        {
            "main.tf": FUNCTION.format(name="good", code="src") + FUNCTION.format(name="second", code=second_code),
            "src/app.py": HANDLER,
        },
    )
    out = tmp_path / "out"
    out.mkdir()
    result = run(str(tmp_path / "project"), "-o", str(out))
    assert result.exit_code == exit_code, result.output
    written = sorted(p.name for p in out.iterdir())
    assert all("sqs:SendMessage" in (out / name).read_text() for name in written)
    if exit_code:
        assert "error: aws_lambda_function.second: no policy: main.tf:" in result.stderr
        assert "./missing does not exist" in result.stderr
        assert "1 of 2 functions got their policy" in result.stderr
        assert len(written) == 1 and "good" in written[0]
    else:
        assert "no policy" not in result.stderr
        assert len(written) == 2


# the registry module ----------------------------------------------------------------------------
REGISTRY = """
module "fn" {{
  source        = "{source}"
  function_name = "reg"
  handler       = "app.handler"
  runtime       = "python3.12"
  {extra}
  environment_variables = {{ QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/reg-q" }}
}}
"""


@pytest.mark.parametrize(
    "source",
    [
        "terraform-aws-modules/lambda/aws",
        "registry.terraform.io/terraform-aws-modules/lambda/aws",
        "git::https://github.com/terraform-aws-modules/terraform-aws-lambda.git?ref=v7.2.1",
        "github.com/terraform-aws-modules/terraform-aws-lambda",
    ],
)
def test_registry_module_sources(tmp_path, source):
    write(
        tmp_path,
        {"main.tf": REGISTRY.format(source=source, extra='source_path = "src"'), "src/app.py": HANDLER},
    )
    [spec] = specs(tmp_path).values()
    assert spec.name == "module.fn" and spec.code_dir == "src" and spec.skipped is None
    # The module's default logs policy is what the role has today.
    assert spec.deployed.statements[0].actions == (
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    )


@pytest.mark.parametrize(
    ("extra", "files"),
    [
        ('source_path = ["src/app.py", "lib"]', ["app.py", "helpers.py"]),
        (
            'source_path = [{ path = "src" }, { path = "lib", prefix_in_zip = "vendor" }]',
            ["app.py", "vendor/helpers.py"],
        ),
        ('create_package = false\n  local_existing_package = "pkg.zip"', ["app.py"]),
    ],
)
def test_registry_module_source_path_forms(tmp_path, extra, files):
    write(
        tmp_path,
        {
            "main.tf": REGISTRY.format(source="terraform-aws-modules/lambda/aws", extra=extra),
            "src/app.py": HANDLER,
            "lib/helpers.py": "X = 1\n",
        },
    )
    make_zip(tmp_path / "pkg.zip", {"app.py": HANDLER.encode()})
    [spec] = specs(tmp_path).values()
    assert [f.path for f in spec.bundle.files] == files


def test_registry_module_not_analysed_or_not_created(tmp_path):
    write(
        tmp_path,
        {
            "main.tf": REGISTRY.format(source="terraform-aws-modules/lambda/aws", extra='source_path = "src"')
            + REGISTRY.replace('"fn"', '"image"').format(
                source="terraform-aws-modules/lambda/aws", extra='package_type = "Image"'
            )
            + REGISTRY.replace('"fn"', '"off"').format(
                source="terraform-aws-modules/lambda/aws", extra="create_function = false"
            ),
            "src/app.py": HANDLER,
        },
    )
    found = specs(tmp_path)
    assert sorted(found) == ["module.fn", "module.image"]
    assert "container image" in found["module.image"].skipped


# expressions ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ('var.env == "prod" ? "big" : "small"', "big"),
        ('!var.flag ? "off" : "on"', "on"),
        ('try(local.m.missing, "fallback")', "fallback"),
        ('format("%s-%s", var.env, local.m.a)', "prod-1"),
        ('lookup(local.m, "a", "x")', "1"),
        ('join("/", ["a", var.env])', "a/prod"),
        ('"${upper(var.env)}-${local.m["a"]}"', "PROD-1"),
        ("module.remote.out", None),
        ("var.env + 1", None),
    ],
)
def test_expressions(tmp_path, expression, value):
    write(
        tmp_path,
        {
            "main.tf": f"""
            variable "env" {{
              default = "prod"
            }}
            variable "flag" {{
              default = true
            }}
            locals {{
              m = {{ a = "1" }}
              x = {expression}
            }}
            module "remote" {{
              source = "acme/thing/aws"
            }}
            """
        },
    )
    project = tf.values.Project(tmp_path.resolve(), TARGET, {})
    top = tf.values.Instance(project, project.config(project.root), "", {})
    result = top.value(top.config.locals["x"])
    assert tf.values.known(result) == value


def test_heredoc_and_escapes():
    assert hcl.parse_value('"<<-EOT\n    a ${var.x}\n    b\n  EOT"') == hcl.Template(
        ("a ", hcl.Ref("var", ("x",)), "\nb\n")
    )
    assert hcl.parse_value('"a\\"b$${c}"') == hcl.Template(('a"b${c}',))


def test_project_through_the_library(tmp_path):
    write(tmp_path, {"main.tf": FUNCTION.format(name="fn", code="src"), "src/app.py": HANDLER})
    project = generate_project(tmp_path, Options(target=TARGET, deploy=DeployOptions(), cache_dir=None))
    [function] = project.functions
    assert function.spec.name == "aws_lambda_function.fn"
    assert "arn:aws:sqs:us-east-1:123456789012:fn-q" in {p.resource for p in function.result.permissions}


def test_code_next_to_the_terraform_folder_is_read_inside_its_repository(tmp_path):
    """terraform/ and src/ side by side: Terraform reads ../src, so does policygen, within the
    repository that holds them (and never outside it)."""
    write(
        tmp_path,
        {
            "terraform/main.tf": FUNCTION.format(name="fn", code="../src"),
            "src/app.py": HANDLER,
        },
    )
    found = specs(tmp_path / "terraform")
    assert "outside the project folder" in found["aws_lambda_function.fn"].skipped
    (tmp_path / ".git").mkdir()
    found = specs(tmp_path / "terraform")
    assert found["aws_lambda_function.fn"].code_dir == "../src"
    result = run(str(tmp_path / "terraform"))
    assert result.exit_code == 0, result.output
    assert "arn:aws:sqs:us-east-1:123456789012:fn-q" in result.stdout


def test_macos_metadata_in_a_zip_is_not_python(tmp_path):
    make_zip(
        tmp_path / "l.zip",
        {"app.py": b"x = 1\n", "__MACOSX/._app.py": b"\x00\x05\x16\x07", "._x.py": b"\x00"},
    )
    code, notes = bundle.read_zip(tmp_path / "l.zip", "l.zip")
    assert [f.path for f in code.files] == ["app.py"] and notes == ()


# the policies run ---------------------------------------------------------------------------------
def _run_under(document, code: Path, handler: str, env: dict, setup, event: dict):
    """Invoke the handler (from a folder or a zip, as Lambda imports it) in a fresh moto account,
    as a role holding only ``document``; every authorization decision is returned."""
    import contextlib
    import importlib
    import os
    import sys
    from unittest import mock

    import boto3
    from moto import mock_aws
    from moto.core import disable_iam_authentication, enable_iam_authentication
    from runtime import harness
    from runtime.judge import judging

    module_name, _, function_name = handler.rpartition(".")
    with mock_aws(config=harness.MOTO_CONFIG):
        with disable_iam_authentication():
            setup()
            credentials = harness._principal(document)
        environment = {
            **env,
            "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
            "AWS_SESSION_TOKEN": credentials["SessionToken"],
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        sys.path.insert(0, str(code))
        sys.modules.pop(module_name, None)
        try:
            with (
                mock.patch.dict(os.environ, environment),
                mock.patch.object(boto3, "DEFAULT_SESSION", None),
                enable_iam_authentication(),
                judging() as judge,
            ):
                function = getattr(importlib.import_module(module_name), function_name)
                with contextlib.suppress(Exception):  # a denial raises; the judge has recorded it
                    function(event, None)
        finally:
            sys.path.remove(str(code))
            sys.modules.pop(module_name, None)
    return judge.checks


def _project_policy(example: str, function: str, **variables: str):
    from policygen.render.json_policy import policy_document

    project = generate_project(ROOT / "examples" / example, Options(function=function, target=TARGET, deploy=DeployOptions(variables=variables), cache_dir=None))
    [found] = project.functions
    return found, policy_document(found.result.policy)


def _drop(document, action: str):
    statements = []
    for statement in document["Statement"]:
        actions = [a for a in statement["Action"] if a != action]
        if actions:
            statements.append({**statement, "Action": actions})
    return {**document, "Statement": statements}


def test_registry_module_function_runs_under_its_policy():
    """module.lambda["report"]: names from the module's inputs (environment_variables from an
    aws_s3_bucket), its code from source_path; the policy lets it run, and each code action is needed."""
    from runtime import fixtures

    function, document = _project_policy("tf-registry-module", 'module.lambda["report"]', stage="prod")
    env = {k: v[0].known for k, v in function.spec.environment}
    assert env["REPORTS_BUCKET"] == "acme-reports-prod"

    def setup():
        fixtures.bucket("acme-reports-prod", {"incoming/r1.csv": b"a,b\n1,2\n"})

    code = ROOT / "examples" / "tf-registry-module" / function.spec.code_dir
    checks = _run_under(document, code, function.spec.handler, env, setup, {"run_id": "r1"})
    assert {c.action for c in checks} >= {"s3:GetObject", "s3:PutObject"}
    assert all(c.allowed for c in checks), [c for c in checks if not c.allowed]
    for action in ("s3:GetObject", "s3:PutObject"):
        denied = _run_under(
            _drop(document, action), code, function.spec.handler, env, setup, {"run_id": "r1"}
        )
        assert any(not c.allowed and c.action == action for c in denied), action


def test_committed_zip_function_runs_under_its_policy():
    """aws_lambda_function.rotate: its code is only in dist/rotate.zip; Python imports it from
    the archive as Lambda would, under the policy read from that archive."""
    from runtime import fixtures

    function, document = _project_policy("tf-packages", "rotate", env="prod")
    env = {k: v[0].known for k, v in function.spec.environment}
    assert env == {"SECRET_ID": "ops/prod/db"}

    def setup():
        fixtures.secret("ops/prod/db", "old-password")

    archive = ROOT / "examples" / "tf-packages" / "dist" / "rotate.zip"
    checks = _run_under(document, archive, function.spec.handler, env, setup, {})
    assert {c.action for c in checks} == {"secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"}
    assert all(c.allowed for c in checks), [c for c in checks if not c.allowed]
    denied = _run_under(
        _drop(document, "secretsmanager:PutSecretValue"), archive, "rotate.handler", env, setup, {}
    )
    assert any(not c.allowed and c.action == "secretsmanager:PutSecretValue" for c in denied)


S3_HANDLER = """
import boto3

s3 = boto3.client("s3")


def handler(event, context):
    for record in event["Records"]:
        s3.get_object(Bucket=record["s3"]["bucket"]["name"], Key=record["s3"]["object"]["key"])
"""


def test_the_event_names_what_terraform_says_invokes_the_function(tmp_path):
    """An S3 bucket notification (on a resource function) and allowed_triggers (on the registry
    module) name the bucket the handler's event carries: the policy is scoped to it, not '*'."""
    write(
        tmp_path,
        {
            "main.tf": FUNCTION.format(name="fn", code="src")
            + """
            resource "aws_s3_bucket" "uploads" {
              bucket = "acme-uploads"
            }
            resource "aws_s3_bucket_notification" "uploads" {
              bucket = aws_s3_bucket.uploads.id
              lambda_function {
                lambda_function_arn = aws_lambda_function.fn.arn
                events              = ["s3:ObjectCreated:*"]
              }
            }
            module "registry" {
              source        = "terraform-aws-modules/lambda/aws"
              function_name = "reg"
              handler       = "app.handler"
              runtime       = "python3.12"
              source_path   = "src"
              allowed_triggers = {
                Uploads = { service = "s3", source_arn = "arn:aws:s3:::acme-inbox" }
              }
            }
            """,
            "src/app.py": S3_HANDLER,
        },
    )
    project = generate_project(tmp_path, Options(target=TARGET, deploy=DeployOptions(), cache_dir=None))
    reads = {
        f.spec.name: {p.resource for p in f.result.permissions if p.action == "s3:GetObject"}
        for f in project.functions
    }
    assert reads == {
        "aws_lambda_function.fn": {"arn:aws:s3:::acme-uploads/*"},
        "module.registry": {"arn:aws:s3:::acme-inbox/*"},
    }
