"""Serverless Framework reader on real-shaped serverless.yml files."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from policygen.deploy import serverless
from policygen.errors import DeploymentError
from policygen.evidence.deployment import for_spec
from policygen.model import Target

TARGET = Target("aws", "us-east-1", "123456789012")
HANDLER = "import boto3\n\ndef handler(event, context):\n    boto3.client('sqs').send_message(QueueUrl='q', MessageBody='x')\n"


def service(tmp_path: Path, text: str, files: dict[str, str] | None = None) -> Path:
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "src" / "app.py").write_text(HANDLER)
    for name, content in (files or {}).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(content))
    (tmp_path / "serverless.yml").write_text(textwrap.dedent(text))
    return tmp_path / "serverless.yml"


def read(path: Path, stage: str | None = None, target: Target = TARGET):
    return {s.name: s for s in serverless.read(path, target, stage, path.parent)}


def test_a_function_in_another_runtime_is_listed_not_analysed(tmp_path):
    path = service(
        tmp_path,
        """
        service: mixed
        provider:
          name: aws
          runtime: python3.12
        functions:
          api:
            handler: src/app.handler
          web:
            handler: web/index.handler
            runtime: nodejs20.x
          img:
            image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/img:latest
        """,
    )
    specs = read(path)
    assert specs["api"].skipped is None and specs["api"].handler == "src.app.handler"
    assert specs["web"].skipped == "runtime nodejs20.x is not Python"
    assert "container image" in (specs["img"].skipped or "")


def env(spec, name):
    return [str(t) for t in dict(spec.environment)[name]]


VARIABLES = """
service: shop
provider:
  name: aws
  runtime: python3.12
  stage: ${opt:stage, 'dev'}
  region: ${opt:region, self:provider.regionDefault, 'eu-west-1'}
  environment:
    TABLE: ${self:service}-${self:provider.stage}-orders
    STAGE_TABLE: ${self:custom.tables.${sls:stage}}
    STAGE_OR_PROVIDER: todos-${opt:stage, self:provider.stage}
    FROM_FILE: ${file(./config/${sls:stage}.yml):bucket}
    FILE_DEFAULT: ${file(./config/missing.yml):bucket, 'fallback-bucket'}
    SECRET: ${ssm:/shop/${sls:stage}/secret}
    DEPLOYER: ${env:DEPLOYER}
    LOG_LEVEL: ${env:LOG_LEVEL, "info"}
    ACCOUNT: ${aws:accountId}
    REGION: ${aws:region}
    OUTPUT: ${cf:other-stack.QueueUrl}
custom:
  tables:
    dev: orders-dev-table
    prod: orders-prod-table
functions:
  api:
    handler: src/app.handler
"""


def test_variable_defaults_and_self_references_resolve(tmp_path):
    path = service(tmp_path, VARIABLES, {"config/dev.yml": "bucket: dev-uploads\n"})
    api = read(path, target=Target())["api"]
    assert env(api, "TABLE") == ["shop-dev-orders"]
    assert env(api, "STAGE_TABLE") == ["orders-dev-table"]
    assert env(api, "STAGE_OR_PROVIDER") == ["todos-dev"]  # never "todos-self:provider.stage"
    assert env(api, "FROM_FILE") == ["dev-uploads"]
    assert env(api, "FILE_DEFAULT") == ["fallback-bucket"]
    assert env(api, "LOG_LEVEL") == ["info"]
    assert env(api, "REGION") == ["eu-west-1"]
    assert any("LOG_LEVEL" in n and "took the default 'info'" in n for n in api.notes)
    assert api.name == "api"


def test_what_only_deploy_time_knows_stays_open_and_named(tmp_path):
    path = service(tmp_path, VARIABLES, {"config/dev.yml": "bucket: dev-uploads\n"})
    api = read(path, target=Target())["api"]
    assert env(api, "SECRET") == ["{${ssm:/shop/dev/secret}: an SSM parameter, read at deploy time}"]
    assert env(api, "DEPLOYER") == [
        "{${env:DEPLOYER}: the deploying machine's environment variable DEPLOYER}"
    ]
    assert env(api, "ACCOUNT") == ["{${aws:accountId} (give --account)}"]
    assert env(api, "OUTPUT") == ["{${cf:other-stack.QueueUrl}: another stack's output, read at deploy time}"]


def test_stage_and_region_flags_win(tmp_path):
    path = service(tmp_path, VARIABLES, {"config/prod.yml": "bucket: prod-uploads\n"})
    api = read(path, stage="prod", target=Target("aws", "us-west-2", "123456789012"))["api"]
    assert env(api, "TABLE") == ["shop-prod-orders"]
    assert env(api, "STAGE_TABLE") == ["orders-prod-table"]
    assert env(api, "FROM_FILE") == ["prod-uploads"]
    assert env(api, "REGION") == ["us-west-2"]
    assert env(api, "ACCOUNT") == ["123456789012"]


def test_a_file_outside_the_project_is_refused(tmp_path):
    root = tmp_path / "svc"
    root.mkdir()
    (tmp_path / "secret.yml").write_text("k: v\n")
    path = service(
        root,
        "service: s\nprovider:\n  environment:\n    K: ${file(../secret.yml):k}\nfunctions:\n  f:\n    handler: src/app.handler\n",
    )
    with pytest.raises(
        DeploymentError, match=r"serverless.yml: \$\{file\(../secret.yml\):k\} reads .* outside the project"
    ):
        read(path)


def test_variables_that_refer_to_each_other_are_named(tmp_path):
    path = service(
        tmp_path,
        "service: s\ncustom:\n  a: ${self:custom.b}\n  b: ${self:custom.a}\nfunctions:\n  f:\n    handler: src/app.handler\n",
    )
    with pytest.raises(
        DeploymentError, match=r"refer to each other: self:custom\.b -> self:custom\.a -> self:custom\.b"
    ):
        read(path)


SHOP = Path(__file__).resolve().parent.parent / "examples" / "sls-shop" / "serverless.yml"


def test_lift_queue_worker_is_a_function_that_polls_its_queue():
    specs = read(SHOP)
    worker = specs["jobsWorker"]
    assert worker.handler == "src.jobs.worker.handler"
    polled = {(p.action, p.resource) for p in for_spec(worker, TARGET).permissions}
    assert ("sqs:ReceiveMessage", "arn:aws:sqs:us-east-1:123456789012:shop-dev-jobs") in polled
    assert env(specs["api"], "JOBS_QUEUE_URL") == [
        "https://sqs.us-east-1.amazonaws.com/123456789012/shop-dev-jobs"
    ]
    declared = {
        (a, r)
        for s in (worker.deployed.statements if worker.deployed else ())
        for a in s.actions
        for r in s.resources
    }
    assert ("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:shop-dev-jobs") in declared


def test_self_variables_inside_cloudformation_intrinsics_of_resources():
    api = read(SHOP)["api"]
    assert env(api, "AUDIT_TOPIC_ARN") == ["arn:aws:sns:us-east-1:123456789012:shop-audit-dev"]
    assert env(api, "ARCHIVE_BUCKET") == ["shop-archive-123456789012"]
    assert env(api, "ORDERS_TABLE") == ["shop-orders-dev"]
    resources = {r for s in (api.deployed.statements if api.deployed else ()) for r in s.resources}
    assert "arn:aws:s3:::shop-uploads-dev/*" in resources
    assert "arn:aws:dynamodb:us-east-1:123456789012:table/shop-orders-dev" in resources


def test_lift_constructs_without_functions_are_reported(tmp_path):
    path = service(
        tmp_path,
        """
        service: site
        provider:
          name: aws
          runtime: python3.12
        constructs:
          landing:
            type: static-website
            path: public
          avatars:
            type: storage
        functions:
          api:
            handler: src/app.handler
            environment:
              AVATARS: ${construct:avatars.bucketName}
        """,
    )
    api = read(path)["api"]
    assert any("landing (static-website) add no function" in n for n in api.notes)
    assert env(api, "AVATARS") == [
        "site-dev-avatarsbucket{the suffix CloudFormation generates for Lift's storage bucket avatars}"
    ]


def test_generated_function_resources_and_module_folders(tmp_path):
    (tmp_path / "billing").mkdir()
    (tmp_path / "billing" / "handler.py").write_text(HANDLER)
    path = service(
        tmp_path,
        """
        service: svc
        provider:
          name: aws
          runtime: python3.12
          environment:
            NEXT: !Ref SendDashinvoiceLambdaFunction
        functions:
          send-invoice:
            handler: handler.handler
            module: billing
            destinations:
              onFailure: arn:aws:sqs:us-east-1:123456789012:invoice-failures
        """,
    )
    spec = read(path)["send-invoice"]
    assert spec.code_dir == "billing" and spec.handler == "handler.handler"
    assert env(spec, "NEXT") == ["svc-dev-send-invoice"]
    assert ("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:invoice-failures") in {
        (p.action, p.resource) for p in for_spec(spec, TARGET).permissions
    }


def test_serverless_wsgi_app_is_analysed_as_a_whole(tmp_path):
    path = service(
        tmp_path,
        """
        service: web
        provider:
          name: aws
          runtime: python3.12
        custom:
          wsgi:
            app: app.app
        plugins:
          - serverless-wsgi
        functions:
          api:
            handler: wsgi_handler.handler
            events:
              - httpApi: '*'
        """,
    )
    api = read(path)["api"]
    assert api.skipped is None and api.handler is None
    assert any("serverless-wsgi's wsgi_handler.handler serves the app app.app" in n for n in api.notes)


def test_s3_event_rules_narrow_the_object_keys(tmp_path):
    path = service(
        tmp_path,
        """
        service: s
        provider:
          name: aws
          runtime: python3.12
        functions:
          f:
            handler: src/app.handler
            events:
              - s3:
                  bucket: acme-drop
                  event: s3:ObjectCreated:*
                  rules:
                    - prefix: reports/
                    - suffix: .json
        """,
    )
    (trigger,) = read(path)["f"].triggers
    assert (trigger.kind, [str(n) for n in trigger.names]) == ("s3", ["acme-drop"])
    assert [t.pattern() for t in trigger.keys] == ["reports/*.json"]


def test_variable_spellings_seen_in_real_services(tmp_path):
    path = service(
        tmp_path,
        """
        service: notifier
        custom:
          stage: "${opt:stage, self: provider.stage}"
          sizes:
            prod: large
            default: small
          size: ${self:custom.sizes.${self:custom.stage}, self:custom.sizes.default}
        provider:
          name: aws
          runtime: python3.12
          stage: ${opt:stage,'dev'}
          environment: ${file(env.yml):${self:provider.stage}}
        functions:
          notify:
            handler: src/app.handler
            environment:
              SIZE: ${self:custom.size}
              TABLE_NAME: ${opt:table-name}
        """,
        {"env.yml": "dev:\n  TABLE: notifier-dev-table\nprod:\n  TABLE: notifier-prod-table\n"},
    )
    spec = read(path)["notify"]
    assert env(spec, "TABLE") == ["notifier-dev-table"]
    assert env(spec, "SIZE") == ["small"]
    assert env(spec, "TABLE_NAME") == ["{${opt:table-name} has no value}"]
    assert env(read(path, stage="prod")["notify"], "SIZE") == ["large"]


def test_eventbridge_pattern_fields_are_triggers(tmp_path):
    path = service(
        tmp_path,
        """
        service: s
        provider:
          name: aws
          runtime: python3.12
        functions:
          f:
            handler: src/app.handler
            events:
              - eventBridge:
                  pattern:
                    source: [aws.s3]
                    detail:
                      bucket:
                        name: ["acme-${sls:stage}-inbox"]
        """,
    )
    (trigger,) = read(path)["f"].triggers
    fields = {path: [str(t) for t in texts] for path, texts in trigger.fields}
    assert fields == {("source",): ["aws.s3"], ("detail", "bucket", "name"): ["acme-dev-inbox"]}


def test_provider_stage_and_region_default_as_the_framework_fills_them(tmp_path):
    path = service(
        tmp_path,
        """
        service: todos
        provider:
          name: aws
          runtime: python3.12
          environment:
            TABLE: ${self:service}-${opt:stage, self:provider.stage}
            REGION: ${self:provider.region}
        functions:
          f:
            handler: src/app.handler
        """,
    )
    spec = read(path, target=Target())["f"]
    assert (env(spec, "TABLE"), env(spec, "REGION")) == (["todos-dev"], ["us-east-1"])
    assert env(read(path, stage="prod")["f"], "TABLE") == ["todos-prod"]


def test_the_role_the_framework_creates_carries_its_own_statements(tmp_path):
    """Without them every Serverless service's diff reported the logs and polling permissions the
    Framework grants as missing, so ``check`` failed on a role that works."""
    path = service(
        tmp_path,
        """
        service: shop
        provider: {name: aws, runtime: python3.12, stage: dev, region: us-east-1, vpc: {subnetIds: [s]}}
        functions:
          worker:
            handler: src/app.handler
            events: [{sqs: "arn:aws:sqs:us-east-1:123456789012:jobs"}, {stream: "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/1"}]
          custom:
            handler: src/app.handler
            name: billing-custom
          own:
            handler: src/app.handler
            role: arn:aws:iam::123456789012:role/own
        """,
    )
    specs = read(path)
    granted = {
        (action, resource)
        for s in specs["worker"].deployed.statements
        for action in s.actions
        for resource in s.resources
    }
    groups = "arn:aws:logs:us-east-1:123456789012:log-group:"
    assert ("logs:CreateLogStream", groups + "/aws/lambda/shop-dev*:*") in granted
    assert ("logs:PutLogEvents", groups + "/aws/lambda/billing-custom:*:*") in granted
    assert ("sqs:ReceiveMessage", "arn:aws:sqs:us-east-1:123456789012:jobs") in granted
    assert ("dynamodb:GetRecords", "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/1") in granted
    assert "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole" in specs["worker"].managed_policies
    # A function with its own role gets none of the Framework's statements.
    assert specs["own"].deployed is None


def test_diff_of_a_serverless_service_reports_no_framework_permission_as_missing():
    from click.testing import CliRunner

    from policygen.cli import main

    project = Path(__file__).resolve().parent.parent / "examples" / "sls-payments"
    args = ["diff", str(project), "--stage", "prod", "--region", "us-east-1", "--account", "123456789012"]
    result = CliRunner().invoke(main, [*args, "--format", "json", "--no-cache"])
    assert result.exit_code == 0, result.output
    # Before: logs:CreateLogGroup/CreateLogStream/PutLogEvents and the SQS polling actions.
    assert json.loads(result.stdout)["functions"]["charge"]["missing"] == []
