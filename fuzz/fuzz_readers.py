#!/usr/bin/env python3
"""Coverage-guided fuzzing of the readers that take untrusted text (atheris; outside CI).

    pip install atheris
    python fuzz/fuzz_readers.py source   -atheris_runs=200000
    python fuzz/fuzz_readers.py template -max_total_time=300

Targets: source (libcst lowering), template (CloudFormation/SAM loader), intrinsics (resolver on
JSON-decoded structures), envfile (the --env-file reader). Each accepts only policygen's own
located errors; anything else is a crash to fix.
"""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from policygen.cli import read_env_file
    from policygen.deploy.cfn_yaml import load_template
    from policygen.deploy.intrinsics import Context, resolve
    from policygen.errors import ConfigError, DeploymentError, SourceError
    from policygen.extract.lower import lower_source
    from policygen.model import Target

WORK = Path(tempfile.mkdtemp(prefix="policygen-fuzz-"))


def source(data: bytes) -> None:
    with contextlib.suppress(SourceError):
        lower_source("x.py", "x", False, data)


def template(data: bytes) -> None:
    path = WORK / "template.yaml"
    path.write_bytes(data)
    with contextlib.suppress(DeploymentError):
        load_template(path)


def intrinsics(data: bytes) -> None:
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return
    resources = {"T": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": {"Ref": "T"}}}}
    with contextlib.suppress(DeploymentError):
        resolve(value, Context(resources, {"P": {"Default": "d"}}, {}, {}, Target(), None, "t.yaml"))


def envfile(data: bytes) -> None:
    path = WORK / "deploy.env"
    path.write_bytes(data)
    with contextlib.suppress(ConfigError):
        read_env_file(path)


TARGETS = {"source": source, "template": template, "intrinsics": intrinsics, "envfile": envfile}

if __name__ == "__main__":
    name = sys.argv.pop(1) if len(sys.argv) > 1 and sys.argv[1] in TARGETS else "source"
    atheris.Setup(sys.argv, TARGETS[name])
    atheris.Fuzz()
