"""The public ``terraform-aws-modules/lambda/aws`` module, read from its documented inputs.

The module is not in the repository (Terraform downloads it), so policygen knows it by its
interface (https://registry.terraform.io/modules/terraform-aws-modules/lambda/aws): the inputs
below with the module's defaults, and the role policies it attaches (``iam.tf`` of the module):
logs unless ``attach_cloudwatch_logs_policy = false``; ``policy_statements``, ``policy_json``,
``policy``/``policies`` (managed, named in a note), the dead-letter policy, and the AWS managed
network and tracing policies (named in a note) when their ``attach_*`` flag is set.
"""

from __future__ import annotations

from typing import Any

from policygen.deploy.declared import RolePolicies
from policygen.deploy.intrinsics import NAME_RULES
from policygen.deploy.terraform import code as code_
from policygen.deploy.terraform import hcl, modules
from policygen.deploy.terraform.function import (
    Document,
    Lambda,
    PolicyAt,
    destination,
    document_statements,
    environment,
    event_kind,
    not_python,
    statements_of_map,
)
from policygen.deploy.terraform.values import Each, Instance, Value, as_text, known, truthy, unknown
from policygen.errors import DeploymentError
from policygen.model import EventSource, FunctionConfig, Hole, Text, Trigger
from policygen.policy.document import Effect, Origin, PolicyStatement

DEFAULTS: dict[str, Value] = {
    "create": True,
    "create_function": True,
    "create_package": True,
    "create_role": True,
    "create_layer": False,
    "package_type": Text.of("Zip"),
    "attach_cloudwatch_logs_policy": True,
    "attach_create_log_group_permission": True,
    "use_existing_cloudwatch_log_group": False,
    "attach_dead_letter_policy": False,
    "attach_network_policy": False,
    "attach_tracing_policy": False,
    "attach_policy_json": False,
    "attach_policy": False,
    "attach_policies": False,
    "attach_policy_statements": False,
}


class Inputs:
    """The module call's arguments, evaluated in the caller, with the module's defaults."""

    def __init__(self, caller: Instance, block: hcl.Block, each: Each | None) -> None:
        self.caller = caller
        self.block = block
        self.each = each

    def has(self, name: str) -> bool:
        return name in self.block.body and self.get(name) is not None

    def get(self, name: str) -> Value:
        if name in self.block.body:
            return self.caller.value(self.block.body[name], self.each)
        return DEFAULTS.get(name)

    def flag(self, name: str) -> bool:
        value = truthy(self.get(name))
        return bool(DEFAULTS.get(name)) if value is None else value

    def text(self, name: str) -> Text | None:
        return as_text(self.get(name)) if self.has(name) else None


def function_name(caller: Instance, block: hcl.Block, each: Each | None) -> Text:
    name = Inputs(caller, block, each).text("function_name")
    return name if name is not None else unknown(f"module.{block.name}: no function_name")


def output(caller: Instance, block: hcl.Block, each: Each | None, name: str) -> Value:
    fn = function_name(caller, block, each)
    inputs = Inputs(caller, block, each)
    role = inputs.text("role_name") or fn
    if name == "lambda_function_name":
        return fn
    if name in ("lambda_function_arn", "lambda_function_qualified_arn"):
        return caller.arn(NAME_RULES["AWS::Lambda::Function"].arn, fn)
    if name == "lambda_role_name":
        return role
    if name == "lambda_role_arn":
        return caller.arn(NAME_RULES["AWS::IAM::Role"].arn, role)
    if name == "lambda_cloudwatch_log_group_name":
        return Text.join("/aws/lambda/", fn)
    return unknown(f"module.{block.name}.{name}")


def read(caller: Instance, block: hcl.Block, each: Each | None) -> tuple[Lambda, code_.Code | None] | None:
    """The function this module instance creates, and its code (None when it is not Python);
    None when it creates no function."""
    inputs = Inputs(caller, block, each)
    address = modules.address(caller, block, each)
    if not inputs.flag("create") or not inputs.flag("create_function") or inputs.flag("create_layer"):
        return None  # the module makes no function (or a layer)
    fn = function_name(caller, block, each)
    where = block.where
    notes: list[str] = []
    # What the Lambda service does with the role.
    sources = []
    triggers = []
    mappings = inputs.get("event_source_mapping")
    for key, mapping in sorted(mappings.items()) if isinstance(mappings, dict) else []:
        if isinstance(mapping, dict) and "event_source_arn" in mapping:
            arn = as_text(mapping["event_source_arn"])
            kind = event_kind(arn)
            sources.append(EventSource(kind, (arn,), block.location, f"event_source_mapping.{key}"))
            if kind in ("sqs", "kinesis", "dynamodb"):
                triggers.append(Trigger(kind, (arn,)))
    triggers.extend(_allowed_triggers(inputs.get("allowed_triggers")))
    destinations = []
    dead_letter = inputs.text("dead_letter_target_arn")
    if dead_letter is not None:
        destinations.append(destination(dead_letter, "dead_letter_target_arn"))
    log_group = inputs.text("logging_log_group")
    config = FunctionConfig(
        name=fn,
        source=block.location,
        vpc=inputs.has("vpc_subnet_ids"),
        tracing=known(inputs.get("tracing_mode")) == "Active",
        event_sources=tuple(sources),
        destinations=tuple(destinations),
        kms_key=inputs.text("kms_key_arn"),
        log_group=log_group,
    )
    # What the role has today.
    role: str | None = None
    policies = RolePolicies()
    if inputs.flag("create_role"):
        role = f"{address}.lambda_role_name" if not caller.address else None
        policies.statements.extend(
            _module_statements(caller, inputs, fn, log_group, dead_letter, notes, policies, where)
        )
    else:
        role, policies, role_notes = _existing_role(caller, inputs, each)
        notes.extend(role_notes)
    lam = Lambda(
        address=address,
        where=where,
        function_name=fn,
        handler=known(inputs.get("handler")) if inputs.has("handler") else None,
        runtime=known(inputs.get("runtime")) if inputs.has("runtime") else None,
        package_type=known(inputs.get("package_type")),
        environment=environment(caller, inputs.get("environment_variables")),
        config=config,
        role=role,
        statements=tuple(policies.statements),
        notes=tuple(notes),
        managed_policies=tuple(policies.managed),
        triggers=tuple(triggers),
        boundary=policies.boundary,
        unknown=tuple(policies.unknown),
        errors=tuple(policies.errors),
    )
    return lam, None if not_python(lam) else _code(caller, inputs, address)


def _allowed_triggers(allowed: Value) -> list[Trigger]:
    """allowed_triggers (the function's resource policy): an S3 bucket or SNS topic allowed to
    invoke it is what names the event's records."""
    out = []
    for _key, trigger in sorted(allowed.items()) if isinstance(allowed, dict) else []:
        if not isinstance(trigger, dict) or "source_arn" not in trigger:
            continue
        service = known(trigger.get("service")) or (known(trigger.get("principal")) or "").split(".")[0]
        arn = as_text(trigger["source_arn"])
        if service == "s3" and str(arn).startswith("arn:"):
            out.append(Trigger("s3", (Text(tuple(_after_prefix(arn.parts))),)))
        elif service == "sns":
            out.append(Trigger("sns", (arn,)))
    return out


def _after_prefix(parts: tuple[str | Hole, ...]) -> list[str | Hole]:
    """The bucket name of an S3 bucket ARN (``arn:aws:s3:::name``)."""
    first = parts[0]
    if isinstance(first, str) and first.count(":") >= 5:
        return [first.split(":", 5)[5], *parts[1:]]
    return list(parts)


def _module_statements(
    caller: Instance,
    inputs: Inputs,
    fn: Text,
    log_group: Text | None,
    dead_letter: Text | None,
    notes: list[str],
    policies: RolePolicies,
    where: str,
) -> list[PolicyStatement]:
    from policygen.deploy.terraform.reader import attach_policy, declared_boundary

    out: list[PolicyStatement] = []
    module = f"{caller.prefix()}module.{inputs.block.name}"

    def written_by(flag: str) -> Origin:
        """The module writes the statement when ``flag`` is on: findings point at the call."""
        return Origin(f"{module} {flag}", 0, inputs.block.location.line, inputs.block.location.path)

    if inputs.flag("attach_cloudwatch_logs_policy"):
        group = caller.arn(
            NAME_RULES["AWS::Logs::LogGroup"].arn, log_group or Text.join("/aws/lambda/", fn)
        ).pattern()
        actions = ["logs:CreateLogStream", "logs:PutLogEvents"]
        if inputs.flag("attach_create_log_group_permission") and not inputs.flag(
            "use_existing_cloudwatch_log_group"
        ):
            actions.insert(0, "logs:CreateLogGroup")
        out.append(
            PolicyStatement(
                Effect.ALLOW,
                tuple(actions),
                (f"{group}:*", f"{group}:*:*"),
                sid="ModuleLogs",
                origin=written_by("attach_cloudwatch_logs_policy"),
            )
        )
    if inputs.flag("attach_dead_letter_policy") and dead_letter is not None:
        out.append(
            PolicyStatement(
                Effect.ALLOW,
                ("sns:Publish", "sqs:SendMessage"),
                (dead_letter.pattern(),),
                sid="ModuleDeadLetter",
                origin=written_by("attach_dead_letter_policy"),
            )
        )
    if inputs.flag("attach_policy_statements"):
        listed = inputs.get("policy_statements")
        if not isinstance(listed, dict):
            policies.unknown.append(
                f"policy_statements ({where}): {as_text(listed) if isinstance(listed, Text) else 'not a map'}: "
                "not known to policygen"
            )
        at = PolicyAt(inputs.block, f"{module} policy_statements", "policy_statements")
        out.extend(statements_of_map(caller, listed, "ModuleInline", at))
    if inputs.flag("attach_policy_json") and "policy_json" in inputs.block.body:
        at = PolicyAt(inputs.block, f"{module} policy_json", "policy_json")
        out.extend(
            document_statements(caller, inputs.block.body["policy_json"], inputs.each, "ModuleJson", policies, where, at)
        )
    for flag, name in (
        ("attach_network_policy", "AWSLambdaENIManagementAccess"),
        ("attach_tracing_policy", "AWSXRayDaemonWriteAccess"),
    ):
        if inputs.flag(flag):
            policies.managed.append(name)
    attached: list[object] = []  # as written: an aws_iam_policy of the caller's module is read
    if inputs.flag("attach_policy") and inputs.has("policy"):
        attached.append(inputs.block.body["policy"])
    if inputs.flag("attach_policies") and "policies" in inputs.block.body:
        raw = inputs.block.body["policies"]
        attached.extend(raw if isinstance(raw, list) else [raw])
    documents: list[Document] = []
    for arn in attached:
        attach_policy(caller, arn, inputs.each, where, policies, documents, notes)
    for index, (owner, document, attached_at, written, each) in enumerate(documents):
        out.extend(document_statements(owner, document, each, f"ModulePolicy{index}S", policies, attached_at, written))
    if "role_permissions_boundary" in inputs.block.body:
        policies.boundary = declared_boundary(caller, inputs.block.body["role_permissions_boundary"], inputs.each, where)
    return out


def _existing_role(
    caller: Instance, inputs: Inputs, each: Each | None
) -> tuple[str | None, RolePolicies, list[str]]:
    from policygen.deploy.terraform.reader import role_instance, role_policies

    found = role_instance(caller, hcl.parse_value(inputs.block.body.get("lambda_role")), each)
    if isinstance(found, str):
        return None, RolePolicies(unknown=[found]), []
    if found is not None:
        name, role_each = found
        policies, notes = role_policies(caller, name, role_each)
        suffix = role_each.suffix() if role_each else ""
        role = f"aws_iam_role.{name}{suffix}.name" if not caller.address else None
        return role, policies, notes
    return None, RolePolicies(), []


def _code(caller: Instance, inputs: Inputs, address: str) -> code_.Code:
    what = f"{inputs.block.where}: {address}"
    if not inputs.flag("create_package"):
        if inputs.has("local_existing_package"):
            path = known(inputs.get("local_existing_package"))
            if path is None:
                raise DeploymentError(f"{what}: local_existing_package cannot be evaluated")
            return code_.of_zip(caller, path, f"{what}: local_existing_package")
        raise code_.NotInRepository(
            f"{what}: its package is in S3 (s3_existing_package); point policygen at the code"
        )
    source_path = inputs.get("source_path")
    entries: list[tuple[str, str]] = []
    for entry in source_path if isinstance(source_path, list) else [source_path]:
        entry_path: Any = entry.get("path") if isinstance(entry, dict) else entry
        prefix: Any = entry.get("prefix_in_zip") if isinstance(entry, dict) else None
        if entry_path is None:
            continue
        text = known(entry_path) if isinstance(entry_path, Text) else None
        if text is None:
            raise DeploymentError(f"{what}: source_path {as_text(entry_path)} cannot be evaluated")
        entries.append((text, known(prefix) or "" if isinstance(prefix, Text) else ""))
    if not entries:
        raise code_.NotInRepository(f"{what}: no source_path: policygen cannot see its code")
    return code_.of_paths(caller, entries, f"{what}: source_path")
