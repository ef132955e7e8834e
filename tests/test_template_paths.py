"""Where a SAM/CloudFormation project's functions are declared, as public projects lay it out:
a template under another name than template.yaml (``sam deploy -t orders-service.yaml``), given
as PATH or found alone in the folder, and nested applications deploying local templates."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from policygen.cli import main
from policygen.errors import DeploymentError, UsageError
from policygen.model import Target
from policygen.options import DeployOptions, Options
from policygen.project import generate_project

TARGET = Target("aws", "us-east-1", "123456789012")

PUT = textwrap.dedent(
    """
    import os
    import boto3

    def handler(event, context):
        boto3.resource("dynamodb").Table(os.environ["TABLE"]).put_item(Item={"id": "1"})
    """
)
PUBLISH = "import boto3\n\ndef handler(event, context):\n    boto3.client('sns').publish(TopicArn='arn:aws:sns:us-east-1:123456789012:alerts', Message='m')\n"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text) if name.endswith((".yaml", ".yml")) else text)
    return root


def function(code_uri: str, table: str = "") -> str:
    env = f"\n      Environment:\n        Variables:\n          TABLE: {table}" if table else ""
    return f"""
Transform: AWS::Serverless-2016-10-31
Resources:
  PutFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: {code_uri}
      Handler: app.handler{env}
"""


def grants(result: object) -> dict[str, set[tuple[str, str]]]:
    assert result is not None
    return {
        f.spec.name: {
            (p.action, p.resource) for p in f.result.permissions if not p.action.startswith("logs:")
        }
        for f in result.functions  # type: ignore[attr-defined]
    }


def test_a_template_under_another_name_is_read_when_given_as_path(tmp_path):
    root = write(tmp_path, {"orders-service.yaml": function("src", "orders"), "src/app.py": PUT})
    result = generate_project(root / "orders-service.yaml", Options(target=TARGET))
    assert result is not None and result.source == "orders-service.yaml"
    assert grants(result) == {
        "PutFunction": {("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:123456789012:table/orders")}
    }
    cli = CliRunner().invoke(main, ["generate", str(root / "orders-service.yaml"), "--no-cache"])
    assert cli.exit_code == 0, cli.output
    assert "dynamodb:PutItem" in cli.stdout


def test_the_only_template_under_another_name_in_a_folder_is_read(tmp_path):
    # Before: the folder was taken for one function's code ("no Python files found").
    root = write(tmp_path, {"rotation.yaml": function("src", "keys"), "src/app.py": PUT, "README.md": "x"})
    result = generate_project(root, Options(target=TARGET))
    assert result is not None and result.source == "rotation.yaml"
    assert ("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:123456789012:table/keys") in grants(result)[
        "PutFunction"
    ]


def test_several_templates_under_other_names_ask_which_one(tmp_path):
    # Before: "several possible handlers", the templates unmentioned.
    root = write(
        tmp_path,
        {
            "cart.yaml": function("cart", "carts"),
            "products.yml": function("products", "products"),
            "auth.yaml": "Resources:\n  Pool:\n    Type: AWS::Cognito::UserPool\n",
            "cart/app.py": PUT,
            "products/app.py": PUT,
        },
    )
    with pytest.raises(
        UsageError, match=r"has no template\.yaml, and cart\.yaml, products\.yml declare Lambda"
    ):
        generate_project(root, Options(target=TARGET))
    cli = CliRunner().invoke(main, ["generate", str(root), "--no-cache"])
    assert cli.exit_code == 2
    assert "give the one to read as PATH" in cli.stderr and "Traceback" not in cli.output


ROOT = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  Env:
    Type: String
    Default: prod
Resources:
  Database:
    Type: AWS::Serverless::Application
    Properties:
      Location: db/template.yaml
  Orders:
    Type: AWS::Serverless::Application
    Properties:
      Location: orders/template.yaml
      Parameters:
        TableName: !Sub "orders-${Env}"
        Stage: !Ref Env
        Topic: !GetAtt Database.Outputs.Topic
  Alerts:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: ./alerts
  Vendor:
    Type: AWS::Serverless::Application
    Properties:
      Location:
        ApplicationId: arn:aws:serverlessrepo:us-east-1:123456789012:applications/vendor
        SemanticVersion: 1.0.0
"""
CHILD = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
  TableName:
    Type: String
    Default: unused
  Topic:
    Type: String
Resources:
  PutFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: src
      Handler: app.handler
      Environment:
        Variables:
          TABLE: !Sub "${Stage}-table"
"""
ALERTS = """
Resources:
  NotifyFunction:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Code: code
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/alerts
"""


def nested(tmp_path: Path) -> Path:
    return write(
        tmp_path,
        {
            "template.yaml": ROOT,
            "db/template.yaml": "Resources:\n  Table:\n    Type: AWS::DynamoDB::Table\n",
            "orders/template.yaml": CHILD,
            "orders/src/app.py": PUT,
            "alerts/template.yaml": ALERTS,
            "alerts/code/app.py": PUBLISH,
        },
    )


def test_nested_applications_deploying_local_templates_are_read(tmp_path):
    # Before: "template.yaml: declares no AWS::Serverless::Function or AWS::Lambda::Function".
    result = generate_project(nested(tmp_path), Options(target=TARGET))
    assert result is not None
    # Named as SAM names nested resources; the parent's known parameter values reach the child
    # (Stage: !Ref Env -> prod), a template without functions (db) is no error.
    assert grants(result) == {
        "Orders/PutFunction": {
            ("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:123456789012:table/prod-table")
        },
        "Alerts/NotifyFunction": {("sns:Publish", "arn:aws:sns:us-east-1:123456789012:alerts")},
    }
    assert [f.spec.code_dir for f in result.functions] == ["orders/src", "alerts/code"]
    # An application whose template is elsewhere is listed, not silently dropped.
    (vendor,) = result.skipped
    assert vendor.name == "Vendor" and "is not a file in the project folder" in (vendor.skipped or "")


def test_a_nested_function_is_chosen_by_its_own_name(tmp_path):
    root = nested(tmp_path)
    result = generate_project(root, Options(target=TARGET, function="NotifyFunction"))
    assert result is not None and [f.spec.name for f in result.functions] == ["Alerts/NotifyFunction"]
    cli = CliRunner().invoke(main, ["generate", str(root), "--no-cache", "--format", "json-report"])
    assert cli.exit_code == 0, cli.output
    assert list(json.loads(cli.stdout)["functions"]) == ["Orders/PutFunction", "Alerts/NotifyFunction"]


def test_a_parameter_the_parent_cannot_pass_can_be_given(tmp_path):
    root = nested(tmp_path)
    (root / "orders" / "template.yaml").write_text(CHILD.replace("${Stage}-table", "${Topic}"))
    unresolved = generate_project(root, Options(target=TARGET, function="PutFunction"))
    assert grants(unresolved)["Orders/PutFunction"] == {
        ("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:123456789012:table/*")
    }
    given = Options(
        target=TARGET, function="PutFunction", deploy=DeployOptions(parameter_overrides={"Topic": "t1"})
    )
    assert grants(generate_project(root, given))["Orders/PutFunction"] == {
        ("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:123456789012:table/t1")
    }


def test_a_root_without_functions_anywhere_is_still_an_error(tmp_path):
    root = write(
        tmp_path,
        {
            "template.yaml": "Resources:\n  Db:\n    Type: AWS::Serverless::Application\n    Properties:\n      Location: db/template.yaml\n",
            "db/template.yaml": "Resources:\n  Table:\n    Type: AWS::DynamoDB::Table\n",
        },
    )
    with pytest.raises(DeploymentError, match="nor do the nested templates it deploys"):
        generate_project(root, Options(target=TARGET))


def test_a_template_file_takes_the_region_its_folder_s_samconfig_states(tmp_path):
    root = write(
        tmp_path,
        {
            "orders-service.yaml": function("src", "orders"),
            "src/app.py": PUT,
            "samconfig.toml": '[default.deploy.parameters]\nregion = "eu-west-1"\n',
        },
    )
    for path in (root / "orders-service.yaml", root):
        result = generate_project(path, Options(target=Target("aws", "*", "123456789012")))
        assert grants(result)["PutFunction"] == {
            ("dynamodb:PutItem", "arn:aws:dynamodb:eu-west-1:123456789012:table/orders")
        }
