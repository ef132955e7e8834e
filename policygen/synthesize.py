"""Synthesize stage: permissions -> a minimal, deterministic policy.

Consumes `Permission`s; produces a `Policy` whose statements group the actions that share exactly
the same resources, sorted, with Sids derived from their content (stable when other statements
change). A resource pattern covered by another of the same action (``bucket/*`` covers
``bucket/a.json``) is dropped.
"""

from __future__ import annotations

import collections
import fnmatch
import hashlib
from collections.abc import Iterable

from policygen.model import Action, Arn, Permission, Policy, Statement


def merge_permissions(permissions: Iterable[Permission]) -> tuple[Permission, ...]:
    """One `Permission` per (action, resource), with all their evidence."""
    merged: dict[tuple[str, str], list[Permission]] = collections.defaultdict(list)
    for permission in permissions:
        merged[(permission.action, permission.resource)].append(permission)
    out = []
    for (action, resource), group in sorted(merged.items()):
        evidence = tuple(sorted({e for p in group for e in p.evidence}))
        out.append(Permission(Action(action), Arn(resource), group[0].conditions, evidence))
    return tuple(out)


def _covered(resource: str, others: Iterable[str]) -> bool:
    """Whether another pattern of the same action already matches everything ``resource`` does."""
    for other in others:
        if other == resource:
            continue
        if other == "*":
            return True
        if "?" not in other and fnmatch.fnmatchcase(resource, other.replace("[", "[[]")):
            return True
    return False


def synthesize(permissions: Iterable[Permission]) -> Policy:
    by_action: dict[str, set[str]] = collections.defaultdict(set)
    for permission in permissions:
        by_action[permission.action].add(permission.resource)
    minimal: dict[str, tuple[str, ...]] = {}
    for action, resources in by_action.items():
        kept = sorted(r for r in resources if not _covered(r, resources))
        minimal[action] = tuple(kept)
    by_resources: dict[tuple[str, ...], list[str]] = collections.defaultdict(list)
    for action, kept_resources in minimal.items():
        by_resources[kept_resources].append(action)
    statements = []
    for group, actions in by_resources.items():
        ordered = tuple(sorted(actions))
        statements.append(
            Statement(_sid(ordered, group), tuple(Action(a) for a in ordered), tuple(Arn(r) for r in group))
        )
    statements.sort(key=lambda s: (s.actions, s.resources))
    return Policy(tuple(statements))


def _sid(actions: tuple[str, ...], resources: tuple[str, ...]) -> str:
    prefixes = sorted({a.split(":", 1)[0] for a in actions})
    name = "".join(p.replace("-", " ").title().replace(" ", "") for p in prefixes)[:40]
    digest = hashlib.sha256(("|".join(actions) + "#" + "|".join(resources)).encode()).hexdigest()[:8]
    return f"{name}{digest.upper()}"
