"""Compare stage (first cut): the policy a deployment declares against what the function needs.

Semantic, through the IAM evaluator (`policygen.policy`): a needed permission is missing unless
the declared policy surely allows its action on every resource its ARN pattern covers (explicit
Deny wins; a conditional Allow can't be relied on); a declared action is unused when no needed
permission matches it. The diff and CI gate build on this.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from policygen.model import Permission
from policygen.policy.document import Effect, PolicyDocument
from policygen.policy.evaluate import View, grants
from policygen.policy.patterns import action_matches


@dataclass(frozen=True)
class Comparison:
    missing: tuple[Permission, ...]  # needed, not granted by the declared policy
    unused_actions: tuple[str, ...]  # declared action patterns nothing needs
    wildcard_actions: tuple[str, ...]  # declared action patterns with "*"


def compare(declared: PolicyDocument, needed: Iterable[Permission]) -> Comparison:
    needed = tuple(needed)
    missing = tuple(p for p in needed if not grants(declared, p.action, p.resource, View.GUARANTEED))
    declared_actions = sorted(
        {
            a
            for s in declared.statements
            if s.effect is Effect.ALLOW and not s.not_action
            for a in s.actions
        }
    )
    unused = [a for a in declared_actions if not any(action_matches(a, p.action) for p in needed)]
    wildcards = [a for a in declared_actions if "*" in a]
    return Comparison(missing, tuple(unused), tuple(wildcards))
