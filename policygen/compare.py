"""Compare stage (first cut): the policy a deployment declares against what the function needs.

Semantic, with IAM's wildcards: a needed permission is covered when some Allow statement's action
and resource patterns match it; a declared action is unused when no needed permission matches
it. The diff and CI gate build on this.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass

from policygen.model import Permission, Policy


@dataclass(frozen=True)
class Comparison:
    missing: tuple[Permission, ...]  # needed, not granted by the declared policy
    unused_actions: tuple[str, ...]  # declared action patterns nothing needs
    wildcard_actions: tuple[str, ...]  # declared action patterns with "*"


def _matches(value: str, pattern: str, case_insensitive: bool) -> bool:
    if case_insensitive:
        value, pattern = value.lower(), pattern.lower()
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


def compare(declared: Policy, needed: Iterable[Permission]) -> Comparison:
    needed = tuple(needed)
    missing = []
    for permission in needed:
        covered = any(
            any(_matches(permission.action, a, True) for a in statement.actions)
            and any(_matches(permission.resource, r, False) for r in statement.resources)
            for statement in declared.statements
        )
        if not covered:
            missing.append(permission)
    declared_actions = sorted({a for s in declared.statements for a in s.actions})
    unused = [a for a in declared_actions if not any(_matches(p.action, a, True) for p in needed)]
    wildcards = [a for a in declared_actions if "*" in a]
    return Comparison(tuple(missing), tuple(unused), tuple(wildcards))
