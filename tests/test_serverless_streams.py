"""Serverless stream events read through an enhanced fan-out consumer (``consumer: true``, or a
consumer's ARN) and with an on-failure destination: the role the Framework creates carries the
statements the Framework's stream compiler writes for them, and what Lambda does with the role
(SubscribeToShard on the consumer, sending to the destination) is needed and granted."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from click.testing import CliRunner

from policygen.cli import main
from policygen.deploy import serverless
from policygen.model import Target

TARGET = Target("aws", "us-east-1", "123456789012")
HANDLER = "def handler(event, context):\n    return len(event['Records'])\n"
SERVICE = """
service: clicks
provider: {name: aws, runtime: python3.12, stage: dev, region: us-east-1}
functions:
  fanout:
    handler: src/app.handler
    events:
      - stream:
          type: kinesis
          arn: {Fn::GetAtt: [Clicks, Arn]}
          consumer: true
          destinations:
            onFailure:
              arn: {Fn::GetAtt: [Failures, Arn]}
              type: sqs
  named:
    handler: src/app.handler
    events:
      - stream:
          arn: arn:aws:kinesis:us-east-1:123456789012:stream/views
          consumer: arn:aws:kinesis:us-east-1:123456789012:stream/views/consumer/mine:1700000000
          destinations:
            onFailure: arn:aws:sns:us-east-1:123456789012:alerts
  plain:
    handler: src/app.handler
    events:
      - stream: arn:aws:kinesis:us-east-1:123456789012:stream/plain
resources:
  Resources:
    Clicks:
      Type: AWS::Kinesis::Stream
      Properties: {Name: clicks, ShardCount: 1}
    Failures:
      Type: AWS::SQS::Queue
      Properties: {QueueName: failures}
"""
ARN = "arn:aws:{}:us-east-1:123456789012:{}"


def project(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(HANDLER)
    (tmp_path / "serverless.yml").write_text(textwrap.dedent(SERVICE))
    return tmp_path


def test_the_framework_role_grants_consumers_and_on_failure_destinations(tmp_path):
    root = project(tmp_path)
    specs = {s.name: s for s in serverless.read(root / "serverless.yml", TARGET, None, root)}
    statements = specs["fanout"].deployed.statements  # the role is shared: every function's events
    granted = {(a, r) for s in statements for a in s.actions for r in s.resources}
    clicks, views = ARN.format("kinesis", "stream/clicks"), ARN.format("kinesis", "stream/views")
    for stream in (clicks, views):
        # read through a consumer: the Framework's fan-out statement, not DescribeStream/ListStreams
        assert {("kinesis:DescribeStreamSummary", stream), ("kinesis:ListShards", stream)} <= granted
        assert ("kinesis:DescribeStream", stream) not in granted
    assert ("kinesis:SubscribeToShard", clicks + "/consumer/fanoutClicksConsumer:*") in granted
    assert ("kinesis:SubscribeToShard", views + "/consumer/mine:1700000000") in granted
    plain = ARN.format("kinesis", "stream/plain")
    assert {("kinesis:DescribeStream", plain), ("kinesis:ListStreams", plain)} <= granted
    queue, topic = ARN.format("sqs", "failures"), ARN.format("sns", "alerts")
    assert {("sqs:SendMessage", queue), ("sqs:ListQueues", queue), ("sns:Publish", topic)} <= granted
    assert ("sns:Publish", queue) not in granted and ("sqs:SendMessage", topic) not in granted


def test_what_lambda_does_through_the_consumer_is_needed_and_granted(tmp_path):
    root = project(tmp_path)
    args = ["diff", str(root), "--region", "us-east-1", "--account", "123456789012", "--format", "json"]
    result = CliRunner().invoke(main, [*args, "--no-cache"])
    assert result.exit_code in (0, 1), result.stderr
    functions = json.loads(result.stdout)["functions"]
    for name in ("fanout", "named"):
        missing = {m["action"] for m in functions[name]["missing"]}
        assert not missing & {"kinesis:SubscribeToShard", "sqs:SendMessage", "sns:Publish"}, (name, missing)
