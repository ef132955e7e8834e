"""Serverless Framework ``serverless.yml`` -> `FunctionSpec`s.

Functions with their handler (``src/handler.main``), ``provider.environment`` merged with each
function's ``environment``, ``sqs``/``stream`` events, and ``provider.iam.role.statements`` (or
the older ``iamRoleStatements``) as the declared policy. Variables ``${self:...}``,
``${env:...}``, ``${opt:stage}``/``${sls:stage}``, ``${aws:region}``/``${aws:accountId}`` are
resolved where the file and the flags allow; CloudFormation intrinsics go through `intrinsics`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from policygen.deploy import platform
from policygen.deploy.cfn_yaml import LineDict, load_template
from policygen.deploy.declared import allow_statements
from policygen.deploy.intrinsics import Context, resolve
from policygen.errors import DeploymentError
from policygen.model import FunctionSpec, Hole, Policy, Target, Text

NAMES = ("serverless.yml", "serverless.yaml")
_VARIABLE = re.compile(r"\$\{([^{}]+)\}")
MAX_DEPTH = 10


def find(root: Path) -> Path | None:
    for name in NAMES:
        if (root / name).is_file():
            return root / name
    return None


class _Variables:
    def __init__(self, document: LineDict, target: Target, stage: str | None, path: str) -> None:
        self.document = document
        self.target = target
        self.stage = stage
        self.path = path

    def text(self, value: Any, depth: int = 0) -> Text:
        if not isinstance(value, str):
            return Text((Hole("a value that is not a string"),))
        if depth > MAX_DEPTH:
            raise DeploymentError(f"{self.path}: variables nest more than {MAX_DEPTH} levels (a cycle?)")
        parts: list[str | Hole] = []
        position = 0
        for match in _VARIABLE.finditer(value):
            parts.append(value[position : match.start()])
            parts.extend(self.variable(match.group(1), depth).parts)
            position = match.end()
        parts.append(value[position:])
        return Text.join(*parts)

    def variable(self, expression: str, depth: int) -> Text:
        source, _, fallback = expression.partition(",")
        source = source.strip()
        fallback = fallback.strip().strip("'\"")
        value: Any = None
        if source in ("opt:stage", "sls:stage", "self:provider.stage"):
            value = self.stage or _get(self.document, "provider.stage")
        elif source in ("aws:region", "opt:region", "self:provider.region"):
            value = (
                self.target.region if self.target.region != "*" else _get(self.document, "provider.region")
            )
        elif source == "aws:accountId":
            value = self.target.account if self.target.account != "*" else None
        elif source.startswith("self:"):
            value = _get(self.document, source[5:])
        # ${env:...} stays unknown: the analysing machine's environment is not the deployment's.
        if value is None and fallback:
            value = fallback
        if value is None:
            return Text((Hole(f"${{{expression}}} (give it with --stage or in the file)"),))
        return self.text(value, depth + 1) if isinstance(value, str) else Text.of(str(value))


def _get(document: Any, dotted: str) -> Any:
    value = document
    for key in dotted.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def read(path: Path, target: Target, stage: str | None, root: Path) -> list[FunctionSpec]:
    document = load_template(path)
    label = path.name
    variables = _Variables(document, target, stage, label)
    service = variables.text(document.get("service", "service"))
    stage_text = variables.text("${sls:stage, 'dev'}")
    provider = document.get("provider") or {}
    resources = ((document.get("resources") or {}).get("Resources")) or {}
    ctx = Context(resources, {}, {}, {}, target, None, label)
    functions = document.get("functions") or {}
    if not isinstance(functions, dict) or not functions:
        raise DeploymentError(f"{label}:{document.line}: declares no functions")
    provider_env = provider.get("environment") or {}
    statements = (
        (((provider.get("iam") or {}).get("role") or {}).get("statements"))
        or provider.get("iamRoleStatements")
        or []
    )
    deployed = _policy(statements, variables, ctx)
    specs = []
    for key, config in functions.items():
        if not isinstance(config, dict):
            continue
        line = config.line if isinstance(config, LineDict) else document.line
        skipped = _not_analysable(config, provider)
        handler = config.get("handler")
        if skipped is not None:
            handler = "."
        elif not isinstance(handler, str) or "." not in handler:
            raise DeploymentError(
                f"{label}:{line}: function {key} has no handler of the form path/module.function"
            )
        module_path, _, function_name = handler.rpartition(".")
        handler_dotted = None if skipped else module_path.replace("/", ".") + "." + function_name
        environment = []
        for name, value in {**provider_env, **(config.get("environment") or {})}.items():
            environment.append((str(name), (_value(value, variables, ctx),)))
        name = (
            _value(config["name"], variables, ctx)
            if config.get("name")
            else Text.join(service, "-", stage_text, "-", key)
        )
        sources = []
        for event in config.get("events") or []:
            if not isinstance(event, dict):
                continue
            for kind, spec in event.items():
                arn = spec.get("arn") if isinstance(spec, dict) else spec
                if kind == "sqs" and arn is not None:
                    sources.append(
                        platform.EventSource(
                            "sqs", (_value(arn, variables, ctx),), f"{label}:{line}", f"{key} sqs"
                        )
                    )
                elif kind == "stream" and arn is not None:
                    text = _value(arn, variables, ctx)
                    stream_kind = "dynamodb" if ":dynamodb:" in str(text) else "kinesis"
                    sources.append(
                        platform.EventSource(stream_kind, (text,), f"{label}:{line}", f"{key} stream")
                    )
        permissions, widenings = platform.for_function(
            platform.FunctionConfig(name=name, source=f"{label}:{line}", vpc=bool(config.get("vpc") or provider.get("vpc")),
                                    tracing=bool((provider.get("tracing") or {}).get("lambda")), event_sources=tuple(sources)),
            target,
        )  # fmt: skip
        specs.append(
            FunctionSpec(
                name=key,
                code_dir=".",
                handler=handler_dotted,
                environment=tuple(environment),
                platform=tuple(permissions),
                platform_widenings=tuple(widenings),
                deployed=deployed,
                kms_keys=(),
                source=f"{label}:{line}",
                skipped=skipped,
            )
        )
    return specs


def _not_analysable(config: Any, provider: Any) -> str | None:
    """Why policygen cannot read this function's code from the project, or None if it can."""
    if config.get("image") is not None:
        return "a container image (image:); analyse the image's code folder directly"
    runtime = config.get("runtime") or provider.get("runtime")
    if isinstance(runtime, str) and not runtime.startswith("python"):
        return f"runtime {runtime} is not Python"
    return None


def _value(value: Any, variables: _Variables, ctx: Context) -> Text:
    if isinstance(value, str):
        return variables.text(value)
    if isinstance(value, dict):
        return resolve(value, ctx)[0]
    if isinstance(value, int | float | bool):
        return Text.of(str(value))
    return Text((Hole("a value that is not a string"),))


def _policy(statements: Any, variables: _Variables, ctx: Context) -> Policy | None:
    raw = statements if isinstance(statements, list) else []
    out = allow_statements(raw, "Sls", lambda resource: [_value(resource, variables, ctx).pattern()])
    return Policy(tuple(out)) if out else None
