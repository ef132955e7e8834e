"""The role's policy as a deployment file declares it: raw Allow statements -> `Statement`s.

Shared by the SAM/CloudFormation, Serverless and Terraform readers; each passes how its own
resource expressions become ARN patterns (and, for Terraform, how its quoted strings are read).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from policygen.model import Action, Arn, Statement


def _same(value: Any) -> Any:
    return value


def allow_statements(
    raw: Any,
    label: str,
    patterns_of: Callable[[Any], Iterable[str]],
    clean: Callable[[Any], Any] = _same,
) -> list[Statement]:
    out = []
    for index, statement in enumerate(raw if isinstance(raw, list) else [raw]):
        if not isinstance(statement, dict) or clean(statement.get("Effect", "Allow")) != "Allow":
            continue
        actions = statement.get("Action", [])
        actions = actions if isinstance(actions, list) else [actions]
        resources = statement.get("Resource", "*")
        resources = resources if isinstance(resources, list) else [resources]
        out.append(
            Statement(
                f"{label}{index}".replace("-", ""),
                tuple(Action(a) for a in map(clean, actions) if isinstance(a, str)),
                tuple(Arn(p) for r in resources for p in patterns_of(r)),
            )
        )
    return out
