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
from typing import Any

from policygen.model import Action, Arn, Condition, Permission, Policy, Statement
from policygen.policy.document import condition_json


def merge_permissions(permissions: Iterable[Permission]) -> tuple[Permission, ...]:
    """One `Permission` per (action, resource, condition keys), with all their evidence; the
    values of a condition key are merged (``kms:ViaService`` of s3 and of sqs)."""
    merged: dict[tuple[str, str, tuple[tuple[str, str], ...]], list[Permission]] = collections.defaultdict(
        list
    )
    for permission in permissions:
        shape = tuple(sorted((c.operator, c.key) for c in permission.conditions))
        merged[(permission.action, permission.resource, shape)].append(permission)
    out = []
    for (action, resource, shape), group in sorted(merged.items()):
        evidence = tuple(sorted({e for p in group for e in p.evidence}))
        conditions = tuple(
            Condition(
                op,
                key,
                tuple(
                    sorted(
                        {
                            v
                            for p in group
                            for c in p.conditions
                            if (c.operator, c.key) == (op, key)
                            for v in c.values
                        }
                    )
                ),
            )
            for op, key in shape
        )
        out.append(Permission(Action(action), Arn(resource), conditions, evidence))
    # An unconditioned grant of the same action and resource makes a conditioned one redundant.
    plain = {(p.action, p.resource) for p in out if not p.conditions}
    return tuple(p for p in out if not p.conditions or (p.action, p.resource) not in plain)


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
    by_action: dict[tuple[str, tuple[Condition, ...]], set[str]] = collections.defaultdict(set)
    for permission in permissions:
        by_action[(permission.action, permission.conditions)].add(permission.resource)
    minimal: dict[tuple[str, tuple[Condition, ...]], tuple[str, ...]] = {}
    for key, resources in by_action.items():
        minimal[key] = tuple(sorted(r for r in resources if not _covered(r, resources)))
    grouped: dict[tuple[tuple[str, ...], tuple[Condition, ...]], list[str]] = collections.defaultdict(list)
    for (action, conditions), kept in minimal.items():
        grouped[(kept, conditions)].append(action)
    statements = []
    for (group, conditions), actions in grouped.items():
        ordered = tuple(sorted(actions))
        statements.append(
            Statement(
                _sid(ordered, group, conditions),
                tuple(Action(a) for a in ordered),
                tuple(Arn(r) for r in group),
                conditions,
            )
        )
    statements.sort(key=lambda s: (s.actions, s.resources, s.conditions))
    return Policy(tuple(statements))


def _sid(actions: tuple[str, ...], resources: tuple[str, ...], conditions: tuple[Condition, ...] = ()) -> str:
    prefixes = sorted({a.split(":", 1)[0] for a in actions})
    name = "".join(p.replace("-", " ").title().replace(" ", "") for p in prefixes)[:40]
    content = "|".join(actions) + "#" + "|".join(resources) + ("#" + repr(conditions) if conditions else "")
    digest = hashlib.sha256(content.encode()).hexdigest()[:8]
    return f"{name}{digest.upper()}"


# The policy as IAM reads it (JSON) ---------------------------------------------------------
def statement_document(statement: Statement) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "Sid": statement.sid,
        "Effect": statement.effect,
        "Action": list(statement.actions),
        "Resource": list(statement.resources),
    }
    if statement.conditions:
        doc["Condition"] = condition_json(statement.conditions)
    return doc


def policy_document(policy: Policy) -> dict[str, Any]:
    return {"Version": policy.version, "Statement": [statement_document(s) for s in policy.statements]}
