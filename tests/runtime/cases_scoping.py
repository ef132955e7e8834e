"""Issue 10, resources chosen from what the call names: the SES v2 identity inside a display name
with its configuration set, Lambda qualifiers carried in FunctionName or Qualifier, a KMS key
named by its alias ARN."""

from __future__ import annotations

import io
import json
import zipfile

import boto3

from .harness import ACCOUNT, REGION, Case


def _newsletter() -> None:
    ses = boto3.client("ses", region_name=REGION)
    ses.verify_email_identity(EmailAddress="news@acme-shop.example")
    ses.create_configuration_set(ConfigurationSet={"Name": "newsletter-tracking"})


def _thumbs() -> None:
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="thumbs", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("thumbs.py", "def handler(event, context):\n    return event\n")
    client = boto3.client("lambda", region_name=REGION)
    version = client.create_function(
        FunctionName="thumbs", Runtime="python3.12", Role=role["Role"]["Arn"], Handler="thumbs.handler",
        Code={"ZipFile": code.getvalue()}, Publish=True,
    )["Version"]
    client.create_alias(FunctionName="thumbs", Name="live", FunctionVersion=version)


def _vault() -> None:
    kms = boto3.client("kms", region_name=REGION)
    kms.create_alias(AliasName="alias/vault", TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])


CASES = (
    Case(
        "newsletter_v2",
        _newsletter,
        frozenset({"ses:SendEmail"}),
        env={"TRACKING_SET": "newsletter-tracking"},
        events=({"subscribers": ["a@example.org", "b@example.org"], "digest": "news"},),
    ),
    Case(
        "thumbs_alias",
        _thumbs,
        frozenset({"lambda:InvokeFunction"}),
        events=({"key": "uploads/cat.jpg"},),
    ),
    Case(
        "vault_alias_arn",
        _vault,
        frozenset({"kms:GenerateDataKey", "kms:Decrypt"}),
        env={"AWS_REGION": REGION, "ACCOUNT_ID": ACCOUNT},
        events=({},),
    ),
)
