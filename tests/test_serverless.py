"""Serverless Framework reader on real-shaped serverless.yml files."""

from __future__ import annotations

import textwrap
from pathlib import Path

from policygen.deploy import serverless
from policygen.model import Target

TARGET = Target("aws", "us-east-1", "123456789012")
HANDLER = "import boto3\n\ndef handler(event, context):\n    boto3.client('sqs').send_message(QueueUrl='q', MessageBody='x')\n"


def service(tmp_path: Path, text: str, files: dict[str, str] | None = None) -> Path:
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "src" / "app.py").write_text(HANDLER)
    for name, content in (files or {}).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(content))
    (tmp_path / "serverless.yml").write_text(textwrap.dedent(text))
    return tmp_path / "serverless.yml"


def read(path: Path, stage: str | None = None, target: Target = TARGET):
    return {s.name: s for s in serverless.read(path, target, stage, path.parent)}


def test_a_function_in_another_runtime_is_listed_not_analysed(tmp_path):
    path = service(
        tmp_path,
        """
        service: mixed
        provider:
          name: aws
          runtime: python3.12
        functions:
          api:
            handler: src/app.handler
          web:
            handler: web/index.handler
            runtime: nodejs20.x
          img:
            image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/img:latest
        """,
    )
    specs = read(path)
    assert specs["api"].skipped is None and specs["api"].handler == "src.app.handler"
    assert specs["web"].skipped == "runtime nodejs20.x is not Python"
    assert "container image" in (specs["img"].skipped or "")
