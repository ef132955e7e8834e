"""Fit stage: the synthesized `Policy` -> documents within IAM's size limits, without widening.

IAM counts a policy's characters with whitespace removed: 10,240 for all inline policies of a
role together, 6,144 for one managed policy (and 10 managed policies per role by default). When a
policy is over the limit, `fit` first merges statements whose action lists are equal (the union
of their resources grants exactly the same pairs), then packs statements into several documents,
splitting a statement that alone is too large by its resources. It never adds a wildcard.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, replace

from policygen.model import Policy, Statement
from policygen.synthesize import policy_document, statement_document


class PolicyKind(enum.Enum):
    INLINE = "inline"
    MANAGED = "managed"


LIMITS = {PolicyKind.INLINE: 10_240, PolicyKind.MANAGED: 6_144}
MANAGED_PER_ROLE = 10


@dataclass(frozen=True)
class Fitted:
    documents: tuple[Policy, ...]
    notes: tuple[str, ...]


def size(document: object) -> int:
    """Characters as IAM counts them: the JSON with no whitespace outside strings."""
    return len(json.dumps(document, separators=(",", ":")))


def fit(policy: Policy, kind: PolicyKind = PolicyKind.INLINE, limit: int | None = None) -> Fitted:
    limit = limit or LIMITS[kind]
    if size(policy_document(policy)) <= limit:
        return Fitted((policy,), ())
    notes = [
        f"the policy is {size(policy_document(policy))} characters, over the {kind.value} limit of {limit}"
    ]
    merged = _merge_equal_actions(policy)
    if len(merged.statements) < len(policy.statements):
        notes.append(
            f"merged {len(policy.statements) - len(merged.statements)} statement(s) with equal action lists"
        )
    if size(policy_document(merged)) <= limit:
        return Fitted((merged,), tuple(notes))
    overhead = size(policy_document(Policy(())))
    pieces: list[Statement] = []
    for statement in merged.statements:
        pieces.extend(_split_statement(statement, limit - overhead - 1))
    documents: list[list[Statement]] = [[]]
    used = overhead
    for statement in pieces:
        cost = size(statement_document(statement)) + 1
        if documents[-1] and used + cost > limit:
            documents.append([])
            used = overhead
        documents[-1].append(statement)
        used += cost
    result = tuple(Policy(tuple(d)) for d in documents)
    notes.append(f"split into {len(result)} documents, each within {limit} characters; no access was widened")
    if kind is PolicyKind.INLINE:
        notes.append(
            "inline policies of one role share the 10,240 limit: attach these as managed policies instead"
        )
    elif len(result) > MANAGED_PER_ROLE:
        notes.append(
            f"{len(result)} managed policies exceed the default quota of {MANAGED_PER_ROLE} per role"
        )
    return Fitted(result, tuple(notes))


def _merge_equal_actions(policy: Policy) -> Policy:
    by_actions: dict[tuple[object, ...], Statement] = {}
    for statement in policy.statements:
        key = (statement.actions, statement.conditions)
        if key in by_actions:
            first = by_actions[key]
            resources = tuple(sorted(set(first.resources) | set(statement.resources)))
            by_actions[key] = replace(first, resources=resources)
        else:
            by_actions[key] = statement
    return Policy(tuple(by_actions.values()), policy.version)


def _split_statement(statement: Statement, budget: int) -> list[Statement]:
    if size(statement_document(statement)) <= budget or len(statement.resources) <= 1:
        return [statement]
    half = len(statement.resources) // 2
    parts = []
    for index, resources in enumerate((statement.resources[:half], statement.resources[half:])):
        part = replace(statement, sid=f"{statement.sid}P{index}", resources=resources)
        parts.extend(_split_statement(part, budget))
    return parts
