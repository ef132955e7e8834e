"""The role's policy as a deployment file declares it: raw statements -> `PolicyStatement`s of the
policy model, with their Deny, NotAction, NotResource and conditions.

Shared by the SAM/CloudFormation, Serverless and Terraform readers; each passes how its own
resource expressions become ARN patterns (and, for Terraform, how its quoted strings are read).
A statement without ``Effect`` reads as Allow and one without a resource element as ``"*"``, as
these readers always took them; a statement IAM would reject for its shape is left out, or,
when the reader asks (``on_error``), reported with its index and what is wrong.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from policygen.errors import PolicyError
from policygen.model import DeclaredPolicy
from policygen.policy.document import Origin, PolicyStatement, parse_statement


@dataclass
class RolePolicies:
    """What a deployment file declares on a function's role, as a reader collects it."""

    statements: list[PolicyStatement] = field(default_factory=list)  # inline and project-defined
    managed: list[str] = field(default_factory=list)  # other managed policies, by ARN or name
    unknown: list[str] = field(default_factory=list)  # what can't be read: what, where, why
    errors: list[str] = field(default_factory=list)  # policies IAM would reject: file:line, what
    boundary: DeclaredPolicy | None = None


def _same(value: Any) -> Any:
    return value


def declared_statements(
    raw: Any,
    label: str,
    patterns_of: Callable[[Any], Iterable[str]],
    clean: Callable[[Any], Any] = _same,
    on_error: Callable[[int, str], None] | None = None,
    file: str = "",
    line: int = 0,
    name: str = "",
) -> list[PolicyStatement]:
    """``file``: the deployment file the statements are written in; each statement's origin is
    then its line there (a mapping read with positions knows it), else ``line`` (where the policy
    that expands to them is named, as a SAM policy template). A statement read with its own
    ``file`` and ``line`` attributes (Terraform's, whose statements may come from several files)
    is placed there. ``name``: how the origin names the policy (default ``label``)."""
    out = []
    for index, statement in enumerate(raw if isinstance(raw, list) else [raw]):
        if not isinstance(statement, dict):
            if on_error is not None:
                on_error(index, "a statement must be a mapping")
            continue
        keys = {str(k).lower() for k in statement}
        filled = dict(statement)
        if "effect" not in keys:
            filled["Effect"] = "Allow"
        if not keys & {"resource", "notresource"}:
            filled["Resource"] = "*"
        try:
            parsed = parse_statement(
                filled,
                label,
                index,
                sid=f"{label}{index}".replace("-", ""),
                resource_patterns=patterns_of,
                clean=clean,
            )
        except PolicyError as exc:
            if on_error is not None:
                on_error(index, exc.message)
            continue
        written_in = str(getattr(statement, "file", "") or file)
        if written_in:
            at = int(getattr(statement, "line", 0) or line)
            parsed = dataclasses.replace(parsed, origin=Origin(name or label, index, at, written_in))
        out.append(parsed)
    return out
