"""SAM/CloudFormation reader on real-shaped templates: functions in other runtimes or with code
outside the project are listed as not analysed, never abort the others."""

from __future__ import annotations

import json
import textwrap
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from policygen.cli import main
from policygen.deploy import cloudformation
from policygen.errors import DeploymentError
from policygen.evidence.deployment import for_spec
from policygen.model import Target
from policygen.options import Options
from policygen.project import generate_project

TARGET = Target("aws", "us-east-1", "123456789012")
HANDLER = "import boto3\n\ndef handler(event, context):\n    boto3.client('sqs').send_message(QueueUrl='q', MessageBody='x')\n"


def project(tmp_path: Path, template: str, code: str = HANDLER) -> Path:
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "src" / "app.py").write_text(code)
    (tmp_path / "template.yaml").write_text(textwrap.dedent(template))
    return tmp_path


MIXED = """
    Transform: AWS::Serverless-2016-10-31
    Globals:
      Function:
        Runtime: python3.12
    Resources:
      PyFunction:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: src
          Handler: app.handler
      NodeFunction:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: web
          Handler: index.handler
          Runtime: nodejs20.x
      ImageFunction:
        Type: AWS::Serverless::Function
        Properties:
          PackageType: Image
        Metadata:
          Dockerfile: Dockerfile
      InlineFunction:
        Type: AWS::Lambda::Function
        Properties:
          Runtime: python3.12
          Handler: index.handler
          Role: arn:aws:iam::123456789012:role/r
          Code:
            ZipFile: |
              import boto3
              def handler(event, context):
                  boto3.client("sns").publish(TopicArn="arn:aws:sns:us-east-1:123456789012:inline", Message="x")
      S3Function:
        Type: AWS::Lambda::Function
        Properties:
          Runtime: python3.12
          Handler: app.handler
          Role: arn:aws:iam::123456789012:role/r
          Code:
            S3Bucket: artefacts
            S3Key: fn.zip
      ZipFunction:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: dist/fn.zip
          Handler: app.handler
      PackagedFunction:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: build/packaged.zip
          Handler: app.handler
"""


def mixed(tmp_path: Path) -> Path:
    root = project(tmp_path, MIXED)
    (root / "build").mkdir()
    with zipfile.ZipFile(root / "build" / "packaged.zip", "w") as archive:
        archive.writestr("app.py", HANDLER)
    return root


def test_other_runtimes_and_remote_code_are_listed_with_their_reason(tmp_path):
    specs = {s.name: s for s in cloudformation.read(mixed(tmp_path) / "template.yaml", TARGET)}
    assert specs["PyFunction"].skipped is None
    assert specs["NodeFunction"].skipped == "runtime nodejs20.x is not Python"
    assert "container image" in (specs["ImageFunction"].skipped or "")
    assert "in S3" in (specs["S3Function"].skipped or "")
    assert "prebuilt archive (dist/fn.zip) that is not in the project" in (specs["ZipFunction"].skipped or "")
    # Inline Python and a zip committed to the project are read as Lambda unpacks them.
    assert specs["InlineFunction"].skipped is None and specs["InlineFunction"].bundle is not None
    assert specs["PackagedFunction"].skipped is None and specs["PackagedFunction"].bundle is not None


def test_skipped_functions_never_abort_the_others(tmp_path):
    root = mixed(tmp_path)
    result = generate_project(root, Options(target=TARGET))
    assert result is not None
    assert [f.spec.name for f in result.functions] == ["PyFunction", "InlineFunction", "PackagedFunction"]
    assert sorted(s.name for s in result.skipped) == [
        "ImageFunction",
        "NodeFunction",
        "S3Function",
        "ZipFunction",
    ]
    inline = {(p.action, p.resource) for p in result.functions[1].result.permissions}
    assert ("sns:Publish", "arn:aws:sns:us-east-1:123456789012:inline") in inline
    packaged = {p.action for p in result.functions[2].result.permissions}
    assert "sqs:SendMessage" in packaged
    cli = CliRunner().invoke(main, ["generate", str(root), "--no-cache", "--format", "json-report"])
    assert cli.exit_code == 0, cli.output
    assert "NodeFunction: not analysed: runtime nodejs20.x is not Python" in cli.stderr
    report = json.loads(cli.stdout)
    assert report["not_analysed"]["NodeFunction"]["reason"] == "runtime nodejs20.x is not Python"
    assert list(report["functions"]) == ["PyFunction", "InlineFunction", "PackagedFunction"]


def test_a_project_with_nothing_to_analyse_says_so(tmp_path):
    root = project(
        tmp_path,
        """
        Resources:
          NodeFunction:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: web
              Handler: index.handler
              Runtime: nodejs20.x
        """,
    )
    with pytest.raises(DeploymentError, match=r"no function whose code policygen can analyse.*nodejs20\.x"):
        generate_project(root, Options(target=TARGET))


MEDIA = Path(__file__).resolve().parent.parent / "examples" / "sam-media"


def grants(spec):
    return {(p.action, p.resource) for p in for_spec(spec, TARGET).permissions}


def test_stream_on_failure_and_invoke_destinations_are_scoped_to_the_destination():
    specs = {s.name: s for s in cloudformation.read(MEDIA / "template.yaml", TARGET, "media")}
    ingest = grants(specs["IngestFunction"])
    assert ("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:media-ingest-failures") in ingest
    assert ("sns:Publish", "arn:aws:sns:us-east-1:123456789012:media-alerts") in ingest
    # An AWS::Lambda::EventInvokeConfig resource of the template, for the function it names.
    thumbnails = grants(specs["ThumbnailFunction"])
    assert ("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:media-thumbnails-done") in thumbnails
    assert not any(a.startswith(("sqs:", "sns:")) for a, _ in grants(specs["NotifyFunction"]))
    assert all(r != "*" for a, r in ingest | thumbnails if a in ("sqs:SendMessage", "sns:Publish"))


def test_references_to_resources_sam_generates_resolve(tmp_path):
    specs = {s.name: s for s in cloudformation.read(MEDIA / "template.yaml", TARGET, "media")}
    environment = {k: [str(t) for t in v] for k, v in specs["IngestFunction"].environment}
    assert environment["THUMBNAILER"] == [
        "arn:aws:lambda:us-east-1:123456789012:function:media-ThumbnailFunction-"
        "{the suffix CloudFormation generates for ThumbnailFunction}:live"
    ]
    assert "ServerlessRestApi" in environment["API_ID"][0]
    role = {k: [str(t) for t in v] for k, v in specs["NotifyFunction"].environment}["INGEST_ROLE"]
    assert role == [
        "arn:aws:iam::123456789012:role/media-IngestFunctionRole-"
        "{the suffix CloudFormation generates for IngestFunctionRole}"
    ]


GENERATED = """
    Transform: AWS::Serverless-2016-10-31
    Resources:
      Fn:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: src
          Handler: app.handler
          Runtime: python3.12
          AutoPublishAlias: live
          Environment:
            Variables:
              REFERENCE: {ref}
          Events:
            Jobs:
              Type: SQS
              Properties:
                Queue: arn:aws:sqs:us-east-1:123456789012:jobs
            Api:
              Type: Api
              Properties: {{Path: /, Method: get}}
"""


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("!GetAtt FnRole.Arn", "arn:aws:iam::123456789012:role/svc-FnRole-*"),
        ("!Ref FnRole", "svc-FnRole-*"),
        ("!Ref FnAliaslive", "arn:aws:lambda:us-east-1:123456789012:function:svc-Fn-*:live"),
        ("!Ref Fn.Alias", "arn:aws:lambda:us-east-1:123456789012:function:svc-Fn-*:live"),
        ("!Ref Fn.Version", "*"),
        ("!Ref FnJobs", "*"),
        ("!Ref FnApiPermission", "*"),
        ("!Ref ServerlessRestApi", "*"),
        ("!Ref ServerlessRestApiProdStage", "*"),
    ],
)
def test_references_to_what_sam_generates_resolve_as_sam_names_it(tmp_path, ref, expected):
    template = project(tmp_path, GENERATED.format(ref=ref)) / "template.yaml"
    (spec,) = cloudformation.read(template, TARGET, "svc")
    (value,) = dict(spec.environment)["REFERENCE"]
    assert value.pattern() == expected
    if expected == "*":
        assert value.holes  # unknown, and saying what it is


S3_HANDLER = """
import boto3

s3 = boto3.client("s3")


def handler(event, context):
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        key = record["s3"]["object"]["key"]
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        s3.put_object(Bucket=bucket, Key="copies/" + key, Body=body)
"""


def test_the_bucket_an_s3_event_names_scopes_the_handler_calls(tmp_path):
    root = project(
        tmp_path,
        """
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Uploads:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: acme-uploads
          Copier:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src
              Handler: app.handler
              Runtime: python3.12
              Events:
                Upload:
                  Type: S3
                  Properties:
                    Bucket: !Ref Uploads
                    Events: s3:ObjectCreated:*
        """,
        S3_HANDLER,
    )
    result = generate_project(root, Options(target=TARGET))
    assert result is not None
    permissions = {(p.action, p.resource) for p in result.functions[0].result.permissions}
    assert ("s3:PutObject", "arn:aws:s3:::acme-uploads/copies/*") in permissions
    assert ("s3:GetObject", "arn:aws:s3:::acme-uploads/*") in permissions
    assert not any(r.startswith("arn:aws:s3:::*") for _, r in permissions)


IMAGE = """
    Transform: AWS::Serverless-2016-10-31
    Resources:
      PyImage:
        Type: AWS::Serverless::Function
        Properties:
          PackageType: Image
        Metadata:
          Dockerfile: Dockerfile
          DockerContext: ./src
      CommandImage:
        Type: AWS::Serverless::Function
        Properties:
          PackageType: Image
          ImageConfig:
            Command: ["app.handler"]
        Metadata:
          DockerContext: ./src
          Dockerfile: Dockerfile.other
      NodeImage:
        Type: AWS::Serverless::Function
        Properties:
          PackageType: Image
        Metadata:
          DockerContext: ./web
"""


def test_container_images_built_from_the_project_are_analysed(tmp_path):
    root = project(tmp_path, IMAGE)
    (root / "src" / "Dockerfile").write_text(
        'FROM public.ecr.aws/lambda/python:3.12\nCOPY app.py ./\n# CMD ["old.handler"]\nCMD ["app.handler"]\n'
    )
    (root / "src" / "Dockerfile.other").write_text("FROM public.ecr.aws/lambda/python:3.12\nCOPY app.py ./\n")
    (root / "web").mkdir()
    (root / "web" / "Dockerfile").write_text('FROM public.ecr.aws/lambda/nodejs:20\nCMD ["index.handler"]\n')
    specs = {s.name: s for s in cloudformation.read(root / "template.yaml", TARGET)}
    assert (specs["PyImage"].skipped, specs["PyImage"].code_dir, specs["PyImage"].handler) == (
        None,
        "src",
        "app.handler",
    )
    assert (specs["CommandImage"].skipped, specs["CommandImage"].handler) == (None, "app.handler")
    assert specs["NodeImage"].skipped == (
        "its container image is built FROM public.ecr.aws/lambda/nodejs:20, not a Python Lambda image"
    )
    result = generate_project(root, Options(target=TARGET))
    assert result is not None
    assert [f.spec.name for f in result.functions] == ["PyImage", "CommandImage"]
    assert all("sqs:SendMessage" in {p.action for p in f.result.permissions} for f in result.functions)


def test_an_s3_notification_filter_narrows_the_object_keys(tmp_path):
    root = project(
        tmp_path,
        """
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Uploads:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: acme-uploads
          Copier:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src
              Handler: app.handler
              Runtime: python3.12
              Events:
                Upload:
                  Type: S3
                  Properties:
                    Bucket: !Ref Uploads
                    Events: s3:ObjectCreated:*
                    Filter:
                      S3Key:
                        Rules:
                          - {Name: prefix, Value: incoming/}
                          - {Name: suffix, Value: .csv}
        """,
        S3_HANDLER,
    )
    result = generate_project(root, Options(target=TARGET))
    assert result is not None
    permissions = {(p.action, p.resource) for p in result.functions[0].result.permissions}
    assert ("s3:GetObject", "arn:aws:s3:::acme-uploads/incoming/*.csv") in permissions
    assert ("s3:PutObject", "arn:aws:s3:::acme-uploads/copies/incoming/*.csv") in permissions


EVENTBRIDGE_HANDLER = """
import boto3

s3 = boto3.client("s3")


def handler(event, context):
    bucket = event["detail"]["bucket"]["name"]
    key = event["detail"]["object"]["key"]
    s3.get_object(Bucket=bucket, Key=key)
"""


def test_the_fields_an_eventbridge_rule_fixes_scope_the_handler_calls(tmp_path):
    root = project(
        tmp_path,
        """
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Scanner:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src
              Handler: app.handler
              Runtime: python3.12
              Events:
                Created:
                  Type: EventBridgeRule
                  Properties:
                    Pattern:
                      source: [aws.s3]
                      detail-type: [Object Created]
                      detail:
                        bucket:
                          name: [acme-inbox, !Sub "acme-archive-${AWS::AccountId}"]
                        object:
                          key: [{prefix: scans/}]
                        reason: [{anything-but: [Lifecycle]}]
        """,
        EVENTBRIDGE_HANDLER,
    )
    result = generate_project(root, Options(target=TARGET))
    assert result is not None
    resources = {p.resource for p in result.functions[0].result.permissions if p.action == "s3:GetObject"}
    assert resources == {
        "arn:aws:s3:::acme-inbox/scans/*",
        "arn:aws:s3:::acme-archive-123456789012/scans/*",
    }


WRAPPED = """
    Transform: AWS::Serverless-2016-10-31
    Globals:
      Function:
        Runtime: python3.12
    Resources:
      PyFunction:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: src
          Handler: app.handler
      WebFunction:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: src
          Handler: run.sh
      LayerScriptFunction:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: src
          Handler: serve.sh
          Environment:
            Variables:
              AWS_LAMBDA_EXEC_WRAPPER: /opt/bootstrap
      CustomFunction:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: src
          Handler: bootstrap
          Runtime: provided.al2023
"""


def test_a_handler_that_is_not_python_is_listed_as_not_analysed(tmp_path):
    """run.sh in a Python runtime (started by an exec wrapper), a script the wrapper runs from a
    layer, a custom runtime's bootstrap: listed with the reason; the Python function gets its
    policy and the run succeeds."""
    root = project(tmp_path, WRAPPED)
    (root / "src" / "run.sh").write_text("#!/bin/sh\nexec python -m app\n")
    result = CliRunner().invoke(main, ["generate", str(root), "--no-cache", "--format", "json-report"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert list(report["functions"]) == ["PyFunction"]
    reasons = {name: entry["reason"] for name, entry in report["not_analysed"].items()}
    assert "its handler run.sh is not a Python module.function but a file of its code" in reasons["WebFunction"]
    assert "serve.sh is not a Python module.function but what its exec wrapper runs" in reasons["LayerScriptFunction"]
    assert reasons["CustomFunction"] == "runtime provided.al2023 is not Python"
    assert "WebFunction: not analysed: its handler run.sh" in result.stderr


def test_a_python_handler_beside_a_script_is_analysed_and_a_missing_one_is_an_error(tmp_path):
    """A handler whose module exists is Python even when a script of that name sits beside it; a
    handler that names nothing in the code (and no wrapper) is still that function's error."""
    root = project(
        tmp_path,
        """
        Transform: AWS::Serverless-2016-10-31
        Resources:
          PyFunction:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src
              Handler: app.handler
              Runtime: python3.12
          TypoFunction:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: src
              Handler: ap.handler
              Runtime: python3.12
        """,
    )
    (root / "src" / "app.handler").write_text("not python\n")
    result = generate_project(root, Options(target=TARGET, cache_dir=None))
    assert result is not None and result.skipped == ()
    assert [f.spec.name for f in result.functions] == ["PyFunction"]
    assert [f.spec.name for f in result.failures] == ["TypoFunction"]
    assert "no module ap" in result.failures[0].message


SINGLE_FILE = """
    Transform: AWS::Serverless-2016-10-31
    Resources:
      FileFunction:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: src/app.py
          Handler: app.handler
          Runtime: python3.12
      GoneFunction:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: src/gone.py
          Handler: gone.handler
          Runtime: python3.12
"""


def test_a_code_uri_naming_one_file_is_that_file_packaged_alone(tmp_path):
    """CodeUri: src/app.py packages that one file at the top of the zip, so Handler app.handler
    finds it; a file that is not there is still that function's error, and the other runs."""
    root = project(tmp_path, SINGLE_FILE)
    (root / "src" / "other.py").write_text("import boto3\nboto3.client('s3').delete_bucket(Bucket='b')\n")
    result = generate_project(root, Options(target=TARGET, cache_dir=None))
    assert result is not None
    [function] = result.functions
    assert function.spec.name == "FileFunction" and function.spec.bundle is not None
    assert [f.path for f in function.spec.bundle.files] == ["app.py"]  # other.py is not packaged
    code_actions = {p.action for p in function.result.permissions if not p.action.startswith("logs:")}
    assert code_actions == {"sqs:SendMessage"}  # not other.py's s3:DeleteBucket
    [failure] = result.failures
    assert failure.spec.name == "GoneFunction" and "src/gone.py does not exist" in failure.message


def test_a_single_file_code_uri_must_hold_the_handler_module(tmp_path):
    root = project(tmp_path, SINGLE_FILE.replace("Handler: app.handler", "Handler: other.handler"))
    (root / "src" / "other.py").write_text("def handler(e, c):\n    return None\n")
    result = generate_project(root, Options(function="FileFunction", target=TARGET, cache_dir=None))
    assert result is not None and not result.functions
    assert "no module other" in result.failures[0].message
