"""An SQS QueueUrl that holds a queue's name rather than its URL (a template's
``!GetAtt Queue.QueueName`` in the environment, a bare name): the policy names that queue, where
it was widened to every queue of the account."""

from __future__ import annotations

import textwrap
from pathlib import Path

from policygen.model import Target
from policygen.options import DeployOptions, Options
from policygen.pipeline import generate
from policygen.project import generate_project

TARGET = Target("aws", "us-east-1", "123456789012")
SEND = textwrap.dedent(
    """
    import os
    import boto3

    sqs = boto3.client("sqs")

    def handler(event, context):
        sqs.send_message(QueueUrl=os.environ["QUEUE"], MessageBody="x")
    """
)
TEMPLATE = textwrap.dedent(
    """
    Transform: AWS::Serverless-2016-10-31
    Resources:
      WorkQueue:
        Type: AWS::SQS::Queue
      Sender:
        Type: AWS::Serverless::Function
        Properties:
          Runtime: python3.12
          CodeUri: src
          Handler: app.handler
          Environment:
            Variables:
              QUEUE: !GetAtt WorkQueue.QueueName
    """
)


def sends(result: object) -> set[str]:
    return {p.resource for p in result.permissions if p.action == "sqs:SendMessage"}  # type: ignore[attr-defined]


def project(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(SEND)
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    return tmp_path


def test_a_queue_name_from_the_template_scopes_the_send(tmp_path):
    root = project(tmp_path)
    (function,) = generate_project(root, Options(target=TARGET)).functions  # type: ignore[union-attr]
    assert sends(function.result) == {"arn:aws:sqs:us-east-1:123456789012:*-WorkQueue-*"}
    named = Options(target=TARGET, deploy=DeployOptions(stack_name="jobs"))
    (function,) = generate_project(root, named).functions  # type: ignore[union-attr]
    assert sends(function.result) == {"arn:aws:sqs:us-east-1:123456789012:jobs-WorkQueue-*"}


def test_a_bare_queue_name_and_a_url_both_name_the_queue(tmp_path):
    (tmp_path / "app.py").write_text(SEND)
    for value in ("jobs", "https://sqs.eu-west-1.amazonaws.com/210987654321/jobs"):
        result = generate(tmp_path, Options(target=TARGET, environment={"QUEUE": value}))
        account = "210987654321" if value.startswith("https") else "123456789012"
        region = "eu-west-1" if value.startswith("https") else "us-east-1"
        assert sends(result) == {f"arn:aws:sqs:{region}:{account}:jobs"}


def test_a_url_whose_start_is_unknown_keeps_its_known_name(tmp_path):
    (tmp_path / "app.py").write_text(SEND.replace('os.environ["QUEUE"]', 'os.environ["BASE"] + "/jobs"'))
    assert sends(generate(tmp_path, Options(target=TARGET))) == {"arn:aws:sqs:us-east-1:123456789012:jobs"}


def test_a_value_that_may_be_any_url_is_still_widened_and_said(tmp_path):
    (tmp_path / "app.py").write_text(SEND)
    result = generate(tmp_path, Options(target=TARGET))
    assert sends(result) == {"arn:aws:sqs:us-east-1:123456789012:*"}
    assert any(w.action == "sqs:SendMessage" for w in result.widenings)
