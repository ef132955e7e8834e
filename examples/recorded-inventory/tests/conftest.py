import os
import sys
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "fn"))
for line in (Path(__file__).resolve().parent.parent / "inventory.env").read_text().splitlines():
    key, _, value = line.partition("=")
    os.environ.setdefault(key, value)
os.environ.update(
    AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1"
)


@pytest.fixture
def aws():
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        dynamodb.create_table(
            TableName=os.environ["STOCK_TABLE"],
            KeySchema=[{"AttributeName": "sku", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "sku", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        boto3.client("s3").create_bucket(Bucket=os.environ["REPORT_BUCKET"])
        yield


@pytest.fixture
def app(aws):
    sys.modules.pop("app", None)  # module-level clients must be made inside the mock
    import app

    return app
