"""Issue 10, which resource a call needs: the resource type a call names (Bedrock, EC2), the SES
identity in `Source`, a Lambda qualifier, a KMS key named by alias, and the reads and writes
services perform with the caller's credentials (Athena, Rekognition)."""

from __future__ import annotations

import io
import json
import zipfile

import boto3

from . import fixtures
from .harness import DOCUMENTED, REGION, Case

ATHENA = (
    "issue 10: Athena reads the tables' data from S3 at their Glue locations, which the code does not "
    "name: reported as unresolved, not granted (s3:GetObject/ListBucket on the data)"
)
SIDE = "performed by {} with the caller's credentials; moto does not simulate it"


def _bedrock() -> None:
    pass  # foundation models exist in every account


def _mailer() -> None:
    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress="orders@acme-shop.example")


def _pricing() -> None:
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="pricing", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("pricing.py", "def handler(event, context):\n    return 1\n")
    client = boto3.client("lambda", region_name=REGION)
    version = client.create_function(
        FunctionName="pricing", Runtime="python3.12", Role=role["Role"]["Arn"], Handler="pricing.handler",
        Code={"ZipFile": code.getvalue()}, Publish=True,
    )["Version"]
    client.create_alias(FunctionName="pricing", Name="prod", FunctionVersion=version)


def _kms() -> None:
    kms = boto3.client("kms", region_name=REGION)
    kms.create_alias(AliasName="alias/app-data", TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])


def _athena() -> None:
    fixtures.bucket("acme-athena-results")
    fixtures.bucket("acme-sales-data", {"orders/part-0.csv": b"eu,10\n"})


def _images() -> None:
    fixtures.bucket("acme-images", {"uploads/cat.jpg": b"\xff\xd8"})


def _instances() -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    ec2.run_instances(
        ImageId="ami-12c6146b", MinCount=1, MaxCount=1,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "team", "Value": "data"}]}],
    )


ATHENA_SIDE = {
    # Athena reads the catalog and the data and writes results as the caller (Athena user guide,
    # "Access to Amazon S3" and "Fine-grained access to databases and tables in the Glue Data Catalog")
    "glue:GetDatabase": SIDE.format("Athena"),
    "glue:GetTable": SIDE.format("Athena"),
    "s3:GetBucketLocation": SIDE.format("Athena"),
    "s3:GetObject": SIDE.format("Athena"),
    "s3:ListBucket": SIDE.format("Athena"),
    "s3:PutObject": SIDE.format("Athena"),
}

CASES = (
    Case(
        "model_summary",
        _bedrock,
        frozenset({"bedrock:InvokeModel"}),
        events=({"ticket": "printer on fire"},),
    ),
    Case(
        "order_mailer",
        _mailer,
        frozenset({"ses:SendEmail"}),
        events=({"email": "buyer@example.org", "id": "o-1"},),
    ),
    Case(
        "invoke_prod",
        _pricing,
        frozenset({"lambda:InvokeFunction"}),
        env={"PRICING_FUNCTION": "pricing"},
        events=({"sku": "a-1"},),
    ),
    Case(
        "kms_envelope",
        _kms,
        frozenset({"kms:Encrypt", "kms:Decrypt"}),
        events=({"note": "call after 5pm"},),
    ),
    Case(
        "athena_report",
        _athena,
        frozenset(
            {"athena:StartQueryExecution", "athena:GetQueryExecution", "glue:GetPartitions",
             "s3:ListBucketMultipartUploads", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"}
            | set(ATHENA_SIDE)
        ),
        env={"SALES_DATABASE": "sales", "RESULTS_BUCKET": "acme-athena-results"},
        unjudged={**ATHENA_SIDE, "glue:GetPartitions": SIDE.format("Athena"),
                  "s3:ListBucketMultipartUploads": SIDE.format("Athena"),
                  "s3:ListMultipartUploadParts": SIDE.format("Athena"),
                  "s3:AbortMultipartUpload": SIDE.format("Athena")},
        known={DOCUMENTED: ATHENA},
    ),
    Case(
        "label_images",
        _images,
        # Rekognition reads an S3Object input with the caller's permissions (Rekognition developer
        # guide, "Analyzing an image stored in an Amazon S3 bucket")
        frozenset({"rekognition:DetectLabels", "s3:GetObject"}),
        events=({"Records": [{"s3": {"object": {"key": "uploads/cat.jpg"}}}]},),
        unjudged={"s3:GetObject": SIDE.format("Rekognition")},
    ),
    Case(
        "tag_instances",
        _instances,
        frozenset({"ec2:DescribeInstances", "ec2:CreateTags"}),
        events=({"team": "data"},),
        wide={"ec2:CreateTags": "the instance ids come from DescribeInstances at run time"},
    ),
)
