"""Terraform: a ``data "aws_iam_policy_document"`` with one ``statement`` block per statement and
the ``aws_iam_role_policy`` that uses it, or the same role policy with ``jsonencode(...)``.

Laid out as ``terraform fmt`` lays it out (two-space indents, ``=`` aligned across consecutive
one-line attributes, a blank line around multi-line ones). Strings are escaped for HCL, including
``${`` and ``%{`` template sequences (IAM policy variables such as ``${aws:username}``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from policygen.model import IacReference, Policy, Statement
from policygen.render.json_policy import policy_document
from policygen.render.references import split

ROLE_VARIABLE = "policygen_role_name"


def hcl_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    escaped = escaped.replace("${", "$${").replace("%{", "%%{")
    return f'"{escaped}"'


def identifier(name: str) -> str:
    ident = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return ident if re.match(r"[A-Za-z_]", ident) else f"p_{ident}"


def hcl_template(value: str, references: Sequence[IacReference]) -> str:
    """A quoted HCL string where the resource names the module defines are interpolated."""
    parts = split(value, references)
    return (
        '"'
        + "".join(hcl_string(p)[1:-1] if isinstance(p, str) else "${" + p.expression + "}" for p in parts)
        + '"'
    )


def _list(values: tuple[str, ...], indent: str, references: Sequence[IacReference] = ()) -> str:
    if len(values) == 1:
        return f"[{hcl_template(values[0], references)}]"
    inner = "".join(f"{indent}  {hcl_template(v, references)},\n" for v in values)
    return "[\n" + inner + indent + "]"


def _attributes(pairs: list[tuple[str, str]], indent: str) -> list[str]:
    """``key = value`` lines, aligned as terraform fmt aligns a run of one-line attributes."""
    lines: list[str] = []
    run: list[tuple[str, str]] = []

    def flush() -> None:
        width = max((len(k) for k, _ in run), default=0)
        lines.extend(f"{indent}{k.ljust(width)} = {v}" for k, v in run)
        run.clear()

    for key, value in pairs:
        if "\n" in value:
            flush()
            if lines and lines[-1] != "":
                lines.append("")
            lines.append(f"{indent}{key} = {value}")
            lines.append("")
        else:
            run.append((key, value))
    flush()
    while lines and lines[-1] == "":
        lines.pop()
    return lines


def _statement(statement: Statement, references: Sequence[IacReference] = ()) -> list[str]:
    indent = "    "
    lines = ["  statement {"]
    lines.extend(
        _attributes(
            [
                ("sid", hcl_string(statement.sid)),
                ("effect", hcl_string(statement.effect)),
                ("actions", _list(statement.actions, indent)),
                ("resources", _list(statement.resources, indent, references)),
            ],
            indent,
        )
    )
    for condition in statement.conditions:
        lines.append("")
        lines.append(f"{indent}condition {{")
        lines.extend(
            _attributes(
                [
                    ("test", hcl_string(condition.operator)),
                    ("variable", hcl_string(condition.key)),
                    ("values", _list(condition.values, indent + "  ")),
                ],
                indent + "  ",
            )
        )
        lines.append(f"{indent}}}")
    lines.append("  }")
    return lines


def role_variable(function: str) -> str:
    """The variable that names ``function``'s execution role when the deployment does not say it
    in Terraform's terms: one per function, so no two functions' policies land on one role."""
    return f"{identifier(function)}_role_name"


def _role(role: str | None, variable: str, declare: bool = True) -> tuple[str, list[str]]:
    if role:
        return role, []
    block = variable_block(role, variable)
    return f"var.{variable}", ([*block.splitlines(), ""] if declare and block else [])


def variable_block(role: str | None, variable: str) -> str | None:
    """The ``variable`` block naming the role when none is given (None: the role is given)."""
    if role:
        return None
    return "\n".join(
        [
            f'variable "{variable}" {{',
            '  description = "Name of the Lambda execution role this policy is attached to"',
            "  type        = string",
            "}",
        ]
    ) + "\n"


def _names(name: str, count: int) -> list[str]:
    return [name] if count == 1 else [f"{name}-{i + 1}" for i in range(count)]


def render_document_data(
    documents: tuple[Policy, ...],
    name: str,
    role: str | None,
    references: Sequence[IacReference] = (),
    variable: str = ROLE_VARIABLE,
    declare_variable: bool = True,
) -> str:
    """``declare_variable`` False: the role's `variable_block` is written elsewhere (once for
    several functions)."""
    role_expr, preamble = _role(role, variable, declare_variable)
    out = list(preamble)
    for policy_name, policy in zip(_names(name, len(documents)), documents, strict=True):
        ident = identifier(policy_name)
        out.append(f'data "aws_iam_policy_document" "{ident}" {{')
        for index, statement in enumerate(policy.statements):
            if index:
                out.append("")
            out.extend(_statement(statement, references))
        out.append("}")
        out.append("")
        out.append(f'resource "aws_iam_role_policy" "{ident}" {{')
        out.extend(
            _attributes(
                [
                    ("name", hcl_string(policy_name)),
                    ("role", role_expr),
                    ("policy", f"data.aws_iam_policy_document.{ident}.json"),
                ],
                "  ",
            )
        )
        out.append("}")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _hcl_value(value: Any, indent: str, references: Sequence[IacReference] = ()) -> str:
    if isinstance(value, str):
        return hcl_template(value, references)
    if isinstance(value, list):
        if not value:
            return "[]"
        inner = "".join(f"{indent}  {_hcl_value(v, indent + '  ', references)},\n" for v in value)
        return "[\n" + inner + indent + "]"
    if isinstance(value, dict):
        pairs = [(_hcl_key(k), _hcl_value(v, indent + "  ", references)) for k, v in value.items()]
        return "{\n" + "\n".join(_attributes(pairs, indent + "  ")) + "\n" + indent + "}"
    return json.dumps(value)


def _hcl_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", key) else hcl_string(key)


def render_jsonencode(
    documents: tuple[Policy, ...],
    name: str,
    role: str | None,
    references: Sequence[IacReference] = (),
    variable: str = ROLE_VARIABLE,
    declare_variable: bool = True,
) -> str:
    """``declare_variable`` False: the role's `variable_block` is written elsewhere (once for
    several functions)."""
    role_expr, preamble = _role(role, variable, declare_variable)
    out = list(preamble)
    for policy_name, policy in zip(_names(name, len(documents)), documents, strict=True):
        ident = identifier(policy_name)
        out.append(f'resource "aws_iam_role_policy" "{ident}" {{')
        body = _hcl_value(policy_document(policy), "  ", references)
        out.extend(
            _attributes(
                [("name", hcl_string(policy_name)), ("role", role_expr), ("policy", f"jsonencode({body})")],
                "  ",
            )
        )
        out.append("}")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
