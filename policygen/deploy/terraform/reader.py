"""Walking a Terraform project's module instances -> one `FunctionSpec` per function instance.

Functions are ``aws_lambda_function`` resources (one per ``count``/``for_each`` instance, named
by its index or key) and calls of the registry Lambda module, in the root module and in every
local module it calls, however nested (``module.api.aws_lambda_function.this``). A function that
cannot be read (its module's source is missing, its code folder does not exist) is that
function's failure; one whose code is not Python or not in the repository is listed as not
analysed, with the reason. Neither stops the others.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from policygen.deploy.declared import RolePolicies
from policygen.deploy.intrinsics import NAME_RULES
from policygen.deploy.terraform import code as code_
from policygen.deploy.terraform import hcl, modules, registry
from policygen.deploy.terraform.function import (
    Document,
    Lambda,
    PolicyAt,
    destination,
    document_statements,
    environment,
    event_kind,
    not_python,
    skipped,
    spec,
)
from policygen.deploy.terraform.values import TF_TYPES, Each, Instance, Project, as_text, comparable, known
from policygen.errors import DeploymentError
from policygen.model import (
    DeclaredPolicy,
    EventSource,
    FunctionConfig,
    FunctionSpec,
    IacReference,
    Target,
    Text,
    Trigger,
)
from policygen.policy.document import PolicyDocument


def has_terraform(root: Path) -> bool:
    return any(root.glob("*.tf"))


def stated_region(root: Path, target: Target, variables: Mapping[str, str]) -> tuple[str, str] | None:
    """The region the root module's default ``aws`` provider (the one without ``alias``) states,
    evaluated with the variables given, with where; None when it states none or its value is not
    known (a variable without a default, an environment variable the provider reads)."""
    project = Project(root.resolve(), target, dict(variables))
    top = Instance(project, project.config(project.root), "", {})
    for block in top.config.providers:
        if block.type != "aws" or "alias" in block.body or "region" not in block.body:
            continue
        region = known(top.value(block.body["region"]))
        return (region, f'{block.where} provider "aws" region') if region else None
    return None


def read(root: Path, target: Target, variables: Mapping[str, str]) -> list[FunctionSpec]:
    project = Project(root.resolve(), target, dict(variables))
    top = Instance(project, project.config(project.root), "", {})
    references = _references(top)
    specs: list[FunctionSpec] = []
    remote: list[str] = []
    _walk(top, specs, references, remote)
    if not specs:
        raise DeploymentError(_nothing_found(project, remote))
    if remote:
        note = "; ".join(remote)
        specs = [
            s if s.skipped else _with_note(s, f"not read (not in the repository): {note}") for s in specs
        ]
    return specs


def _failed(address: str, where: str, exc: DeploymentError) -> FunctionSpec:
    """A function (or every function of a module) the reader could not read: that function's
    failure, reported while the others are analysed, as SAM and Serverless functions are. Code
    that is not in the repository is not a failure: the function is listed as not analysed."""
    if isinstance(exc, code_.NotInRepository):
        return skipped(address, where, str(exc))
    return FunctionSpec.unreadable(address, where, str(exc))


def _with_note(function: FunctionSpec, note: str) -> FunctionSpec:
    return replace(function, notes=(*function.notes, note))


def _walk(
    instance: Instance, specs: list[FunctionSpec], references: tuple[IacReference, ...], remote: list[str]
) -> None:
    for (rtype, name), block in sorted(instance.config.resources.items()):
        if rtype != "aws_lambda_function":
            continue
        address = f"{instance.prefix()}aws_lambda_function.{name}"
        for each in _instances(instance, block, address, specs):
            where = f"{address}{each.suffix() if each else ''}"
            try:
                function = _resource_function(instance, block, each, where)
                reason = not_python(function)
                if reason is not None:
                    specs.append(skipped(where, block.where, reason))
                    continue
                code = code_.of_function(instance, block.body, each, f"{block.where}: {where}")
                specs.append(spec(function, code, references))
            except DeploymentError as exc:
                specs.append(_failed(where, block.where, exc))
    for name, block in sorted(instance.config.modules.items()):
        kind = modules.kind(block)
        address = f"{instance.prefix()}module.{name}"
        if kind == "remote":
            remote.append(f"{address} ({modules.source_of(block)}, {block.where})")
            continue
        for each in _instances(instance, block, address, specs):
            where = modules.address(instance, block, each)
            try:
                if kind == "lambda":
                    found = registry.read(instance, block, each)
                    if found is None:
                        continue
                    module_function, module_code = found
                    module_function = _invoked(instance, block, each, module_function)
                    reason = not_python(module_function)
                    if reason is not None or module_code is None:
                        specs.append(skipped(where, block.where, reason or "its code cannot be read"))
                        continue
                    specs.append(spec(module_function, module_code, references))
                else:
                    child = modules.child(instance, block, each)
            except DeploymentError as exc:
                specs.append(_failed(where, block.where, exc))
                continue
            if kind == "local":
                _walk(child, specs, references, remote)


def _instances(
    instance: Instance, block: hcl.Block, address: str, specs: list[FunctionSpec]
) -> list[Each | None]:
    try:
        instances = instance.instances_of(block)
    except DeploymentError as exc:
        specs.append(_failed(address, block.where, exc))
        return []
    if isinstance(instances, Text):
        reason = f"{block.where}: {address}: {instances}; give the variables it needs with --var"
        specs.append(FunctionSpec.unreadable(address, block.where, reason))
        return []
    return instances


def _resource_function(instance: Instance, block: hcl.Block, each: Each | None, address: str) -> Lambda:
    body = block.body
    function_name = (
        instance.text(body["function_name"], each) if "function_name" in body else Text.unknown(address)
    )
    sources, triggers, invoker_notes = _invokers(instance, block, each, function_name)
    destinations = []
    dead = hcl.block(body, "dead_letter_config")
    dead_target = _set(instance, dead, "target_arn", each)
    if dead_target is not None:
        destinations.append(destination(dead_target, "dead_letter_config"))
    logging = hcl.block(body, "logging_config")
    config = FunctionConfig(
        name=function_name,
        source=block.location,
        vpc=bool(hcl.block(body, "vpc_config")),
        tracing=known(instance.value(hcl.block(body, "tracing_config").get("mode"), each)) == "Active",
        event_sources=tuple(sources),
        destinations=tuple(destinations),
        kms_key=_set(instance, body, "kms_key_arn", each),
        log_group=_set(instance, logging, "log_group", each),
    )
    role: str | None = None
    policies = RolePolicies()
    notes: list[str] = []
    found_role = role_instance(instance, hcl.parse_value(body.get("role")), each)
    if isinstance(found_role, str):
        policies.unknown.append(found_role)
    elif found_role is not None:
        role_name, role_each = found_role
        policies, notes = role_policies(instance, role_name, role_each)
        role = _role_expression(instance, role_name, role_each.suffix() if role_each else "")
    package_type = known(instance.value(body["package_type"], each)) if "package_type" in body else None
    if _set(instance, body, "image_uri", each) is not None and package_type in (None, "Image"):
        package_type = "Image"
    return Lambda(
        address=address,
        where=block.where,
        function_name=function_name,
        handler=known(instance.value(body["handler"], each)) if "handler" in body else None,
        runtime=known(instance.value(body["runtime"], each)) if "runtime" in body else None,
        package_type=package_type,
        environment=environment(
            instance, instance.value(hcl.block(body, "environment").get("variables"), each)
        ),
        config=config,
        role=role,
        statements=tuple(policies.statements),
        notes=(*notes, *invoker_notes),
        triggers=tuple(triggers),
        managed_policies=tuple(policies.managed),
        boundary=policies.boundary,
        unknown=tuple(policies.unknown),
        errors=tuple(policies.errors),
    )


def _invoked(instance: Instance, block: hcl.Block, each: Each | None, function: Lambda) -> Lambda:
    """A registry-module function with what invokes it from outside the module (an S3
    notification, an SNS subscription, a mapping naming it through the module's outputs)."""
    sources, triggers, notes = _invokers(instance, block, each, function.function_name)
    config = replace(function.config, event_sources=(*function.config.event_sources, *sources))
    return replace(function, config=config, triggers=(*function.triggers, *triggers), notes=(*function.notes, *notes))


def _set(instance: Instance, body: dict[str, Any], key: str, each: Each | None) -> Text | None:
    """The argument's value, None when it is absent or null (``kms_key_arn = var.kms_key_arn``
    with ``default = null``, as public modules pass optional arguments): Terraform then leaves
    it unset, and Lambda uses no customer key, no image, no dead-letter target."""
    if not body.get(key):
        return None
    value = instance.value(body[key], each)
    if value is None or (isinstance(value, Text) and value.known == ""):
        return None
    return as_text(value)


def _role_expression(instance: Instance, role: str, suffix: str) -> str | None:
    """How the root module names the role: ``aws_iam_role.r.name`` there, or the output of the
    module (called by the root) that gives the role's name."""
    if not instance.address:
        return f"aws_iam_role.{role}{suffix}.name"
    if suffix or instance.parent is None or instance.parent.address:
        return None
    for output, raw in sorted(instance.config.outputs.items()):
        expr = hcl.parse_value(raw)
        if (
            isinstance(expr, hcl.Ref)
            and expr.root == "aws_iam_role"
            and list(expr.steps) in ([role, "name"], [role, "id"])
        ):
            return f"{instance.address}.{output}"
    return None


def _naming_function(
    instance: Instance,
    function: hcl.Block,
    each: Each | None,
    function_name: Text,
    rtype: str,
    argument: Callable[[dict[str, Any]], list[Any]],
    uncounted: list[str],
) -> list[tuple[Instance, hcl.Block, Each | None, dict[str, Any], str]]:
    """The ``rtype`` instances one of whose ``argument`` values (a function name or ARN) names
    this function: by reference in its own module, by name or ARN in any (calling modules see it
    through outputs). Each with the block (a nested block, or the body) that names it. A block of
    the function's module that refers to it but whose count/for_each can't be evaluated is
    named in ``uncounted`` (where, why), never dropped unsaid."""
    names = {function_name.known}
    if function_name.known:
        names.add(instance.arn(NAME_RULES["AWS::Lambda::Function"].arn, function_name).known)
    names.discard(None)
    out = []
    for owner in instance.chain():
        for (found_type, name), block in sorted(owner.config.resources.items()):
            if found_type != rtype:
                continue
            instances = owner.instances_of(block)
            if isinstance(instances, Text):
                if owner is instance and any(_mentions(raw, function) for _, raw in argument(block.body)):
                    uncounted.append(
                        f"{block.where}: {rtype}.{name}: {_why(instances)}; what it gives this function (what "
                        "Lambda polls with the role, the resources its events name) is not read (give the "
                        "variables it needs with --var)"
                    )
                continue
            for found_each in instances:
                for part, raw in argument(block.body):
                    if _names(owner, instance, raw, found_each, function, each, names):
                        label = f"{owner.prefix()}{rtype}.{name}" + (
                            found_each.suffix() if found_each else ""
                        )
                        out.append((owner, block, found_each, part, label))
    return out


def _mentions(raw: Any, function: hcl.Block) -> bool:
    """Whether an argument refers to ``function`` by reference (whatever the instance)."""
    prefix = "aws_lambda_function" if function.kind == "resource" else "module"
    return isinstance(raw, str) and re.search(rf"\b{prefix}\.{re.escape(function.name)}\b", raw) is not None


def _names(
    owner: Instance,
    instance: Instance,
    raw: Any,
    owner_each: Each | None,
    function: hcl.Block,
    each: Each | None,
    names: set[str | None],
) -> bool:
    expr = hcl.parse_value(raw)
    if (
        owner is instance
        and function.kind == "resource"
        and isinstance(expr, hcl.Ref)
        and expr.root == "aws_lambda_function"
        and expr.steps
    ):
        if expr.steps[0] != function.name:
            return False
        index = expr.steps[1] if len(expr.steps) > 1 and not isinstance(expr.steps[1], str) else None
        if (index is None) != (each is None):
            return False
        if index is not None and each is not None:
            return known(as_text(owner.evaluate(index, owner_each))) == known(as_text(each.key))
        return True
    return known(owner.value(raw, owner_each)) in names


def _mapping_target(body: dict[str, Any]) -> list[tuple[dict[str, Any], Any]]:
    return [(body, body.get("function_name"))]


def _notification_targets(body: dict[str, Any]) -> list[tuple[dict[str, Any], Any]]:
    blocks = body.get("lambda_function", [])
    return [
        (b, b.get("lambda_function_arn"))
        for b in (blocks if isinstance(blocks, list) else [blocks])
        if isinstance(b, dict)
    ]


def _subscription_target(body: dict[str, Any]) -> list[tuple[dict[str, Any], Any]]:
    return [(body, body.get("endpoint"))] if hcl.unquote(body.get("protocol")) == "lambda" else []


def _invokers(
    instance: Instance, function: hcl.Block, each: Each | None, function_name: Text
) -> tuple[list[EventSource], list[Trigger], list[str]]:
    """Event source mappings (what Lambda polls with the role) and what invokes the function with
    an event naming a resource: mappings, S3 bucket notifications, SNS subscriptions; and notes
    on those whose instances can't be counted."""
    sources = []
    triggers = []
    notes: list[str] = []
    for owner, block, found_each, part, label in _naming_function(
        instance, function, each, function_name, "aws_lambda_event_source_mapping", _mapping_target, notes
    ):
        arn = owner.text(part.get("event_source_arn"), found_each)
        kind = event_kind(arn)
        sources.append(EventSource(kind, (arn,), block.location, label))
        if kind in ("sqs", "kinesis", "dynamodb"):
            triggers.append(Trigger(kind, (arn,)))
    for owner, block, found_each, _part, _label in _naming_function(
        instance, function, each, function_name, "aws_s3_bucket_notification", _notification_targets, notes
    ):
        triggers.append(Trigger("s3", (owner.text(block.body.get("bucket"), found_each),)))
    for owner, block, found_each, _part, _label in _naming_function(
        instance, function, each, function_name, "aws_sns_topic_subscription", _subscription_target, notes
    ):
        triggers.append(Trigger("sns", (owner.text(block.body.get("topic_arn"), found_each),)))
    return sources, triggers, notes


def role_instance(instance: Instance, expr: hcl.Expr, each: Each | None) -> tuple[str, Each | None] | str | None:
    """The ``aws_iam_role`` of ``instance``'s module an expression names, with its instance when
    the role has ``count``/``for_each`` (``aws_iam_role.r[each.key].arn``); a message when its
    instance can't be told (what, where, why: the comparison is then incomplete); None when the
    expression names no role of the module."""
    name = referenced(instance, expr, "aws_iam_role")
    if name is None or not isinstance(expr, hcl.Ref):
        return None
    block = instance.config.resources[("aws_iam_role", name)]
    index = expr.steps[1] if len(expr.steps) > 1 and not isinstance(expr.steps[1], str) else None
    found = instance.instance_for(block, None if index is None else instance.evaluate(index, each), 0)
    if isinstance(found, Text):
        return (
            f"{instance.prefix()}aws_iam_role.{name} ({block.where}): which instance of the role is meant cannot be "
            f"evaluated ({_why(found)}); its policies are not read (give the variables it needs with --var)"
        )
    return name, found


def _why(unknown: Text) -> str:
    return unknown.reasons or str(unknown)


def _role_refs(expr: hcl.Expr) -> list[hcl.Ref]:
    """The references an argument's expression is made of (``"${aws_iam_role.r.name}"`` too)."""
    if isinstance(expr, hcl.Ref):
        return [expr]
    if isinstance(expr, hcl.Template):
        return [p for p in expr.parts if isinstance(p, hcl.Ref)]
    return []


def _attached(
    owner: Instance,
    instance: Instance,
    raw: object,
    role: str,
    role_name: str | None,
    owner_each: Each | None = None,
    role_each: Each | None = None,
) -> bool:
    """Whether ``raw`` (a ``role`` argument in ``owner``, in its ``owner_each`` instance) names
    ``aws_iam_role.<role>`` of ``instance`` (its ``role_each`` instance): by reference in the
    same module, by name from a calling module."""
    if owner is instance:
        for ref in _role_refs(hcl.parse_value(raw)):
            if ref.root != "aws_iam_role" or not ref.steps or ref.steps[0] != role:
                continue
            index = ref.steps[1] if len(ref.steps) > 1 and not isinstance(ref.steps[1], str) else None
            if index is None or role_each is None:
                return index is None and role_each is None
            return bool(comparable(owner.evaluate(index, owner_each)) == comparable(role_each.key))
        if role_each is None and isinstance(raw, str):
            return re.search(rf"\baws_iam_role\.{re.escape(role)}\.(id|name|arn|unique_id)\b", raw) is not None
    return role_name is not None and known(owner.value(raw, owner_each)) == role_name


def _names_role(owner: Instance, instance: Instance, raw: object, role: str) -> bool:
    """Whether ``raw`` may name ``aws_iam_role.<role>`` whatever the instances (for reporting an
    attachment whose own instances can't be counted)."""
    if owner is not instance:
        return False
    return any(r.root == "aws_iam_role" and r.steps and r.steps[0] == role for r in _role_refs(hcl.parse_value(raw)))


def role_policies(instance: Instance, role: str, role_each: Each | None = None) -> tuple[RolePolicies, list[str]]:
    """The policies attached to ``aws_iam_role.<role>`` (its ``role_each`` instance, for a role
    with ``count``/``for_each``), and notes: inline_policy blocks, aws_iam_role_policy, aws_iam_policy
    attached with aws_iam_role_policy_attachment, aws_iam_policy_attachment or the role's
    managed_policy_arns (in its module or in the modules that call it; an attachment with
    ``count``/``for_each`` by each of its instances), other managed policies by ARN, and its
    permissions_boundary. A policy whose document or ARN can't be evaluated, or an attachment
    whose instances can't be counted, is named in ``unknown`` (and the comparison says it is
    incomplete)."""
    role_block = instance.config.resources[("aws_iam_role", role)]
    role_name = known(instance.attribute(role_block, role_each, "name", 0)) if "name" in role_block.body else None
    out = RolePolicies()
    documents: list[Document] = []
    notes: list[str] = []
    inline = role_block.body.get("inline_policy", [])
    address = f"{instance.prefix()}aws_iam_role.{role}{role_each.suffix() if role_each else ''}"
    for number, policy in enumerate(inline if isinstance(inline, list) else [inline]):
        if isinstance(policy, dict) and policy.get("policy"):
            at = PolicyAt(role_block, f"{address} inline_policy", nested=("inline_policy", number))
            documents.append((instance, policy["policy"], role_block.where, at, role_each))

    def attach(owner: Instance, raw: object, where: str, each: Each | None) -> None:
        attach_policy(owner, raw, each, where, out, documents, notes)

    arns = hcl.parse_value(role_block.body.get("managed_policy_arns")) if "managed_policy_arns" in role_block.body else None
    listed = role_block.body.get("managed_policy_arns")
    if isinstance(listed, list):
        for item in listed:
            attach(instance, item, role_block.where, role_each)
    elif arns is not None:
        value = instance.evaluate(arns, role_each)
        for item in value if isinstance(value, list) else [value]:
            text = as_text(item)
            if text.known is not None:
                out.managed.append(text.known)
            else:
                out.unknown.append(
                    f"managed_policy_arns {hcl.render(arns)} ({role_block.where}): not known to policygen"
                )
    if "permissions_boundary" in role_block.body:
        out.boundary = declared_boundary(instance, role_block.body["permissions_boundary"], role_each, role_block.where)
    for owner in instance.chain():
        resources = owner.config.resources
        for (rtype, name), block in sorted(resources.items()):
            if rtype not in ("aws_iam_role_policy", "aws_iam_role_policy_attachment", "aws_iam_policy_attachment"):
                continue
            roles = block.body.get("roles") if rtype == "aws_iam_policy_attachment" else [block.body.get("role")]
            listed_roles = roles if isinstance(roles, list) else [roles]
            instances = owner.instances_of(block)
            if isinstance(instances, Text):
                if any(_names_role(owner, instance, r, role) for r in listed_roles):
                    out.unknown.append(
                        f"{owner.prefix()}{rtype}.{name} ({block.where}): {_why(instances)}; the policies it "
                        "attaches are not read (give the variables it needs with --var)"
                    )
                continue
            for owner_each in instances:
                if not any(_attached(owner, instance, r, role, role_name, owner_each, role_each) for r in listed_roles):
                    continue
                if rtype == "aws_iam_role_policy":
                    suffix = owner_each.suffix() if owner_each else ""
                    written = PolicyAt(block, f"{owner.prefix()}aws_iam_role_policy.{name}{suffix}")
                    documents.append((owner, block.body.get("policy"), block.where, written, owner_each))
                else:
                    attach(owner, block.body.get("policy_arn"), block.where, owner_each)
    for index, (owner, document, where, placed, each) in enumerate(documents):
        out.statements.extend(document_statements(owner, document, each, f"Tf{index}S", out, where, placed))
    return out, notes


def referenced(owner: Instance, expr: object, rtype: str) -> str | None:
    """The name of the resource of type ``rtype`` in ``owner``'s module an expression refers to
    (``aws_iam_policy.reads.arn`` -> ``reads``), if any."""
    if (
        isinstance(expr, hcl.Ref)
        and expr.root == rtype
        and expr.steps
        and isinstance(expr.steps[0], str)
        and (rtype, expr.steps[0]) in owner.config.resources
    ):
        return expr.steps[0]
    return None


def attach_policy(
    owner: Instance,
    raw: object,
    each: Each | None,
    where: str,
    out: RolePolicies,
    documents: list[Document],
    notes: list[str],
) -> None:
    """A managed policy attached to a role: an aws_iam_policy of ``owner``'s module goes to
    ``documents`` (read later), a known ARN to ``out.managed``, anything else to ``out.unknown``."""
    arn = raw if isinstance(raw, hcl.Ref) else hcl.parse_value(raw)
    name = referenced(owner, arn, "aws_iam_policy")
    if name is not None and isinstance(arn, hcl.Ref):
        block = owner.config.resources[("aws_iam_policy", name)]
        index = arn.steps[1] if len(arn.steps) > 1 and not isinstance(arn.steps[1], str) else None
        policy_each = owner.instance_for(block, None if index is None else owner.evaluate(index, each), 0)
        if isinstance(policy_each, Text):
            out.unknown.append(
                f"{owner.prefix()}aws_iam_policy.{name} ({where}): which instance is attached cannot be evaluated "
                f"({_why(policy_each)}); not read"
            )
            return
        suffix = policy_each.suffix() if policy_each else ""
        at = PolicyAt(block, f"{owner.prefix()}aws_iam_policy.{name}{suffix}")
        documents.append((owner, block.body.get("policy"), where, at, policy_each))
        return
    text = as_text(owner.evaluate(arn, each))
    if text.known is not None:
        out.managed.append(text.known)
        return
    notes.append(f"{where}: managed policy {text} is attached to the role but not expanded in the comparison")
    out.unknown.append(f"managed policy {text} ({where}): its ARN is not known to policygen")


def declared_boundary(instance: Instance, raw: object, each: Each | None, where: str) -> DeclaredPolicy:
    """A permissions boundary: an aws_iam_policy of the module by its document, else its ARN."""
    expr = hcl.parse_value(raw)
    name = referenced(instance, expr, "aws_iam_policy")
    if name is not None:
        report = RolePolicies()
        policy = instance.config.resources[("aws_iam_policy", name)]
        address = f"{instance.prefix()}aws_iam_policy.{name}"
        at = PolicyAt(policy, address)
        statements = document_statements(instance, policy.body.get("policy"), None, "TfBoundary", report, policy.where, at)
        if report.errors:
            raise DeploymentError("; ".join(report.errors))
        if report.unknown:
            return DeclaredPolicy(address, None, unknown="; ".join(report.unknown), where=where)
        return DeclaredPolicy(address, PolicyDocument(tuple(statements), source=address), where=where)
    text = as_text(instance.evaluate(expr, each))
    if text.known is not None:
        return DeclaredPolicy(text.known, where=where)
    return DeclaredPolicy(hcl.render(expr), unknown=f"its ARN is not known to policygen ({text})", where=where)


def _references(top: Instance) -> tuple[IacReference, ...]:
    """Names of the root module's resources, and how the root module spells them (for renderers)."""
    references = []
    for (rtype, rname), block in sorted(top.config.resources.items()):
        if rtype not in TF_TYPES or "count" in block.body or "for_each" in block.body:
            continue
        name_attribute = TF_TYPES[rtype][1]
        if name_attribute not in block.body:
            continue
        try:
            pattern = as_text(top.attribute(block, None, name_attribute, 0)).pattern()
        except DeploymentError:
            continue  # the function that needs it reports it
        service = NAME_RULES[TF_TYPES[rtype][0]].arn.split(":")[2]
        references.append(IacReference(pattern, f"{rtype}.{rname}.{name_attribute}", service))
    return tuple(references)


def _nothing_found(project: Project, remote: list[str]) -> str:
    found = []
    for config in sorted(project.configs.values(), key=lambda c: c.shown):
        where = "" if config.shown == "." else f" in {config.shown}"
        if config.resources:
            types = sorted({t for t, _ in config.resources})
            found.append(
                f"{len(config.resources)} resource(s){where} ({', '.join(types[:8])}{', ...' if len(types) > 8 else ''})"
            )
    found.extend(f"{r}, not in the repository" for r in remote)
    listed = "; ".join(found) if found else "no resources"
    return (
        f"{project.root.name}/*.tf: no Lambda function found: no aws_lambda_function resource and no "
        f"terraform-aws-modules/lambda/aws module (found {listed}). To analyse the Python files of this "
        "folder as one function, give --code-only (or --handler MODULE.FUNCTION)"
    )
