"""The role a SAM/CloudFormation function runs with, as its template declares it.

A function's ``Role`` naming an ``AWS::IAM::Role`` of the template (``!GetAtt R.Arn``,
``!Ref R``, ``!Sub ${R.Arn}``) -> that role's policies: its inline ``Policies``, its
``ManagedPolicyArns`` (an ``AWS::IAM::ManagedPolicy`` of the template by its statements, any other
ARN by reference, looked up among AWS managed policies later), the ``AWS::IAM::Policy``,
``AWS::IAM::ManagedPolicy`` and ``AWS::IAM::RolePolicy`` resources that attach to it
(``Roles: [!Ref R]``, ``RoleName: !Ref R``), and its ``PermissionsBoundary``. A SAM function's own
``PermissionsBoundary`` and ``Policies: [!Ref ManagedPolicy]`` are read the same way.

What the template cannot tell (an ARN from a parameter without a value, an import from another
stack) is named in ``unknown``; a policy the template spells so that IAM would reject it is an
``error`` naming the template's line. Neither is dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from policygen.deploy.declared import RolePolicies, declared_statements
from policygen.deploy.intrinsics import Context, resolve
from policygen.errors import DeploymentError
from policygen.model import DeclaredPolicy
from policygen.policy.document import PolicyDocument, PolicyStatement

ATTACHING_TYPES = ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")


def _line(value: Any, default: int) -> int:
    return int(getattr(value, "line", 0) or default)


def role_logical_id(role: Any, resources: Mapping[str, Any]) -> str | None:
    """The logical id of the template's ``AWS::IAM::Role`` a function's ``Role`` names, if any."""
    target: Any = None
    if isinstance(role, dict) and len(role) == 1:
        ((name, arg),) = role.items()
        if name == "Ref":
            target = arg
        elif name == "Fn::GetAtt":
            target = (arg.split(".", 1) if isinstance(arg, str) else arg or [None])[0]
        elif name == "Fn::Sub" and isinstance(arg, str) and arg.startswith("${") and arg.endswith(".Arn}"):
            target = arg[2 : -len(".Arn}")]
    resource = resources.get(target) if isinstance(target, str) else None
    if isinstance(resource, dict) and resource.get("Type") == "AWS::IAM::Role":
        return str(target)
    return None


def read_role(logical: str, ctx: Context, label: str) -> RolePolicies:
    resource = ctx.resources[logical]
    props = resource.get("Properties") or {}
    line = _line(resource, 0)
    out = RolePolicies()
    inline = props.get("Policies") or []
    for index, policy in enumerate(inline if isinstance(inline, list) else [inline]):
        where = f"{label}:{_line(policy, line)}"
        if not isinstance(policy, dict) or not isinstance(policy.get("PolicyDocument"), dict):
            out.errors.append(
                f"{where}: {logical} Policies[{index}] has no PolicyDocument mapping: IAM would reject the role"
            )
            continue
        name = policy.get("PolicyName") if isinstance(policy.get("PolicyName"), str) else str(index)
        out.statements.extend(document(policy["PolicyDocument"], ctx, label, f"{logical}{name}", out.errors))
    arns = props.get("ManagedPolicyArns") or []
    for value in arns if isinstance(arns, list) else [arns]:
        attach(value, ctx, label, _line(arns, line), f"{logical} ManagedPolicyArns", out)
    if props.get("PermissionsBoundary") is not None:
        out.boundary = boundary(props["PermissionsBoundary"], ctx, label, _line(props, line), logical)
    for other, attached in ctx.resources.items():
        if not isinstance(attached, dict):
            continue
        rtype = attached.get("Type")
        body = attached.get("Properties") or {}
        if rtype in ATTACHING_TYPES:
            roles = body.get("Roles") or []
            hit = any(_refers_to(r, logical) for r in (roles if isinstance(roles, list) else [roles]))
        elif rtype == "AWS::IAM::RolePolicy":
            hit = _refers_to(body.get("RoleName"), logical)
        else:
            continue
        if not hit:
            continue
        if not isinstance(body.get("PolicyDocument"), dict):
            out.errors.append(
                f"{label}:{_line(attached, line)}: {other} ({rtype}) has no PolicyDocument mapping: IAM would reject it"
            )
            continue
        out.statements.extend(document(body["PolicyDocument"], ctx, label, other, out.errors))
    return out


def _refers_to(value: Any, logical: str) -> bool:
    return isinstance(value, dict) and value.get("Ref") == logical


def document(raw: Mapping[str, Any], ctx: Context, label: str, name: str, errors: list[str]) -> list[PolicyStatement]:
    """A PolicyDocument of the template as statements; each statement IAM would reject is an error."""
    statements = raw.get("Statement")
    if statements is None:
        errors.append(f"{label}:{_line(raw, 0)}: the PolicyDocument of {name} has no Statement")
        return []

    def failed(index: int, message: str) -> None:
        listed = statements if isinstance(statements, list) else [statements]
        where = _line(listed[index], _line(raw, 0)) if index < len(listed) else _line(raw, 0)
        errors.append(f"{label}:{where}: {name} {message}")

    return declared_statements(statements, name, _patterns(ctx), on_error=failed, file=label, line=_line(raw, 0))


def _patterns(ctx: Context) -> Callable[[Any], list[str]]:
    return lambda resource: [t.pattern() for t in resolve(resource, ctx)]


def _managed_document(value: Any, ctx: Context) -> tuple[str, Mapping[str, Any]] | None:
    """A ``!Ref`` to an ``AWS::IAM::ManagedPolicy`` of the template: its id and document."""
    if isinstance(value, dict) and set(value) == {"Ref"} and isinstance(value["Ref"], str):
        resource = ctx.resources.get(value["Ref"])
        if isinstance(resource, dict) and resource.get("Type") == "AWS::IAM::ManagedPolicy":
            body = (resource.get("Properties") or {}).get("PolicyDocument")
            return value["Ref"], body if isinstance(body, dict) else {}
    return None


def _reference(value: Any, ctx: Context, where: str, what: str) -> tuple[str | None, str | None]:
    """A managed policy ARN (or name) as written: (the ARN, None) when the template tells it,
    (None, why not) when not. A Ref to nothing in the template is a `DeploymentError`."""
    try:
        texts = resolve(value, ctx)
    except DeploymentError as exc:
        raise DeploymentError(f"{where}: {what}: {exc}") from exc
    known = {t.known for t in texts}
    if len(known) == 1 and None not in known:
        return next(iter(known)), None
    shown = " or ".join(str(t) for t in texts)
    return None, f"{what} {shown} at {where}: its ARN is not known from the template"


def attach(value: Any, ctx: Context, label: str, line: int, what: str, out: RolePolicies) -> None:
    """One managed policy attached to the role: its statements when the template defines it."""
    where = f"{label}:{_line(value, line)}"
    found = _managed_document(value, ctx)
    if found is not None:
        name, body = found
        out.statements.extend(document(body, ctx, label, name, out.errors))
        return
    arn, why = _reference(value, ctx, where, what)
    if arn is not None:
        out.managed.append(arn)
    else:
        out.unknown.append(why or "")


def boundary(value: Any, ctx: Context, label: str, line: int, owner: str) -> DeclaredPolicy:
    """The role's permissions boundary: its document when the template defines it, else its ARN
    (looked up among AWS managed policies), else what is unknown of it."""
    where = f"{label}:{_line(value, line)}"
    found = _managed_document(value, ctx)
    if found is not None:
        name, body = found
        errors: list[str] = []
        statements = document(body, ctx, label, name, errors)
        if errors:
            raise DeploymentError("; ".join(errors))
        return DeclaredPolicy(name, PolicyDocument(tuple(statements), source=f"{label} {name}"), where=where)
    arn, why = _reference(value, ctx, where, f"{owner} PermissionsBoundary")
    return DeclaredPolicy(arn or str(value), None, unknown=why, where=where)
