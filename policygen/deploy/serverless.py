"""Serverless Framework ``serverless.yml`` -> `FunctionSpec`s.

Functions with their handler (``src/handler.main``, under ``module`` when given),
``provider.environment`` merged with each function's ``environment``, their event sources (SQS,
Kinesis/DynamoDB streams, S3, SNS), destinations and ``onError``, and
``provider.iam.role.statements`` (or the older ``iamRoleStatements``; a function's own
``iamRoleStatements`` as serverless-iam-roles-per-function reads them) as the declared policy.
Variables are resolved first (`sls_variables`); CloudFormation intrinsics go through
`intrinsics`, against ``resources.Resources`` and the resources the Framework generates
(``<Function>LambdaFunction``, ``IamRoleLambdaExecution``). Functions that plugins declare
(serverless-lift ``constructs``) are read through `lift`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from policygen.deploy import cfn_role
from policygen.deploy.cfn_yaml import LineDict, load_template
from policygen.deploy.declared import declared_statements
from policygen.deploy.events import object_keys, pattern_fields
from policygen.deploy.intrinsics import Context, resolve
from policygen.deploy.lift import Lift
from policygen.deploy.sls_variables import Variables
from policygen.discover import normalize_handler
from policygen.errors import DeploymentError
from policygen.evidence.deployment import DESTINATION_ACTIONS
from policygen.model import (
    Destination,
    EventSource,
    FunctionConfig,
    FunctionSpec,
    Hole,
    Location,
    Target,
    Text,
    Trigger,
)
from policygen.policy.document import PolicyDocument

NAMES = ("serverless.yml", "serverless.yaml")
WSGI_HANDLERS = ("wsgi_handler.handler", "wsgi.handler")  # serverless-wsgi's generated entry point


def find(root: Path) -> Path | None:
    for name in NAMES:
        if (root / name).is_file():
            return root / name
    return None


def stated_region(path: Path, target: Target, stage: str | None, root: Path) -> tuple[str, str] | None:
    """The region the service deploys to as it states it (``provider.region``, its variables
    resolved as the Framework would without ``--region``), with where; None when it states none
    or its value is not known offline."""
    raw = load_template(path)
    provider = raw.get("provider")
    if not isinstance(provider, LineDict) or "region" not in provider:
        return None
    value = Variables(raw, target, stage, path, root).resolve(provider["region"])
    text = value.known if isinstance(value, Text) else value if isinstance(value, str) else None
    if not text or "${" in text:
        return None
    return text, f"{path.name}:{provider.line_of('region')} provider.region"


def normalized(function_key: str) -> str:
    """The logical id stem the Framework gives a function (``get-user`` -> ``GetDashuser``)."""
    name = function_key.replace("-", "Dash").replace("_", "Underscore")
    return name[:1].upper() + name[1:]


def read(path: Path, target: Target, stage: str | None, root: Path) -> list[FunctionSpec]:
    raw = load_template(path)
    label = path.name
    variables = Variables(raw, target, stage, path, root)
    stack = Text.join(variables.text("${self:service}"), "-", variables.text("${sls:stage}"))
    plugin = Lift(raw.get("constructs"), stack, target, label)
    variables.constructs = plugin.variable
    document = variables.resolve(raw)
    provider = _mapping(document.get("provider"))
    functions = _functions(document.get("functions"))
    constructs = Lift(document.get("constructs"), stack, target, label).read()
    functions.update(constructs.functions)
    for key, events in constructs.worker_events.items():
        if key in functions:
            functions[key] = {**functions[key], "events": [*(functions[key].get("events") or []), *events]}
    if not functions:
        raise DeploymentError(f"{label}:{raw.line}: declares no functions")
    resources = _resources(document.get("resources"))
    names = {key: _function_name(key, config, stack) for key, config in functions.items()}
    generated: dict[str, Any] = {
        f"{normalized(key)}LambdaFunction": {
            "Type": "AWS::Lambda::Function",
            "Properties": {"FunctionName": name},
        }
        for key, name in names.items()
    }
    generated["IamRoleLambdaExecution"] = {
        "Type": "AWS::IAM::Role",
        "Properties": {"RoleName": Text.join(stack, "-", variables.text("${aws:region}"), "-lambdaRole")},
    }
    ctx = Context({**generated, **resources}, {}, {}, {}, target, stack.known, label)
    ctx.generated.update(constructs.generated)
    provider_env = _mapping(provider.get("environment"))
    provider_statements = [
        *(
            _mapping(_mapping(provider.get("iam")).get("role")).get("statements")
            or provider.get("iamRoleStatements")
            or []
        ),
        *constructs.statements,
    ]
    notes = tuple(variables.assumptions) + constructs.notes
    managed: list[str] = []
    listed = _mapping(_mapping(provider.get("iam")).get("role")).get("managedPolicies") or provider.get(
        "iamManagedPolicies"
    )
    unknown: list[str] = []
    for arn in listed if isinstance(listed, list) else []:
        known_arn = _value(arn, ctx).known
        if known_arn is not None:
            managed.append(known_arn)
        else:
            notes += (
                f"{label}: managed policy {_value(arn, ctx)} is not known; not expanded in the comparison",
            )
            unknown.append(f"managed policy {_value(arn, ctx)} ({label}): its ARN is not known")
    iam_role = _mapping(_mapping(provider.get("iam")).get("role"))
    boundary_value = iam_role.get("permissionsBoundary") or provider.get("rolePermissionsBoundary")
    boundary = (
        cfn_role.boundary(boundary_value, ctx, label, getattr(iam_role, "line", raw.line), "provider.iam.role")
        if boundary_value is not None
        else None
    )
    role = _mapping(provider.get("iam")).get("role") or provider.get("role")
    framework_role = _creates_role(role)
    if framework_role:
        framework_statements = _framework_statements(functions, names, stack, ctx, label)
        if any(config.get("vpc") for config in functions.values()) or provider.get("vpc"):
            managed.append("arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole")
    specs = []
    for key, config in functions.items():
        line = config.line if isinstance(config, LineDict) else raw.line
        where = f"{label}:{line}"
        skipped = _not_analysable(config, provider)
        handler = config.get("handler")
        try:  # a function the reader cannot read is that function's failure; the others go on
            if skipped is None and (not isinstance(handler, str) or "." not in handler):
                raise DeploymentError(
                    f"{where}: function {key} has no handler of the form path/module.function"
                )
            code_dir = _code_dir(config, key, where, path, root) if skipped is None else "."
        except DeploymentError as exc:
            specs.append(FunctionSpec.unreadable(key, where, str(exc)))
            continue
        handler_dotted = None
        function_notes: tuple[str, ...] = ()
        wsgi_app = _mapping(_mapping(document.get("custom")).get("wsgi")).get("app")
        if skipped is None and handler in WSGI_HANDLERS and isinstance(wsgi_app, str):
            # serverless-wsgi writes the handler module at packaging time; it serves the WSGI app
            # (Flask, Django...) whose every route can run: no single entry point to start from.
            function_notes = (
                f"{where}: {key}: serverless-wsgi's {handler} serves the app {wsgi_app}; every function of the "
                "code counts as reachable",
            )
        elif skipped is None and isinstance(handler, str):
            handler_dotted = normalize_handler(handler)
        environment = [
            (str(name), (_value(value, ctx),))
            for name, value in {**provider_env, **_mapping(config.get("environment"))}.items()
        ]
        statements = config.get("iamRoleStatements")
        if statements is None:
            statements = provider_statements
        elif config.get("iamRoleStatementsInherit"):
            statements = [*provider_statements, *statements]
        if framework_role and "role" not in config:
            # The role the Framework creates: its own statements, after the service's so that
            # an error in the service's Statement[i] names the i the user wrote.
            statements = [*statements, *framework_statements]
        errors: list[str] = []  # statements IAM would reject
        sources, triggers = _event_sources(config, key, Location(label, line), ctx)
        function_config = FunctionConfig(
            name=names[key],
            source=Location(label, line),
            vpc=bool(config.get("vpc") or provider.get("vpc")),
            tracing=(config["tracing"] if "tracing" in config else _mapping(provider.get("tracing")).get("lambda"))
            in (True, "Active", "true"),
            event_sources=tuple(sources),
            destinations=tuple(_destinations(config, ctx, names)),
            role_arn=_role_arn(config.get("role") or role, ctx),
        )  # fmt: skip
        specs.append(
            FunctionSpec(
                name=key,
                code_dir=code_dir,
                handler=handler_dotted,
                environment=tuple(environment),
                deployed=_policy(statements, ctx, errors, label, line),
                kms_keys=(),
                source=where,
                notes=notes + function_notes,
                skipped=skipped,
                triggers=triggers,
                managed_policies=tuple(managed),
                config=function_config,
                boundary=boundary,
                unknown_policies=tuple(unknown),
                policy_errors=tuple(errors),
            )
        )
    names_generated = tuple(sorted(ctx.generated))
    return [replace(spec, generated_names=names_generated) for spec in specs]


def _creates_role(role: Any) -> bool:
    """Whether the Framework creates the execution role (``IamRoleLambdaExecution``): no role is
    named, or ``provider.iam.role`` configures the one it creates (statements, managed policies)."""
    if role is None:
        return True
    return isinstance(role, dict) and not any(str(key) == "Ref" or str(key).startswith("Fn::") for key in role)


# What the Framework's role grants besides the statements the service declares: a functions'
# log groups (by the stack's name prefix, and each function named otherwise), what Lambda polls
# for the queue and stream events, a stream read through an enhanced fan-out consumer (other
# stream actions, and SubscribeToShard on the consumer) and a stream's on-failure destination
# (the Framework's compile/events/sqs and stream plugins).
_POLLING = {
    "sqs": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
    "dynamodb": [
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:DescribeStream",
        "dynamodb:ListStreams",
    ],
    "kinesis": ["kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:DescribeStream", "kinesis:ListStreams"],
    "kinesis-fan-out": [
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:DescribeStreamSummary",
        "kinesis:ListShards",
    ],
    "kinesis-consumer": ["kinesis:SubscribeToShard"],
    "sns-on-failure": ["sns:Publish"],
    "sqs-on-failure": ["sqs:ListQueues", "sqs:SendMessage"],
}


def _framework_statements(
    functions: dict[str, Any], names: dict[str, Text], stack: Text, ctx: Context, label: str
) -> list[dict[str, Any]]:
    groups: list[Text] = []
    canonical = False
    for key in functions:
        name = names[key]
        if str(name).startswith(str(stack)):
            canonical = True
        else:
            groups.append(Text.join("/aws/lambda/", name))
    if canonical:
        groups.insert(0, Text.join("/aws/lambda/", stack, "*"))
    log_groups = [_arn(ctx, "logs", Text.join("log-group:", group, ":*")) for group in groups]
    statements: list[dict[str, Any]] = [
        {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:CreateLogGroup", "logs:TagResource"],
         "Resource": log_groups},
        {"Effect": "Allow", "Action": ["logs:PutLogEvents"], "Resource": [Text.join(g, ":*") for g in log_groups]},
    ]  # fmt: skip
    polled: dict[str, list[Text]] = {}
    for key, config in functions.items():
        sources, _ = _event_sources(config, key, Location(label, 0), ctx)
        consumed = {s.name.removesuffix(" consumer") for s in sources if s.kind == "kinesis-consumer"}
        for source in sources:
            kind = "kinesis-fan-out" if source.kind == "kinesis" and source.name in consumed else source.kind
            polled.setdefault(kind, []).extend(source.arns)
        for destination in _stream_failures(config, ctx):
            polled.setdefault(f"{destination.kind}-on-failure", []).extend(destination.arns)
    for kind, arns in polled.items():
        if kind in _POLLING:
            statements.append({"Effect": "Allow", "Action": _POLLING[kind], "Resource": arns})
    return statements


def _stream_failures(config: dict[str, Any], ctx: Context) -> list[Destination]:
    """The on-failure destinations of the function's stream events, as the Framework grants
    them: an SNS topic (``type: sns``, or an ARN of the sns service), else an SQS queue."""
    out = []
    for event in config.get("events") or []:
        stream = _mapping(event).get("stream") if isinstance(event, dict) else None
        failure = _mapping(_mapping(stream).get("destinations")).get("onFailure")
        arn = _arn_of(failure)
        if arn is None:
            continue
        arns = tuple(resolve(arn, ctx))
        declared = failure.get("type") if isinstance(failure, dict) else None
        service = declared or (str(arns[0]).split(":")[2] if str(arns[0]).count(":") >= 2 else "")
        out.append(Destination("sns" if service == "sns" else "sqs", arns, "stream destinations.onFailure"))
    return out


def _role_arn(role: Any, ctx: Context) -> Text | None:
    """The execution role's ARN: an ARN given, a role of ``resources`` named, or the one the
    Framework creates (``<service>-<stage>-<region>-lambdaRole``)."""
    if isinstance(role, str) and not role.startswith("arn:"):
        role = {"Fn::GetAtt": [role, "Arn"]}
    elif not isinstance(role, str | Text | dict) or (isinstance(role, dict) and "statements" in role):
        role = {"Fn::GetAtt": ["IamRoleLambdaExecution", "Arn"]}
    if isinstance(role, Text):
        return role
    texts = resolve(role, ctx)
    return texts[0] if len(texts) == 1 else None


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _functions(value: Any) -> dict[str, Any]:
    """``functions:`` as a mapping, or a list of mappings (``- ${file(./functions.yml)}``)."""
    out: dict[str, Any] = {}
    for part in value if isinstance(value, list) else [value]:
        for key, config in _mapping(part).items():
            if isinstance(config, dict):
                out[str(key)] = config
    return out


def _resources(value: Any) -> dict[str, Any]:
    """``resources.Resources``, or every ``Resources`` of a list (``- ${file(./dynamodb.yml)}``)."""
    out: dict[str, Any] = {}
    for part in value if isinstance(value, list) else [value]:
        out.update(_mapping(_mapping(part).get("Resources")))
    return out


def _function_name(key: str, config: dict[str, Any], stack: Text) -> Text:
    name = config.get("name")
    if isinstance(name, Text):
        return name
    if isinstance(name, str) and name:
        return Text.of(name)
    return Text.join(stack, "-", key)


def _code_dir(config: dict[str, Any], key: str, where: str, path: Path, root: Path) -> str:
    """The function's code folder: the service's, or its ``module`` (packaged on its own)."""
    module = config.get("module")
    if not isinstance(module, str) or not module.strip("./"):
        return "."
    target = (path.parent / module).resolve()
    try:
        relative = target.relative_to(root.resolve())
    except ValueError:
        raise DeploymentError(f"{where}: function {key}'s module {module} is outside the project") from None
    if not target.is_dir():
        raise DeploymentError(f"{where}: function {key}'s module folder {module} does not exist")
    return relative.as_posix()


def _not_analysable(config: Any, provider: Any) -> str | None:
    """Why policygen cannot read this function's code from the project, or None if it can."""
    if config.get("image") is not None:
        return "a container image (image:); analyse the image's code folder directly"
    runtime = config.get("runtime") or provider.get("runtime")
    if isinstance(runtime, str) and not runtime.startswith("python"):
        return f"runtime {runtime} is not Python"
    return None


def _arn_of(spec: Any) -> Any:
    """An event's ARN: the value itself, its ``arn`` key, or an intrinsic written in its place."""
    if isinstance(spec, dict):
        if "arn" in spec:
            return spec["arn"]
        if len(spec) == 1 and next(iter(spec)) in (
            "Ref",
            "Fn::GetAtt",
            "Fn::Sub",
            "Fn::Join",
            "Fn::ImportValue",
        ):
            return spec
        return None
    return spec


def _event_sources(
    config: dict[str, Any], key: str, where: Location, ctx: Context
) -> tuple[list[EventSource], tuple[Trigger, ...]]:
    sources: list[EventSource] = []
    shape: list[Trigger] = []
    for event in config.get("events") or []:
        if not isinstance(event, dict):
            continue
        line = event.line if isinstance(event, LineDict) else 0
        at = Location(where.path, line) if line else where
        for kind, spec in event.items():
            arn = _arn_of(spec)
            if kind == "sqs" and arn is not None:
                arns = tuple(resolve(arn, ctx))
                sources.append(EventSource("sqs", arns, at, f"{key} sqs"))
                shape.append(Trigger("sqs", arns))
            elif kind == "stream" and arn is not None:
                stream = _stream(spec, arn, key, ctx)
                sources.append(EventSource(stream.kind, stream.arns, at, f"{key} stream"))
                if stream.consumers:
                    sources.append(EventSource("kinesis-consumer", stream.consumers, at, f"{key} stream consumer"))
                shape.append(Trigger(stream.kind, stream.arns))
            elif kind == "s3":
                bucket = spec.get("bucket") if isinstance(spec, dict) else spec
                rules = (spec.get("rules") if isinstance(spec, dict) else None) or []
                filters = {k: v for r in rules if isinstance(r, dict) for k, v in r.items()}
                keys = object_keys(filters.get("prefix"), filters.get("suffix"))
                if bucket is not None:
                    shape.append(Trigger("s3", tuple(resolve(bucket, ctx)), keys))
            elif kind in ("eventBridge", "cloudwatchEvent") and isinstance(spec, dict):
                fields = pattern_fields(spec.get("pattern") or spec.get("event"), lambda v: resolve(v, ctx))
                if fields:
                    shape.append(Trigger("eventbridge", (), fields=fields))
            elif kind == "sns":
                topic = spec.get("arn") or spec.get("topicName") if isinstance(spec, dict) else spec
                if topic is not None:
                    shape.append(Trigger("sns", tuple(_topic_arn(t, ctx) for t in resolve(topic, ctx))))
    return sources, tuple(shape)


@dataclass(frozen=True)
class _Stream:
    """A ``stream`` event as the Framework compiles it: the stream, and the enhanced fan-out
    consumers its mapping reads through (``consumer: true`` registers one, or an ARN names one)."""

    kind: str  # dynamodb, kinesis
    arns: tuple[Text, ...]
    consumers: tuple[Text, ...] = ()


def _stream(spec: Any, arn: Any, key: str, ctx: Context) -> _Stream:
    arns = tuple(resolve(arn, ctx))
    declared = spec.get("type") if isinstance(spec, dict) else None
    kind = declared if declared in ("dynamodb", "kinesis") else (
        "dynamodb" if ":dynamodb:" in str(arns[0]) else "kinesis"
    )  # fmt: skip
    consumer = spec.get("consumer") if isinstance(spec, dict) and kind == "kinesis" else None
    if consumer is True:
        # The Framework registers <function key><stream name>Consumer on the stream (the stream
        # name as its event names it: the logical id of a GetAtt or Ref, an ARN's last part);
        # its Ref, the consumer's ARN, ends with the registration's time.
        name = f"{key}{_stream_name(arn)}Consumer"
        created = Hole(f"the creation time of the stream consumer {name}")
        return _Stream(kind, arns, tuple(Text.join(a, f"/consumer/{name}:", created) for a in arns))
    if consumer:
        return _Stream(kind, arns, tuple(resolve(consumer, ctx)))
    return _Stream(kind, arns)


def _stream_name(arn: Any) -> str:
    """The stream's name as the Framework's naming takes it from an event's ``arn``."""
    if isinstance(arn, dict):
        if isinstance(arn.get("Fn::GetAtt"), list) and arn["Fn::GetAtt"]:
            return str(arn["Fn::GetAtt"][0])
        if "Fn::ImportValue" in arn:
            return str(arn["Fn::ImportValue"])
        if "Ref" in arn:
            return str(arn["Ref"])
        joined = arn.get("Fn::Join")
        if isinstance(joined, list) and len(joined) == 2 and isinstance(joined[1], list) and joined[1]:
            return str(joined[1][-1]).split("/")[-1]
    text = str(arn)
    return text.split("/")[1] if "/" in text else text


def _topic_arn(topic: Text, ctx: Context) -> Text:
    return topic if str(topic).startswith("arn:") else _arn(ctx, "sns", topic)


def _arn(ctx: Context, service: str, resource: Text) -> Text:
    region = ctx.pseudo("AWS::Region") or Text.of("*")
    account = ctx.pseudo("AWS::AccountId") or Text.of("*")
    return Text.join(f"arn:{ctx.target.partition}:{service}:", region, ":", account, ":", resource)


def _destinations(config: dict[str, Any], ctx: Context, names: dict[str, Text]) -> list[Destination]:
    out = []
    targets: list[tuple[str, Any]] = []
    for outcome, value in _mapping(config.get("destinations")).items():
        targets.append((f"destinations.{outcome}", value))
    for event in config.get("events") or []:
        stream = _mapping(event).get("stream") if isinstance(event, dict) else None
        failure = _mapping(_mapping(stream).get("destinations")).get("onFailure")
        if failure is not None:
            targets.append(("stream destinations.onFailure", failure))
    if config.get("onError") is not None:
        targets.append(("onError", config["onError"]))
    for name, value in targets:
        arn = _arn_of(value)
        if arn is None:
            continue
        declared = value.get("type") if isinstance(value, dict) else None
        if isinstance(arn, str) and not arn.startswith("arn:") and arn in names:
            arns: tuple[Text, ...] = (
                _arn(ctx, "lambda", Text.join("function:", names[arn])),
            )  # another function of the service
        else:
            arns = tuple(resolve(arn, ctx))
        kind = declared if declared in DESTINATION_ACTIONS else _destination_kind(arns[0])
        out.append(Destination(kind, arns, name))
    return out


def _destination_kind(arn: Text) -> str:
    match = re.match(r"arn:[^:]*:(sqs|sns|lambda|events):", str(arn))
    if match is None:
        return "unknown"
    return "eventbridge" if match.group(1) == "events" else match.group(1)


def _value(value: Any, ctx: Context) -> Text:
    if isinstance(value, Text):
        return value
    if isinstance(value, str):
        return Text.of(value)
    if isinstance(value, dict):
        return resolve(value, ctx)[0]
    if isinstance(value, int | float | bool):
        return Text.of(str(value))
    return Text((Hole("a value that is not a string"),))


def _policy(statements: Any, ctx: Context, errors: list[str], label: str, fallback: int) -> PolicyDocument | None:
    """The role's statements; each one IAM would reject is in ``errors`` (with its line, else
    the ``fallback`` line)."""
    raw = statements if isinstance(statements, list) else []
    out = declared_statements(
        raw,
        "Sls",
        lambda resource: [t.pattern() for t in resolve(resource, ctx)],
        on_error=lambda index, message: errors.append(
            f"{label}:{getattr(raw[index], 'line', 0) or fallback}: the role's statements: {message}"
        ),
        file=ctx.path,
        line=fallback,  # the Framework's own statements: the function that gets its role
    )
    return PolicyDocument(tuple(out)) if out else None
