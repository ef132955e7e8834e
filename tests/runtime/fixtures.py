"""Small builders for the resources runtime cases need (called by a case's `setup`, enforcement off)."""

from __future__ import annotations

import json
from collections.abc import Mapping

import boto3

from .harness import ACCOUNT, REGION


def table(name: str, *, index: str | None = None, region: str = REGION, items: tuple[dict, ...] = ()) -> None:
    """A pay-per-request table keyed by `pk` (string), optionally with a GSI on `customer`."""
    extra: dict = {}
    attributes = [{"AttributeName": "pk", "AttributeType": "S"}]
    if index:
        attributes.append({"AttributeName": "customer", "AttributeType": "S"})
        extra["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index,
                "KeySchema": [{"AttributeName": "customer", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ]
    client = boto3.client("dynamodb", region_name=region)
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=attributes,
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )
    resource_table = boto3.resource("dynamodb", region_name=region).Table(name)
    for item in items:
        resource_table.put_item(Item=item)


def bucket(name: str, objects: Mapping[str, bytes] = {}) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=name)
    for key, body in objects.items():
        s3.put_object(Bucket=name, Key=key, Body=body)


def queue(name: str, messages: tuple[dict, ...] = ()) -> str:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    for message in messages:
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(message))
    return url


def queue_url(name: str) -> str:
    return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}"


def topic(name: str) -> str:
    return boto3.client("sns", region_name=REGION).create_topic(Name=name)["TopicArn"]


def topic_arn(name: str) -> str:
    return f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}"


def secret(name: str, value: str) -> None:
    boto3.client("secretsmanager", region_name=REGION).create_secret(Name=name, SecretString=value)


def role(name: str, policy: Mapping[str, object]) -> str:
    """A role anyone may assume (the function's own role is the one being tested), with `policy`."""
    iam = boto3.client("iam", region_name=REGION)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="own", PolicyDocument=json.dumps(policy))
    return str(arn)
