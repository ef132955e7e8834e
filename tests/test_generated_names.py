"""Names CloudFormation generates (``<stack>-<LogicalId>-<suffix>``) compared with the role the
template declares: the suffix is part of one name, so ``table/shop-Orders-*`` is the table alone
and ``table/shop-Orders-*/index/*`` (which SAM's DynamoDBCrudPolicy adds) is more than it; outside
such a comparison ``*`` stays IAM's, crossing ``/``."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from policygen.cli import main
from policygen.policy.patterns import VariableView, contains, generated_names, matches, resource_pattern

TABLE = "arn:aws:dynamodb:us-east-1:111122223333:table/shop-Orders-*"
WIDE = VariableView.WIDE


def test_the_generated_part_stays_within_one_name():
    with generated_names(["shop-Orders-"]):
        table, indexes = resource_pattern(TABLE), resource_pattern(TABLE + "/index/*")
        assert matches(table, TABLE[:-1] + "A1B2C3", WIDE)
        assert not matches(table, TABLE[:-1] + "A1B2C3/index/byDate", WIDE)
        assert matches(indexes, TABLE[:-1] + "A1B2C3/index/byDate", WIDE)
        assert not contains(table, indexes, WIDE, WIDE)
        assert contains(resource_pattern(TABLE[:-1] + "*"), table, WIDE, WIDE)
        # a prefix inside another name is not the generated name: myshop-Orders-* is IAM's '*'
        other = resource_pattern("arn:aws:dynamodb:us-east-1:111122223333:table/myshop-Orders-*")
        assert matches(other, "arn:aws:dynamodb:us-east-1:111122223333:table/myshop-Orders-x/index/y", WIDE)
    # outside the comparison, IAM's '*' crosses '/'
    assert contains(resource_pattern(TABLE), resource_pattern(TABLE + "/index/*"), WIDE, WIDE)


HANDLER = """import os
import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    TABLE.put_item(Item={"id": event["id"]})
"""

SAM = """AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      BillingMode: PAY_PER_REQUEST
  Put:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      Environment:
        Variables:
          TABLE_NAME: !Ref Orders
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref Orders
"""


def diff(root: Path) -> dict:
    result = CliRunner().invoke(
        main,
        ["diff", str(root), "--stack-name", "shop", "--region", "us-east-1", "--account", "111122223333",
         "--format", "json", "--no-cache"],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    [body] = json.loads(result.stdout)["functions"].values()
    return body


def test_sam_crud_policy_on_a_generated_table_name_is_widened_to_its_indexes(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(HANDLER)
    (tmp_path / "template.yaml").write_text(SAM)
    body = diff(tmp_path)
    assert body["missing"] == []
    widened = {w["action"]: w for w in body["widened"]}
    assert "dynamodb:PutItem" in widened, body["widened"]
    put = widened["dynamodb:PutItem"]
    assert put["needed"] == [TABLE]
    assert "/index/" in put["example"]


def test_a_lift_storage_bucket_name_is_generated_too(tmp_path):
    from policygen.deploy import serverless
    from policygen.model import Target

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(HANDLER)
    (tmp_path / "serverless.yml").write_text(
        "service: site\nprovider: {name: aws, runtime: python3.12}\nconstructs:\n  avatars: {type: storage}\n"
        "functions:\n  api:\n    handler: src/app.handler\n"
    )
    [api] = serverless.read(tmp_path / "serverless.yml", Target(), None, tmp_path)
    assert "site-dev-avatarsbucket" in api.generated_names
    bucket = "arn:aws:s3:::site-dev-avatarsbucket*"
    with generated_names(api.generated_names):
        # the bucket's own ARN pattern no longer covers its objects; the objects' pattern does
        assert not matches(resource_pattern(bucket), "arn:aws:s3:::site-dev-avatarsbucket1a2b/x.png", WIDE)
        assert matches(resource_pattern(bucket + "/*"), "arn:aws:s3:::site-dev-avatarsbucket1a2b/x.png", WIDE)
