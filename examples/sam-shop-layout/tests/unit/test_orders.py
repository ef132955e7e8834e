import json
from unittest import mock

from src.api import orders


def test_creates_order():
    with mock.patch("boto3.resource"), mock.patch("src.api.orders.publish"):
        response = orders.lambda_handler({"body": json.dumps({"sku": "a"})}, None)
    assert response["statusCode"] == 201
