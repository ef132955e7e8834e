"""One function as Terraform declares it (an ``aws_lambda_function`` instance or a registry Lambda
module instance) -> `FunctionSpec`; and the role policies a configuration declares, read as
`PolicyStatement`s for the comparison."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from policygen.deploy.declared import declared_statements
from policygen.deploy.terraform import hcl
from policygen.deploy.terraform.code import Code
from policygen.deploy.terraform.values import Each, Instance, Value, as_text, known
from policygen.model import CodeBundle, Destination, FunctionConfig, FunctionSpec, IacReference, Text, Trigger
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
def document_statements(instance: Instance, raw: Any, each: Each | None, label: str) -> list[PolicyStatement]:
    """The statements of a policy document given as ``data.aws_iam_policy_document.x.json``,
    ``jsonencode({...})`` or a JSON string."""
    expr = hcl.parse_value(raw)
    statements: list[dict[str, Any]] = []
    if (
        isinstance(expr, hcl.Ref)
        and expr.root == "data"
        and len(expr.steps) >= 3
        and expr.steps[0] == "aws_iam_policy_document"
        and isinstance(expr.steps[1], str)
    ):
        block = instance.config.data.get(("aws_iam_policy_document", expr.steps[1]))
        if block is not None:
            blocks = block.body.get("statement", [])
            for statement in blocks if isinstance(blocks, list) else [blocks]:
                if isinstance(statement, dict):
                    statements.append(_document_block(instance, statement, each))
    else:
        value = (
            instance.evaluate(expr.args[0], each)
            if isinstance(expr, hcl.Call) and expr.name == "jsonencode" and expr.args
            else instance.evaluate(expr, each)
        )
        if isinstance(value, Text) and value.known:
            try:
                value = _from_json(json.loads(value.known))
            except ValueError:
                return []
        listed = value.get("Statement", []) if isinstance(value, dict) else []
        statements = [s for s in (listed if isinstance(listed, list) else [listed]) if isinstance(s, dict)]
    return declared_statements(statements, label, _patterns, _clean)


def _document_block(instance: Instance, block: dict[str, Any], each: Each | None) -> dict[str, Any]:
    """One ``statement`` block of ``aws_iam_policy_document`` as IAM JSON (``principals`` are
    not read: these are identity policies)."""
    out: dict[str, Any] = {"Effect": instance.value(block.get("effect", '"Allow"'), each)}
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


def statements_of_map(instance: Instance, statements: Value, label: str) -> list[PolicyStatement]:
    """The registry module's ``policy_statements``: a map of {effect, actions, resources}."""
    if not isinstance(statements, dict):
        return []
    raw = [
        {
            "Effect": s.get("effect", Text.of("Allow")),
            "Action": s.get("actions", []),
            "Resource": s.get("resources", [Text.of("*")]),
        }
        for _, s in sorted(statements.items())
        if isinstance(s, dict)
    ]
    return declared_statements(raw, label, _patterns, _clean)


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
