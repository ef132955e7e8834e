"""Compare stage: the role a deployment declares against what the function needs.

One computation for every consumer: the current policy is `gate.declared` (the statements the
deployment file gives the role, its managed policies, its permissions boundary, what can't be
read), and a needed permission is missing exactly when `policygen.policy.diff` says so (the
evaluator's guaranteed view, under the boundary). `policygen diff` and `policygen check` run the
whole diff on the same current policy; ``generate --format json-report`` shows this summary of it
(what is missing, the declared actions nothing needs, the wildcards) in each function's
``deployment`` section. Renderers only render what this computes.
"""

from __future__ import annotations

from dataclasses import dataclass

from policygen.errors import PolicyError
from policygen.gate import Current, declared
from policygen.model import FunctionSpec, Permission, Result
from policygen.policy import managed
from policygen.policy.diff import missing_from
from policygen.policy.document import Effect, PolicyDocument
from policygen.policy.patterns import action_matches, generated_names


@dataclass(frozen=True)
class Attached:
    """An AWS managed policy the deployment attaches: its ARN when known, else why not."""

    reference: str
    arn: str | None
    unknown: str | None


@dataclass(frozen=True)
class Comparison:
    declared: PolicyDocument | None  # the statements the deployment file writes for the role
    attached: tuple[Attached, ...]
    current: Current | None  # None: nothing declared, or the declared policy can't be read
    missing: tuple[Permission, ...]  # needed, not granted by the declared policy
    unused_actions: tuple[str, ...]  # declared action patterns nothing needs
    wildcard_actions: tuple[str, ...]  # declared action patterns with "*"
    errors: tuple[str, ...] = ()  # the declared policy IAM would reject: not compared


def compare(spec: FunctionSpec, result: Result) -> Comparison | None:
    """The function's declared role against its needs; None when the deployment declares none."""
    attached = tuple(_attached(reference) for reference in spec.managed_policies)
    try:
        current = declared(spec)
    except PolicyError as exc:
        return Comparison(spec.deployed, attached, None, (), (), (), (str(exc),))
    if current is None:
        return None
    needed = result.permissions
    with generated_names(current.generated_names):
        missing = tuple(m.permission for m in missing_from(current.policies, needed))
    own = spec.deployed.statements if spec.deployed is not None else ()
    declared_actions = sorted(
        {a for s in own if s.effect is Effect.ALLOW and not s.not_action for a in s.actions}
    )
    unused = [a for a in declared_actions if not any(action_matches(a, p.action) for p in needed)]
    wildcards = [a for a in declared_actions if "*" in a]
    return Comparison(spec.deployed, attached, current, missing, tuple(unused), tuple(wildcards))


def _attached(reference: str) -> Attached:
    found = managed.lookup(reference)
    if isinstance(found, managed.ManagedPolicy):
        return Attached(reference, found.arn, None)
    return Attached(reference, None, found.reason)
