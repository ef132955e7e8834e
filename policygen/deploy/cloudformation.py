"""SAM and CloudFormation templates -> `FunctionSpec`s.

Reads ``AWS::Serverless::Function`` (with ``Globals``) and ``AWS::Lambda::Function``: code
directory, handler, environment (intrinsics resolved), the configuration the Lambda service acts
on (`FunctionConfig`: logs, X-Ray, VPC, event source pollers, dead-letter queues and destinations,
the environment's KMS key; `policygen.evidence.deployment` grants from it), and the role's policy as declared (inline statements,
SAM policy templates expanded from the definitions shipped in aws-sam-translator).
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from policygen.deploy import bundle, cfn_role
from policygen.deploy.cfn_yaml import LineDict, load_template
from policygen.deploy.declared import RolePolicies, declared_statements
from policygen.deploy.events import object_keys, pattern_fields
from policygen.deploy.intrinsics import NAME_RULES, Context, fill_arn, resolve
from policygen.errors import DeploymentError
from policygen.model import (
    CodeBundle,
    CodeFile,
    Destination,
    EventSource,
    FunctionConfig,
    FunctionSpec,
    Hole,
    IacReference,
    Location,
    Target,
    Text,
    Trigger,
)
from policygen.policy.document import PolicyDocument, PolicyStatement

TEMPLATE_NAMES = ("template.yaml", "template.yml", "template.json", "samconfig-template.yaml")
FUNCTION_TYPES = {"AWS::Serverless::Function", "AWS::Lambda::Function"}


def find_template(root: Path) -> Path | None:
    for name in TEMPLATE_NAMES:
        if (root / name).is_file():
            return root / name
    return None


SAMCONFIG_NAMES = ("samconfig.toml", "samconfig.yaml", "samconfig.yml")


def stated_region(root: Path) -> tuple[str, str] | None:
    """The region ``sam deploy`` deploys to as the project states it: ``region`` in the
    ``default`` environment's ``deploy`` (else ``global``) parameters of its samconfig file, with
    where; None when it states none. (A template itself names no region.) An unreadable
    samconfig is a `DeploymentError` naming it."""
    for name in SAMCONFIG_NAMES:
        path = root / name
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
            if name.endswith(".toml"):
                import tomllib

                config: Any = tomllib.loads(text)
            else:
                import yaml

                config = yaml.safe_load(text)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise DeploymentError(f"{name}: cannot read it ({exc.__class__.__name__}: {exc}); correct it") from None
        except Exception as exc:  # yaml's errors
            raise DeploymentError(f"{name}: cannot read it ({exc.__class__.__name__}); correct it") from None
        environment = config.get("default") if isinstance(config, dict) else None
        for command in ("deploy", "global"):
            section = environment.get(command) if isinstance(environment, dict) else None
            parameters = section.get("parameters") if isinstance(section, dict) else None
            region = parameters.get("region") if isinstance(parameters, dict) else None
            if isinstance(region, str) and region:
                return region, f"{name}:{_region_line(text, command)} default.{command}.parameters.region"
        return None
    return None


def _region_line(text: str, command: str) -> int:
    """The line of ``region`` under the ``command`` section (TOML ``[default.deploy.parameters]``,
    YAML ``deploy:``), else of the first ``region``."""
    lines = text.splitlines()
    header = re.compile(rf"\s*(\[default\.{command}\.parameters\]|{command}\s*:)")
    start = next((i for i, t in enumerate(lines) if header.match(t)), 0)
    setting = re.compile(r"\s*region\s*[=:]")
    return next((i + 1 for i in range(start, len(lines)) if setting.match(lines[i])), 0)


def read(
    path: Path,
    target: Target,
    stack_name: str | None = None,
    overrides: Mapping[str, str] | None = None,
    root: Path | None = None,
) -> list[FunctionSpec]:
    template = load_template(path)
    resources = template.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise DeploymentError(f"{path}:{template.line}: the template has no Resources")
    label = _label(path, root)
    ctx = Context(
        resources,
        template.get("Parameters") or {},
        dict(overrides or {}),
        template.get("Mappings") or {},
        target,
        stack_name,
        label,
    )
    globals_ = ((template.get("Globals") or {}).get("Function")) or {}
    ctx.resources = {**_sam_generated(resources, globals_), **resources}
    references = _references(ctx)
    specs = []
    for logical, resource in resources.items():
        if not isinstance(resource, dict) or resource.get("Type") not in FUNCTION_TYPES:
            continue
        try:
            spec = _function(path, label, logical, resource, globals_, ctx)
        except DeploymentError as exc:  # this function's problem, reported for it; the others go on
            spec = FunctionSpec.unreadable(logical, f"{label}:{getattr(resource, 'line', 0)}", str(exc))
        specs.append(replace(spec, references=references))
    if not specs:
        raise DeploymentError(f"{label}: declares no AWS::Serverless::Function or AWS::Lambda::Function")
    generated = tuple(sorted(ctx.generated))
    return [replace(spec, generated_names=generated) for spec in specs]


# The resources SAM creates for an event of each type (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-generated-resources.html).
_EVENT_RESOURCE = {
    "SQS": "AWS::Lambda::EventSourceMapping",
    "Kinesis": "AWS::Lambda::EventSourceMapping",
    "DynamoDB": "AWS::Lambda::EventSourceMapping",
    "MSK": "AWS::Lambda::EventSourceMapping",
    "MQ": "AWS::Lambda::EventSourceMapping",
    "SelfManagedKafka": "AWS::Lambda::EventSourceMapping",
    "DocumentDB": "AWS::Lambda::EventSourceMapping",
    "SNS": "AWS::SNS::Subscription",
    "Schedule": "AWS::Events::Rule",
    "ScheduleV2": "AWS::Scheduler::Schedule",
    "CloudWatchEvent": "AWS::Events::Rule",
    "EventBridgeRule": "AWS::Events::Rule",
    "IoTRule": "AWS::IoT::TopicRule",
    "CloudWatchLogs": "AWS::Logs::SubscriptionFilter",
}


def _sam_generated(resources: Mapping[str, Any], globals_: Mapping[str, Any]) -> dict[str, Any]:
    """The resources the SAM transform adds, by the logical ids SAM gives them, so that a
    template's references to them (``!GetAtt ApiFunctionRole.Arn``, ``!Ref ServerlessRestApi``)
    resolve as SAM names them."""
    out: dict[str, Any] = {}
    for logical, resource in resources.items():
        if not isinstance(resource, dict):
            continue
        rtype = resource.get("Type")
        props = resource.get("Properties") or {}
        if rtype == "AWS::Serverless::StateMachine" or (
            rtype == "AWS::Serverless::Function" and props.get("Role") is None
        ):
            out[f"{logical}Role"] = {"Type": "AWS::IAM::Role"}
        if rtype == "AWS::Serverless::Function":
            config = _merged(globals_, props)
            alias = config.get("AutoPublishAlias")
            if isinstance(alias, str):
                out[f"{logical}Alias{alias}"] = {
                    "Type": "AWS::Lambda::Alias",
                    "Properties": {"FunctionName": {"Ref": logical}, "Name": alias},
                }
            for event_name, event in (config.get("Events") or {}).items():
                kind = event.get("Type") if isinstance(event, dict) else None
                event_props = (event.get("Properties") or {}) if isinstance(event, dict) else {}
                if kind in _EVENT_RESOURCE:
                    out[f"{logical}{event_name}"] = {"Type": _EVENT_RESOURCE[kind]}
                if kind not in ("SQS", "Kinesis", "DynamoDB", "MSK", "MQ", "SelfManagedKafka", "DocumentDB"):
                    out[f"{logical}{event_name}Permission"] = {"Type": "AWS::Lambda::Permission"}
                if kind == "Api" and event_props.get("RestApiId") is None:
                    out["ServerlessRestApi"] = {"Type": "AWS::ApiGateway::RestApi"}
                    out["ServerlessRestApiProdStage"] = {"Type": "AWS::ApiGateway::Stage"}
                if kind == "HttpApi" and event_props.get("ApiId") is None:
                    out["ServerlessHttpApi"] = {"Type": "AWS::ApiGatewayV2::Api"}
                    out["ServerlessHttpApiApiGatewayDefaultStage"] = {"Type": "AWS::ApiGatewayV2::Stage"}
        elif rtype in ("AWS::Serverless::Api", "AWS::Serverless::HttpApi"):
            stage = props.get("StageName")
            if isinstance(stage, str):
                out[f"{logical}{stage}Stage"] = {"Type": "AWS::ApiGateway::Stage"}
            elif rtype == "AWS::Serverless::HttpApi":
                out[f"{logical}ApiGatewayDefaultStage"] = {"Type": "AWS::ApiGatewayV2::Stage"}
    return out


# How each resource type's name is spelled inside Fn::Sub (Ref where Ref is the name).
_NAME_EXPRESSIONS = {
    "AWS::SQS::Queue": "{logical}.QueueName",
    "AWS::SNS::Topic": "{logical}.TopicName",
    "AWS::StepFunctions::StateMachine": "{logical}.Name",
    "AWS::Serverless::StateMachine": "{logical}.Name",
    "AWS::SecretsManager::Secret": None,  # Ref is the ARN with its random suffix; no name attribute
}


def _references(ctx: Context) -> tuple[IacReference, ...]:
    out = []
    for logical, resource in ctx.resources.items():
        rtype = resource.get("Type") if isinstance(resource, dict) else None
        if rtype not in NAME_RULES:
            continue
        expression = _NAME_EXPRESSIONS.get(rtype, "{logical}")
        if expression is None:
            continue
        try:
            names = resolve(
                {"Ref": logical} if NAME_RULES[rtype].ref == "name" else {"Fn::GetAtt": [logical, "Arn"]}, ctx
            )
        except DeploymentError:
            continue
        if NAME_RULES[rtype].ref != "name":
            names = [n for n in (_name_of(logical, resource, ctx),) if n is not None]
        for resolved in names[:1]:
            out.append(IacReference(resolved.pattern(), expression.format(logical=logical), _service(rtype)))
    for parameter_name, parameter in ctx.parameters.items():
        if isinstance(parameter, dict) and parameter.get("Type", "String") == "String":
            value = resolve({"Ref": parameter_name}, ctx)[0]
            if value.known:
                out.append(IacReference(value.known, parameter_name))
    return tuple(out)


def _service(rtype: str) -> str:
    return NAME_RULES[rtype].arn.split(":")[2]


def _name_of(logical: str, resource: Any, ctx: Context) -> Text | None:
    rule = NAME_RULES[resource.get("Type")]
    properties = resource.get("Properties") or {}
    if rule.name_property and rule.name_property in properties:
        return resolve(properties[rule.name_property], ctx)[0]
    stack = ctx.stack_name or "*"
    ctx.generated.add(f"{ctx.stack_name or ''}-{logical}-")
    return Text.join(stack, f"-{logical}-", Hole("generated"))


def _label(path: Path, root: Path | None) -> str:
    try:
        return path.relative_to(root).as_posix() if root else path.name
    except ValueError:
        return path.name


def _merged(globals_: Mapping[str, Any], properties: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(globals_)
    for key, value in properties.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            inner = dict(merged[key])
            for k, v in value.items():
                inner[k] = {**inner[k], **v} if isinstance(v, dict) and isinstance(inner.get(k), dict) else v
            merged[key] = inner
        else:
            merged[key] = value
    return merged


def _function(
    path: Path, label: str, logical: str, resource: Any, globals_: Any, ctx: Context
) -> FunctionSpec:
    properties = resource.get("Properties") or LineDict()
    line = resource.line
    is_sam = resource.get("Type") == "AWS::Serverless::Function"
    config = _merged(globals_, properties) if is_sam else dict(properties)
    notes: list[str] = []
    role = _role_policies(config, logical, is_sam, ctx, label, line)
    managed = role.managed
    declared = config.get("Policies") if is_sam else None
    for policy in declared if isinstance(declared, list) else [declared]:
        if isinstance(policy, str):
            managed.append(policy)
        elif isinstance(policy, dict) and set(policy) & {"Ref", "Fn::Sub", "Fn::If", "Fn::ImportValue"}:
            before = len(role.unknown)
            cfn_role.attach(policy, ctx, label, line, f"{logical} Policies", role)
            if len(role.unknown) > before:
                notes.append(
                    f"{label}:{line}: a managed policy given as {next(iter(policy))} is not expanded in the comparison"
                )
    if is_sam and config.get("Role") is None:
        implicit, inline = _sam_role_policies(config)
        managed.extend(p for p in implicit if p not in managed)
        if inline:
            notes.append(
                f"{label}:{line}: SAM also writes inline statements for {', '.join(inline)} into the role it "
                "creates; those are not in the comparison (what they grant may show as needed but not declared)"
            )
    handler = config.get("Handler") if isinstance(config.get("Handler"), str) else None
    packaged = None
    image_folder: Path | None = None
    if config.get("PackageType") == "Image":
        image_folder, handler, skipped = _image(path, resource, config)
    else:
        skipped = _not_analysable(config, is_sam)
    if skipped is None and image_folder is None:
        packaged, skipped, archive_notes = _packaged_code(path, label, config, is_sam, line, ctx)
        notes.extend(archive_notes)
    code_dir = (
        image_folder or path.parent.resolve()
        if skipped or packaged or image_folder
        else _code_dir(path, label, logical, properties, config, is_sam, line)
    )
    environment = []
    variables = ((config.get("Environment") or {}).get("Variables")) or {}
    for name, value in variables.items():
        environment.append((str(name), tuple(resolve(value, ctx))))
    name_texts = resolve({"Ref": logical}, ctx)
    function_name = name_texts[0]
    evidence_line = f"{label}:{line}"
    events = _events(config, ctx, label, logical)
    function_config = FunctionConfig(
        name=function_name,
        source=Location(label, line),
        vpc=bool(config.get("VpcConfig")),
        tracing=(config.get("Tracing") == "Active")
        or ((config.get("TracingConfig") or {}).get("Mode") == "Active"),
        event_sources=tuple(events.sources),
        destinations=(*_destinations(config, ctx, logical), *events.destinations),
        kms_key=_first(resolve(config["KmsKeyArn"], ctx)) if config.get("KmsKeyArn") else None,
        log_group=_log_group(config, ctx),
        role_arn=_role_arn(config, logical, is_sam, ctx),
    )
    return FunctionSpec(
        name=logical,
        code_dir=code_dir.relative_to(path.parent.resolve()).as_posix() or ".",
        handler=handler,
        environment=tuple(environment),
        deployed=_deployed_policy(config, is_sam, ctx, role, logical),
        kms_keys=(),  # KmsKeyArn encrypts the environment only: a deployment permission (config)
        source=evidence_line,
        notes=tuple(notes),
        role=_role_reference(config, logical, is_sam),
        skipped=skipped,
        triggers=tuple(events.triggers),
        bundle=packaged,
        managed_policies=tuple(managed),
        config=function_config,
        boundary=role.boundary,
        unknown_policies=tuple(role.unknown),
        policy_errors=tuple(role.errors),
    )


def _role_policies(
    config: Mapping[str, Any], logical: str, is_sam: bool, ctx: Context, label: str, line: int
) -> RolePolicies:
    """The policies of the template's role the function names, and the boundary SAM puts on the
    role it creates (``PermissionsBoundary``) when it names none."""
    role_id = cfn_role.role_logical_id(config.get("Role"), ctx.resources)
    role = cfn_role.read_role(role_id, ctx, label) if role_id is not None else RolePolicies()
    if is_sam and config.get("Role") is None and config.get("PermissionsBoundary") is not None:
        role.boundary = cfn_role.boundary(config["PermissionsBoundary"], ctx, label, line, logical)
    return role


MAX_DOCKERFILE_BYTES = 1_000_000


def _image(
    path: Path, resource: Any, config: Mapping[str, Any]
) -> tuple[Path | None, str | None, str | None]:
    """A container image SAM builds from the project (``Metadata.DockerContext``): the build
    folder and the handler that ``ImageConfig.Command`` or the Dockerfile's ``CMD`` names; or why
    it cannot be read."""
    metadata = resource.get("Metadata") or {}
    context = metadata.get("DockerContext")
    if not isinstance(context, str):
        return (
            None,
            None,
            "a container image (PackageType: Image) built outside the template; analyse its code folder directly",
        )
    folder = (path.parent / context).resolve()
    try:
        folder.relative_to(path.parent.resolve())
    except ValueError:
        return None, None, f"its image is built from {context}, outside the project"
    dockerfile = (folder / str(metadata.get("Dockerfile") or "Dockerfile")).resolve()
    try:
        with dockerfile.open("rb") as handle:
            lines = handle.read(MAX_DOCKERFILE_BYTES).decode("utf-8", "replace").splitlines()
    except OSError:
        lines = []
    words = [
        line.strip().split(None, 1) for line in lines if line.strip() and not line.lstrip().startswith("#")
    ]
    base = next((w[1] for w in words if w[0].upper() == "FROM" and len(w) > 1), "")
    if base and "python" not in base.lower():
        return None, None, f"its container image is built FROM {base.split()[0]}, not a Python Lambda image"
    command = (config.get("ImageConfig") or {}).get("Command")
    handler = command[0] if isinstance(command, list) and command and isinstance(command[0], str) else None
    cmd = [w[1] for w in words if w[0].upper() == "CMD" and len(w) > 1]
    if handler is None and cmd:
        try:
            parsed = json.loads(cmd[-1])
        except ValueError:
            parsed = cmd[-1].split()
        handler = parsed[0] if isinstance(parsed, list) and parsed and isinstance(parsed[0], str) else None
    if handler is None or "." not in handler:
        return (
            None,
            None,
            (
                f"a container image built from {context}: no handler in ImageConfig.Command or its Dockerfile's CMD"
            ),
        )
    return folder, handler, None


# The AWS managed policies SAM attaches to the role it creates for a function (aws-sam-translator:
# SamFunction._construct_role, the pull event sources' get_policy_arn), by path and name.
_SAM_EVENT_POLICIES = {
    "SQS": "service-role/AWSLambdaSQSQueueExecutionRole",
    "Kinesis": "service-role/AWSLambdaKinesisExecutionRole",
    "DynamoDB": "service-role/AWSLambdaDynamoDBExecutionRole",
    "MSK": "service-role/AWSLambdaMSKExecutionRole",
}
_SAM_INLINE_EVENT_POLICIES = ("MQ", "SelfManagedKafka", "DocumentDB")


def _sam_role_policies(config: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The managed policies SAM attaches to a function's generated role, and what SAM writes
    inline statements for instead (not expanded here)."""
    durable = config.get("DurableConfig")
    out = [
        "service-role/AWSLambdaBasicDurableExecutionRolePolicy"
        if durable
        else "service-role/AWSLambdaBasicExecutionRole"
    ]
    tracing = config.get("Tracing")
    if tracing and tracing != "Disabled":
        out.append("AWSXrayWriteOnlyAccess")  # the aws partition's name; AWSXRayDaemonWriteAccess elsewhere
    if config.get("VpcConfig"):
        out.append("service-role/AWSLambdaVPCAccessExecutionRole")
    inline: list[str] = []
    if config.get("DeadLetterQueue"):
        inline.append("the dead-letter queue")
    invoke = config.get("EventInvokeConfig")
    if isinstance(invoke, dict) and invoke.get("DestinationConfig"):
        inline.append("EventInvokeConfig destinations")
    events = config.get("Events")
    for event in (events or {}).values() if isinstance(events, dict) else ():
        kind = event.get("Type") if isinstance(event, dict) else None
        props = (event.get("Properties") if isinstance(event, dict) else None) or {}
        if kind in _SAM_EVENT_POLICIES and _SAM_EVENT_POLICIES[kind] not in out:
            out.append(_SAM_EVENT_POLICIES[kind])
        if kind in _SAM_INLINE_EVENT_POLICIES and f"{kind} events" not in inline:
            inline.append(f"{kind} events")
        if isinstance(props, dict) and props.get("DestinationConfig") and "event destinations" not in inline:
            inline.append("event destinations")
    return out, inline


def _not_analysable(config: Mapping[str, Any], is_sam: bool) -> str | None:
    """Why policygen cannot read this function's code from the project, or None if it can."""
    runtime = config.get("Runtime")
    if isinstance(runtime, str) and not runtime.startswith("python"):
        return f"runtime {runtime} is not Python"
    if is_sam and config.get("InlineCode") is not None:
        return None
    code = config.get("CodeUri", ".") if is_sam else config.get("Code")
    if isinstance(code, dict):
        if "ZipFile" in code:
            return None
        return "its code is in S3, not in the project; analyse the code folder directly"
    if isinstance(code, str) and code.startswith("s3://"):
        return f"its code is in S3 ({code}), not in the project; analyse the code folder directly"
    if code is None:
        return "it declares no code location"
    return None


def _packaged_code(
    path: Path, label: str, config: Mapping[str, Any], is_sam: bool, line: int, ctx: Context
) -> tuple[CodeBundle | None, str | None, tuple[str, ...]]:
    """The code when it is not a folder: inline source (Lambda writes it to ``index.py``), a
    zip of the project or a single source file; or why it cannot be read."""
    code = config.get("CodeUri") if is_sam else config.get("Code")
    inline = config.get("InlineCode") if is_sam else (code.get("ZipFile") if isinstance(code, dict) else None)
    if inline is not None:
        source = resolve(inline, ctx)[0]
        if source.known is None:
            reasons = source.reasons
            return None, f"its inline code is built from values the template does not fix ({reasons})", ()
        shown = f"{label}:{line}!/index.py"
        return bundle.of_files(shown, [CodeFile("index.py", shown, source.known.encode())]), None, ()
    if isinstance(code, str) and code.lower().endswith(".zip"):
        archive = (path.parent / code).resolve()
        try:
            archive.relative_to(path.parent.resolve())
        except ValueError:
            return None, f"its code archive {code} is outside the project", ()
        if not archive.is_file():
            return (
                None,
                f"its code is a prebuilt archive ({code}) that is not in the project; build it or analyse the code folder",
                (),
            )
        packaged, left_out = bundle.read_zip(archive, (Path(label).parent / code).as_posix())
        return packaged, None, left_out
    if isinstance(code, str) and code.lower().endswith(".jar"):
        return None, f"its code is a Java archive ({code})", ()
    if isinstance(code, str) and (path.parent / code).is_file():
        # CodeUri (or a packaged Code) naming one file: SAM and `cloudformation package` zip that
        # file alone, at the top of the package, as Terraform's archive_file source_file does.
        single = (path.parent / code).resolve()
        try:
            single.relative_to(path.parent.resolve())
        except ValueError:
            return None, f"its code file {code} is outside the project", ()
        shown = (Path(label).parent / code).as_posix()
        return bundle.of_files(shown, [bundle.read_file(single, single.name, shown)]), None, ()
    return None, None, ()


def _first(texts: list[Text]) -> Text:
    return texts[0]


def _code_dir(
    path: Path,
    label: str,
    logical: str,
    properties: LineDict,
    config: Mapping[str, Any],
    is_sam: bool,
    line: int,
) -> Path:
    base = path.parent
    if is_sam:
        code_uri = config.get("CodeUri", ".")
        if not isinstance(code_uri, str):
            raise DeploymentError(
                f"{label}:{properties.line_of('CodeUri')}: {logical}'s CodeUri is not a local folder; give the code folder instead"
            )
        target = (base / code_uri).resolve()
    else:
        code = config.get("Code") or {}
        if isinstance(code, str):
            target = (base / code).resolve()
        else:
            raise DeploymentError(
                f"{label}:{line}: {logical}'s Code is not a local folder (S3 or inline); point policygen at the code"
            )
    try:
        target.relative_to(base.resolve())
    except ValueError:
        raise DeploymentError(
            f"{label}:{properties.line_of('CodeUri')}: {logical}'s code folder {target} is outside the project"
        ) from None
    if not target.is_dir():
        raise DeploymentError(
            f"{label}:{properties.line_of('CodeUri')}: {logical}'s code folder {target.relative_to(base.resolve())} does not exist"
        )
    return target


def _log_group(config: Mapping[str, Any], ctx: Context) -> Text | None:
    logging = config.get("LoggingConfig") or {}
    if logging.get("LogGroup"):
        return resolve(logging["LogGroup"], ctx)[0]
    return None


@dataclass
class _Events:
    """What a function's event sources imply: pollers, the event's names, failure destinations."""

    sources: list[EventSource] = field(default_factory=list)
    triggers: list[Trigger] = field(default_factory=list)
    destinations: list[Destination] = field(default_factory=list)


_POLLED = {"SQS": "sqs", "Kinesis": "kinesis", "DynamoDB": "dynamodb", "MSK": "msk"}


def _events(config: Mapping[str, Any], ctx: Context, label: str, logical: str) -> _Events:
    out = _Events()
    for event_name, event in (config.get("Events") or {}).items():
        if not isinstance(event, dict):
            continue
        kind = event.get("Type")
        props = event.get("Properties") or {}
        where = Location(label, event.line if isinstance(event, LineDict) else 0)
        arn_key = "Queue" if kind == "SQS" else "Stream"
        if kind in _POLLED and arn_key in props:
            arns = tuple(resolve(props[arn_key], ctx))
            out.sources.append(EventSource(_POLLED[kind], arns, where, event_name))
            out.triggers.append(Trigger(_POLLED[kind], arns))
        elif kind == "S3" and "Bucket" in props:
            rules = (((props.get("Filter") or {}).get("S3Key") or {}).get("Rules")) or []
            filters = {str(r.get("Name", "")).lower(): r.get("Value") for r in rules if isinstance(r, dict)}
            keys = object_keys(filters.get("prefix"), filters.get("suffix"))
            out.triggers.append(Trigger("s3", tuple(resolve(props["Bucket"], ctx)), keys))
        elif kind == "SNS" and "Topic" in props:
            out.triggers.append(Trigger("sns", tuple(resolve(props["Topic"], ctx))))
        elif kind in ("EventBridgeRule", "CloudWatchEvent") and isinstance(props.get("Pattern"), dict):
            fields = pattern_fields(props["Pattern"], lambda v: resolve(v, ctx))
            if fields:
                out.triggers.append(Trigger("eventbridge", (), fields=fields))
        out.destinations.extend(_on_failure(props, ctx, f"event {event_name} DestinationConfig.OnFailure"))
    for other, resource in ctx.resources.items():
        if not isinstance(resource, dict):
            continue
        props = resource.get("Properties") or {}
        if not _refers_to(props.get("FunctionName"), logical):
            continue
        if resource.get("Type") == "AWS::Lambda::EventSourceMapping":
            arns = tuple(resolve(props.get("EventSourceArn"), ctx))
            kind = _kind_of_arn(arns[0])
            out.sources.append(EventSource(kind, arns, Location(label, getattr(resource, "line", 0)), other))
            if kind in ("sqs", "kinesis", "dynamodb"):
                out.triggers.append(Trigger(kind, arns))
            out.destinations.extend(_on_failure(props, ctx, f"{other} DestinationConfig.OnFailure"))
        elif resource.get("Type") == "AWS::Lambda::EventInvokeConfig":
            for outcome in ("OnSuccess", "OnFailure"):
                target = ((props.get("DestinationConfig") or {}).get(outcome)) or {}
                if isinstance(target, dict) and target.get("Destination") is not None:
                    out.destinations.append(_destination(target, ctx, f"{other} {outcome}"))
    return out


def _on_failure(props: Mapping[str, Any], ctx: Context, name: str) -> list[Destination]:
    """An event source mapping's ``DestinationConfig.OnFailure``: where Lambda sends the records
    it gave up on, with the function's role."""
    target = ((props.get("DestinationConfig") or {}).get("OnFailure")) or {}
    if isinstance(target, dict) and target.get("Destination") is not None:
        return [_destination(target, ctx, name)]
    return []


_DESTINATION_TYPES = {"SQS": "sqs", "SNS": "sns", "Lambda": "lambda", "EventBridge": "eventbridge"}


def _destination(target: Mapping[str, Any], ctx: Context, name: str) -> Destination:
    arns = tuple(resolve(target["Destination"], ctx))
    kind = _DESTINATION_TYPES.get(str(target.get("Type"))) or _kind_of_arn(arns[0])
    if kind == "lambda":  # Ref to a function is its name; the grant needs its ARN
        arns = tuple(
            a
            if str(a).startswith("arn:")
            else fill_arn(
                NAME_RULES["AWS::Lambda::Function"].arn, a, ctx.target.partition, *_region_account(ctx)
            )
            for a in arns
        )
    return Destination(kind, arns, name)


def _region_account(ctx: Context) -> tuple[Text, Text]:
    return ctx.pseudo("AWS::Region") or Text.of("*"), ctx.pseudo("AWS::AccountId") or Text.of("*")


def _refers_to(value: Any, logical: str) -> bool:
    if isinstance(value, dict):
        return bool(value.get("Ref") == logical or (value.get("Fn::GetAtt") or [None])[0] == logical)
    return bool(value == logical)


def _kind_of_arn(arn: Text) -> str:
    match = re.match(r"arn:[^:]*:(sqs|sns|lambda|events|kinesis|dynamodb|kafka):", str(arn))
    if match is None:
        return "unknown"
    return {"events": "eventbridge", "kafka": "msk"}.get(match.group(1), match.group(1))


def _destinations(config: Mapping[str, Any], ctx: Context, logical: str) -> list[Destination]:
    out = []
    dlq = config.get("DeadLetterQueue") or {}
    if isinstance(dlq, dict) and dlq.get("TargetArn"):
        kind = "sns" if dlq.get("Type") == "SNS" else "sqs"
        out.append(Destination(kind, tuple(resolve(dlq["TargetArn"], ctx)), "DeadLetterQueue"))
    dead = config.get("DeadLetterConfig") or {}
    if isinstance(dead, dict) and dead.get("TargetArn"):
        arns = tuple(resolve(dead["TargetArn"], ctx))
        kind = "sns" if _kind_of_arn(arns[0]) == "sns" else "sqs"  # the only two a DLQ can be
        out.append(Destination(kind, arns, "DeadLetterConfig"))
    invoke = config.get("EventInvokeConfig") or {}
    for outcome in ("OnSuccess", "OnFailure"):
        target = ((invoke.get("DestinationConfig") or {}).get(outcome)) or {}
        if not isinstance(target, dict):
            continue
        name = f"EventInvokeConfig.{outcome}"
        if target.get("Destination") is not None:
            out.append(_destination(target, ctx, name))
        elif target.get("Type") in ("SQS", "SNS"):
            # SAM creates the queue or topic: <Function>EventInvokeConfig<Outcome>Queue|Topic.
            generated = (
                f"{logical}EventInvokeConfig{outcome}{'Queue' if target['Type'] == 'SQS' else 'Topic'}"
            )
            out.append(_destination({**target, "Destination": {"Fn::GetAtt": [generated, "Arn"]}}, ctx, name))
    return out


def _role_arn(config: Mapping[str, Any], logical: str, is_sam: bool, ctx: Context) -> Text | None:
    """The execution role's ARN: the ``Role`` given (an ARN, or !GetAtt of a role in the
    template), or the role SAM creates (``<stack>-<LogicalId>Role-<suffix>``, holes and all)."""
    role = config.get("Role")
    if role is None and is_sam:
        role = {"Fn::GetAtt": [f"{logical}Role", "Arn"]}
    if role is None:
        return None
    texts = resolve(role, ctx)
    return texts[0] if len(texts) == 1 else None


def _role_reference(config: Mapping[str, Any], logical: str, is_sam: bool) -> str | None:
    role = config.get("Role")
    if isinstance(role, dict):
        target = role.get("Ref") or (role.get("Fn::GetAtt") or [None])[0]
        return str(target) if target else None
    if role is None and is_sam:
        return f"{logical}Role"  # the role SAM creates for the function
    return None


# -- the role's policy as declared --------------------------------------------------------------
@functools.cache
def _sam_policy_templates() -> dict[str, Any]:
    import samtranslator

    path = os.path.join(
        os.path.dirname(samtranslator.__file__), "policy_templates_data", "policy_templates.json"
    )
    with open(path, encoding="utf-8") as handle:
        templates: dict[str, Any] = json.load(handle)["Templates"]
    return templates


def _deployed_policy(
    config: Mapping[str, Any], is_sam: bool, ctx: Context, role: RolePolicies, logical: str
) -> PolicyDocument | None:
    """The role's statements: those of the template's role, then SAM's ``Policies`` (an inline
    statement IAM would reject goes to ``role.errors``, with its line) and what SAM adds."""
    statements: list[PolicyStatement] = list(role.statements)
    policies = config.get("Policies") if is_sam else None
    if isinstance(policies, str | dict):
        policies = [policies]
    for index, policy in enumerate(policies or []):
        if isinstance(policy, str):
            continue  # a managed policy by name or ARN: not expanded here
        if not isinstance(policy, dict):
            continue
        if "Statement" in policy:
            statements.extend(cfn_role.document(policy, ctx, ctx.path, f"Inline{index}", role.errors))
            continue
        for name, parameters in policy.items():
            definition = _sam_policy_templates().get(name)
            if definition is None:
                continue
            local = dict(parameters) if isinstance(parameters, dict) else {}
            expanded = _substitute(definition["Definition"], local)
            statements.extend(_statements(expanded.get("Statement", []), ctx, name, _line_of(policy)))
    if is_sam and config.get("Role") is None:  # SAM creates the role: what it adds by itself
        for label, raw, line in _sam_role_statements(config, logical):
            statements.extend(_statements([raw], ctx, label, line))
    return PolicyDocument(tuple(statements)) if statements else None


_SAM_DESTINATION_ACTIONS = {
    "SQS": "sqs:SendMessage",
    "SNS": "sns:Publish",
    "EventBridge": "events:PutEvents",
    "Lambda": "lambda:InvokeFunction",
}


def _sam_role_statements(config: Mapping[str, Any], logical: str) -> list[tuple[str, dict[str, Any], int]]:
    """What SAM itself adds to the role it creates, beyond ``Policies``: sending to the
    ``DeadLetterQueue``, to ``EventInvokeConfig`` destinations of a given ``Type`` (the
    destination, or the queue or topic SAM creates when none is given) and to the ``OnFailure``
    destination of a stream or queue event (SQS, SNS, S3)."""
    out = []
    dlq = config.get("DeadLetterQueue")
    if isinstance(dlq, dict) and dlq.get("Type") in ("SQS", "SNS") and dlq.get("TargetArn"):
        action = _SAM_DESTINATION_ACTIONS[dlq["Type"]]
        statement = {"Effect": "Allow", "Action": action, "Resource": dlq["TargetArn"]}
        out.append(("DeadLetterQueuePolicy", statement, _line_of(dlq)))
    invoke = config.get("EventInvokeConfig")
    destinations = (invoke.get("DestinationConfig") if isinstance(invoke, dict) else None) or {}
    for outcome in ("OnSuccess", "OnFailure"):
        target = destinations.get(outcome) if isinstance(destinations, dict) else None
        if not isinstance(target, dict) or target.get("Type") not in _SAM_DESTINATION_ACTIONS:
            continue
        resource = target.get("Destination")
        if resource is None and target["Type"] in ("SQS", "SNS"):
            kind = "Queue" if target["Type"] == "SQS" else "Topic"
            resource = {"Fn::GetAtt": [f"{logical}EventInvokeConfig{outcome}{kind}", "Arn"]}
        if resource is not None:
            statement = {
                "Effect": "Allow",
                "Action": _SAM_DESTINATION_ACTIONS[target["Type"]],
                "Resource": resource,
            }
            out.append((f"EventInvokeConfig{outcome}Policy", statement, _line_of(target)))
    events = config.get("Events")
    for event_name, event in sorted(events.items()) if isinstance(events, dict) else ():
        properties = event.get("Properties") if isinstance(event, dict) else None
        destination = properties.get("DestinationConfig") if isinstance(properties, dict) else None
        failure = destination.get("OnFailure") if isinstance(destination, dict) else None
        if not isinstance(failure, dict) or failure.get("Destination") is None:
            continue
        name = str(event_name)
        target, failure_type = failure["Destination"], failure.get("Type")
        if failure_type in ("SQS", "SNS"):
            action = _SAM_DESTINATION_ACTIONS[failure_type]
            statement = {"Effect": "Allow", "Action": action, "Resource": target}
            out.append((f"{name}OnFailurePolicy", statement, _line_of(failure)))
        elif failure_type == "S3":  # the payload as an object under the bucket, and listing it
            objects = {"Fn::Join": ["/", [target, "*"]]}
            for action, resource in (("s3:PutObject", objects), ("s3:ListBucket", target)):
                statement = {"Effect": "Allow", "Action": action, "Resource": resource}
                out.append((f"{name}OnFailurePolicy", statement, _line_of(failure)))
    return out


def _substitute(value: Any, parameters: Mapping[str, Any]) -> Any:
    """A SAM policy template's ``{"Ref": "TableName"}`` placeholders replaced by the values given."""
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in parameters:
            return parameters[value["Ref"]]
        return {k: _substitute(v, parameters) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, parameters) for v in value]
    return value


def _statements(raw: Any, ctx: Context, label: str, line: int = 0) -> list[PolicyStatement]:
    """Statements the template writes (at their lines in it) or a SAM policy template expands to
    (at ``line``, where the template names it)."""
    return declared_statements(
        raw, label, lambda resource: [t.pattern() for t in resolve(resource, ctx)], file=ctx.path, line=line
    )


def _line_of(value: Any) -> int:
    """The template line a mapping read from it starts on (0 for one built here)."""
    return int(getattr(value, "line", 0) or 0)
