"""One function as Terraform declares it (an ``aws_lambda_function`` instance or a registry Lambda
module instance) -> `FunctionSpec`; and the role policies a configuration declares, read as
`PolicyStatement`s for the comparison."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from policygen.deploy.declared import RolePolicies, declared_statements
from policygen.deploy.terraform import hcl, positions
from policygen.deploy.terraform.code import Code
from policygen.deploy.terraform.values import Each, Instance, Value, as_text, known
from policygen.model import (
    CodeBundle,
    DeclaredPolicy,
    Destination,
    FunctionConfig,
    FunctionSpec,
    IacReference,
    Text,
    Trigger,
)
from policygen.policy.document import PolicyDocument, PolicyStatement

PYTHON = "python"


@dataclass(frozen=True)
class Lambda:
    address: str  # aws_lambda_function.fn["orders"], module.api.aws_lambda_function.this
    where: str  # main.tf:12
    function_name: Text
    handler: str | None
    runtime: str | None
    package_type: str | None
    environment: tuple[tuple[str, tuple[Text, ...]], ...]
    config: FunctionConfig
    role: str | None = None  # the role as the root module can spell it, for the renderers
    statements: tuple[PolicyStatement, ...] = ()
    notes: tuple[str, ...] = ()
    managed_policies: tuple[str, ...] = ()  # AWS managed policies on the role, by name or ARN
    triggers: tuple[Trigger, ...] = ()  # what invokes it with an event naming a resource
    boundary: DeclaredPolicy | None = None
    unknown: tuple[str, ...] = ()  # policies on the role that can't be read: what, where, why
    errors: tuple[str, ...] = ()  # policies on the role IAM would reject


def skipped(address: str, where: str, reason: str) -> FunctionSpec:
    """A function listed as not analysed; the reason without the place the listing already gives."""
    reason = reason.removeprefix(f"{where}: ").removeprefix(f"{address}: ")
    return FunctionSpec(
        name=address,
        code_dir="",
        handler=None,
        environment=(),
        deployed=None,
        kms_keys=(),
        source=where,
        skipped=reason,
    )


def not_python(function: Lambda) -> str | None:
    """Why the function's code is not Python that policygen can read, or None."""
    if function.package_type == "Image":
        return "a container image (package_type Image): its code is not in the repository as Python files"
    if function.runtime is not None and not function.runtime.startswith(PYTHON):
        return f"runtime {function.runtime}: policygen analyses Python functions"
    return None


def spec(function: Lambda, code: Code, references: tuple[IacReference, ...]) -> FunctionSpec:
    return FunctionSpec(
        name=function.address,
        code_dir=code.folder if code.folder is not None else _label(code.bundle),
        handler=function.handler,
        environment=function.environment,
        deployed=PolicyDocument(function.statements) if function.statements else None,
        kms_keys=(),
        source=function.where,
        notes=(*function.notes, *code.notes),
        role=function.role,
        references=references,
        bundle=code.bundle,
        triggers=function.triggers,
        managed_policies=function.managed_policies,
        config=function.config,
        boundary=function.boundary,
        unknown_policies=function.unknown,
        policy_errors=function.errors,
    )


def _label(code_bundle: CodeBundle | None) -> str:
    return code_bundle.label if code_bundle is not None else "."


def environment(instance: Instance, variables: Value) -> tuple[tuple[str, tuple[Text, ...]], ...]:
    if not isinstance(variables, dict):
        return ()
    return tuple((str(k), (as_text(v),)) for k, v in sorted(variables.items()))


def event_kind(arn: Text) -> str:
    text = str(arn)
    return next(
        (
            k
            for k, m in (
                ("sqs", ":sqs:"),
                ("kinesis", ":kinesis:"),
                ("dynamodb", ":dynamodb:"),
                ("msk", ":kafka:"),
            )
            if m in text
        ),
        "unknown",
    )


def destination(arn: Text, name: str) -> Destination:
    return Destination("sns" if ":sns:" in str(arn) else "sqs", (arn,), name)


# declared policies --------------------------------------------------------------------------
@dataclass(frozen=True)
class PolicyAt:
    """Where a policy document is written as an argument: its block (an ``aws_iam_role_policy``,
    an ``aws_iam_policy``, a role), the nested block holding the argument (the role's n-th
    ``inline_policy``) and the argument's name; ``name`` is how findings name the policy."""

    block: hcl.Block
    name: str
    argument: str = "policy"
    nested: tuple[str, int] | None = None


# a policy document a role has: the module instance it is evaluated in, the expression, where
# it is attached (for messages), where it is written, and the instance (count/for_each) of the
# block that gives it
Document = tuple[Instance, object, str, PolicyAt | None, Each | None]


class _Placed(dict[str, Any]):
    """A raw statement with the file and line it is written on (read by `declared_statements`)."""

    file: str = ""
    line: int = 0


def _placed(statement: dict[str, Any], file: str, line: int) -> _Placed:
    out = _Placed(statement)
    out.file, out.line = file, line
    return out


def document_statements(
    instance: Instance,
    raw: Any,
    each: Each | None,
    label: str,
    report: RolePolicies | None = None,
    where: str = "",
    at: PolicyAt | None = None,
) -> list[PolicyStatement]:
    """The statements of a policy document given as ``data.aws_iam_policy_document.x.json``
    (with its ``source_policy_documents``/``override_policy_documents``), ``jsonencode({...})``
    or a JSON string. With ``report``: a document that can't be evaluated (from another data
    source, a variable without a value) is named in its ``unknown``, and a statement IAM would
    reject in its ``errors``, each with ``where``. Each statement's origin is the file and line
    it is written on (a ``statement`` block, an item of a ``Statement`` list), else the line of
    the argument or block that gives the document (``at``)."""
    raw_statements = _raw_statements(instance, raw, each, report, where, 0, at)

    def failed(index: int, message: str) -> None:
        if report is not None:
            line = getattr(raw_statements[index], "line", 0) if index < len(raw_statements) else 0
            file = getattr(raw_statements[index], "file", "") if index < len(raw_statements) else ""
            place = f"{file}:{line}" if file and line else where
            report.errors.append(f"{place}: {label if at is None else at.name} {message}")

    return declared_statements(
        raw_statements,
        label,
        _patterns,
        _clean,
        failed if report is not None else None,
        name=at.name if at is not None else "",
    )


MAX_DOCUMENT_DEPTH = 8
_EXPRESSIONS = (hcl.Literal, hcl.Template, hcl.Ref, hcl.Call, hcl.ListExpr, hcl.ObjectExpr, hcl.Conditional, hcl.Operation, hcl.Opaque, hcl.Raw)


def _raw_statements(
    instance: Instance,
    raw: Any,
    each: Each | None,
    report: RolePolicies | None,
    where: str,
    depth: int,
    at: PolicyAt | None = None,
) -> list[dict[str, Any]]:
    expr = raw if isinstance(raw, _EXPRESSIONS) else hcl.parse_value(raw)

    def unknown_document(why: str) -> list[dict[str, Any]]:
        if report is not None:
            report.unknown.append(f"policy {hcl.render(expr)} ({where}): {why}")
        return []

    if depth > MAX_DOCUMENT_DEPTH:
        return unknown_document("policy documents nested too deep")
    if (
        isinstance(expr, hcl.Ref)
        and expr.root == "data"
        and len(expr.steps) >= 3
        and expr.steps[0] == "aws_iam_policy_document"
        and isinstance(expr.steps[1], str)
    ):
        block = instance.config.data.get(("aws_iam_policy_document", expr.steps[1]))
        if block is None:
            return unknown_document("no such data block in its module")
        return _policy_document(instance, block, each, report, where, depth)
    value = (
        instance.evaluate(expr.args[0], each)
        if isinstance(expr, hcl.Call) and expr.name == "jsonencode" and expr.args
        else instance.evaluate(expr, each)
    )
    if isinstance(value, Text):
        if value.known is None:
            reasons = value.reasons or "not known"
            return unknown_document(f"its value is not known to policygen ({reasons})")
        try:
            value = _from_json(json.loads(value.known))
        except ValueError as exc:
            if report is not None:
                report.errors.append(f"{where}: policy {hcl.render(expr)} is not valid JSON ({exc})")
            return []
    if not isinstance(value, dict):
        return unknown_document("not a policy document")
    listed = value.get("Statement", [])
    statements = listed if isinstance(listed, list) else [listed]
    if at is None:
        return [s for s in statements if isinstance(s, dict)]
    text = instance.config.texts.get(at.block.location.path, "")
    written = positions.policy_argument(text, at.block.location.line, at.argument, at.nested)
    lines = written.statements if written.statements and len(written.statements) == len(statements) else None
    return [
        _placed(s, at.block.location.path, lines[i] if lines else written.line)
        for i, s in enumerate(statements)
        if isinstance(s, dict)
    ]


def _policy_document(
    instance: Instance,
    document: hcl.Block,
    each: Each | None,
    report: RolePolicies | None,
    where: str,
    depth: int,
) -> list[dict[str, Any]]:
    """An ``aws_iam_policy_document``: its source documents' statements, then its own, then its
    override documents'; a later statement replaces an earlier one with the same ``sid``, as
    Terraform merges them. Each of its own is placed at its ``statement`` block."""
    body = document.body
    merged: list[dict[str, Any]] = []

    def add(statements: list[dict[str, Any]]) -> None:
        for statement in statements:
            sid = statement.get("Sid")
            same = [i for i, s in enumerate(merged) if sid and s.get("Sid") == sid]
            if same:
                merged[same[0]] = statement
            else:
                merged.append(statement)

    def documents(name: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if name not in body:
            return out
        listed = body[name] if isinstance(body[name], list) else hcl.parse_value(body[name])
        items = listed.items if isinstance(listed, hcl.ListExpr) else listed if isinstance(listed, list) else [listed]
        for item in items:
            out.extend(_raw_statements(instance, item, each, report, where, depth + 1))
        return out

    add(documents("source_policy_documents"))
    blocks = body.get("statement", [])
    listed = blocks if isinstance(blocks, list) else [blocks]
    file, line = document.location.path, document.location.line
    lines = positions.statement_blocks(instance.config.texts.get(file, ""), line)
    add(
        [
            _placed(_document_block(instance, s, each), file, lines[i] if lines and len(lines) == len(listed) else line)
            for i, s in enumerate(listed)
            if isinstance(s, dict)
        ]
    )
    add(documents("override_policy_documents"))
    return merged


def _document_block(instance: Instance, block: dict[str, Any], each: Each | None) -> dict[str, Any]:
    """One ``statement`` block of ``aws_iam_policy_document`` as IAM JSON (``principals`` are
    not read: these are identity policies)."""
    out: dict[str, Any] = {"Effect": instance.value(block.get("effect", '"Allow"'), each)}
    if "sid" in block:
        out["Sid"] = _clean(instance.value(block["sid"], each))
    out["NotAction" if "not_actions" in block else "Action"] = instance.value(
        block.get("not_actions", block.get("actions", [])), each
    )
    if "not_resources" in block:
        out["NotResource"] = instance.value(block["not_resources"], each)
    else:
        out["Resource"] = instance.value(block.get("resources", ['"*"']), each)
    conditions: dict[str, dict[str, Any]] = {}
    blocks = block.get("condition", [])
    for condition in blocks if isinstance(blocks, list) else [blocks]:
        if isinstance(condition, dict):
            test = _clean(instance.value(condition.get("test"), each))
            variable = _clean(instance.value(condition.get("variable"), each))
            values = instance.value(condition.get("values", []), each)
            conditions.setdefault(str(test), {})[str(variable)] = values
    if conditions:
        out["Condition"] = conditions
    return out


def statements_of_map(
    instance: Instance, statements: Value, label: str, at: PolicyAt | None = None
) -> list[PolicyStatement]:
    """The registry module's ``policy_statements``: a map of {effect, actions, resources}; each
    placed at the argument (``at``)."""
    if not isinstance(statements, dict):
        return []
    line, entries = 0, {}
    if at is not None:
        text = instance.config.texts.get(at.block.location.path, "")
        line = positions.policy_argument(text, at.block.location.line, at.argument, at.nested).line
        entries = positions.map_entries(text, at.block.location.line, at.argument)
    raw = [
        _placed(
            {
                "Effect": s.get("effect", Text.of("Allow")),
                "Action": s.get("actions", []),
                "Resource": s.get("resources", [Text.of("*")]),
            },
            at.block.location.path if at is not None else "",
            entries.get(key, line),
        )
        for key, s in sorted(statements.items())
        if isinstance(s, dict)
    ]
    return declared_statements(raw, label, _patterns, _clean, name=at.name if at is not None else "")


def _from_json(value: Any) -> Value:
    if isinstance(value, str):
        return Text.of(value)
    if isinstance(value, dict):
        return {str(k): _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value if isinstance(value, bool | int | float) or value is None else None


def _patterns(resource: Any) -> list[str]:
    return [as_text(resource).pattern()]


def _clean(value: Any) -> Any:
    return known(value) if isinstance(value, Text) else value
