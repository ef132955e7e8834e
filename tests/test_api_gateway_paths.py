"""API Gateway's management API authorizes a request on its path: an operation that names no
resource (a listing, the account's settings) is granted on that path, not on '*' (every API,
key and certificate). Found on serverless-samples' api-account-inspector, whose six listings
were granted apigateway:GET on '*'."""

from __future__ import annotations

import textwrap

from policygen.model import Target
from policygen.options import Options
from policygen.pipeline import generate

CODE = textwrap.dedent(
    """
    import boto3

    apigw = boto3.client("apigateway")

    def handler(event, context):
        apigw.get_account()
        apigw.get_api_keys()
        apigw.get_rest_apis()
        return extra(**event)

    def extra(**params):
        return apigw.get_usage_plan(**params)
    """
)


def grants(tmp_path, region: str = "us-east-1"):
    (tmp_path / "app.py").write_text(CODE)
    result = generate(tmp_path, Options(target=Target("aws", region, "123456789012")))
    return {(p.action, p.resource) for p in result.permissions}, result.widenings


def test_operations_that_name_no_resource_are_granted_on_their_paths(tmp_path):
    granted, widenings = grants(tmp_path)
    arn = "arn:aws:apigateway:us-east-1::"
    assert {
        ("apigateway:GET", f"{arn}/account"),
        ("apigateway:GET", f"{arn}/apikeys"),
        # GetRestApis is listed under both path types of the reference: each is far narrower than '*'.
        ("apigateway:GET", f"{arn}/apis"),
        ("apigateway:GET", f"{arn}/restapis"),
    } | {("apigateway:GET", "*")} == granted
    # One that names a resource (here by arguments the analysis does not see) keeps '*', said:
    # checked against botocore's request paths, the 14 API Gateway operations this applies to
    # are exactly those whose path names no resource.
    assert [w.reason for w in widenings if str(w.resource) == "*"] == [
        "apigateway.get_usage_plan names none of the optional resource types of apigateway:GET (UsagePlan, UsagePlanKeys): "
        "IAM authorizes the call on '*', which also covers every resource of those types"
    ]


def test_without_a_region_the_path_is_in_every_region_and_said(tmp_path):
    granted, widenings = grants(tmp_path, region="*")
    assert ("apigateway:GET", "arn:aws:apigateway:*::/account") in granted
    assert any(w.reason == "no --region given" and str(w.resource).endswith("::/account") for w in widenings)
