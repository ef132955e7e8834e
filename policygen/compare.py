"""Compare stage (first cut): the policy a deployment declares against what the function needs.

Semantic, through the IAM evaluator (`policygen.policy`): a needed permission is missing unless
the declared statements and the attached AWS managed policies together surely allow its action
on every resource its ARN pattern covers (explicit Deny wins; a conditional Allow can't be relied
on); an action the template itself declares is unused when no needed permission matches it. The
diff and CI gate build on this.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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


def compare(
    declared: PolicyDocument | None, needed: Iterable[Permission], attached: Sequence[PolicyDocument] = ()
) -> Comparison:
    needed = tuple(needed)
    current = [*([declared] if declared is not None else []), *attached]
    missing = tuple(p for p in needed if not grants(current, p.action, p.resource, View.GUARANTEED))
    own = declared.statements if declared is not None else ()
    declared_actions = sorted(
        {a for s in own if s.effect is Effect.ALLOW and not s.not_action for a in s.actions}
    )
    unused = [a for a in declared_actions if not any(action_matches(a, p.action) for p in needed)]
    wildcards = [a for a in declared_actions if "*" in a]
    return Comparison(missing, tuple(unused), tuple(wildcards))
