"""Judge recorded calls against a policy (verify stage).

Consumes a `Recording` and the policy documents to hold the function to; produces a `Verdict`: for
each call the function made (test set-up calls are not judged), every IAM action the call needs
on the resource it named, and IAM's decision for it by `policygen.policy.evaluate.is_allowed`.

A recorded call becomes an `SdkCall` whose arguments are the values recorded, so the actions and
resource ARNs it needs come from the very mapping and scoping the static analysis uses
(`policygen.rules.requirements`, `policygen.scope.scope`): with every naming parameter known, the
ARN is the one resource the call touched. Request conditions are not known: a permission that only
a conditional statement grants is `CONDITIONAL` (not counted as a denial, shown apart).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from policygen.mapping import Unmapped
from policygen.model import Argument, ArgValue, DictValue, Location, Permission, SdkCall, Target, Text
from policygen.policy.document import PolicyDocument
from policygen.policy.evaluate import View, is_allowed
from policygen.record.observed import RecordedCall, Recording
from policygen.rules import requirements
from policygen.scope import scope


class Status(enum.Enum):
    ALLOWED = "allowed"
    CONDITIONAL = "allowed only under conditions (not evaluated)"
    DENIED = "denied"


@dataclass(frozen=True)
class Check:
    """One permission one recorded call needed, and the policy's answer."""

    call: RecordedCall
    action: str
    resource: str
    status: Status
    explanation: str

    def __lt__(self, other: object) -> bool:  # enums do not order: compare on their values
        if not isinstance(other, Check):
            return NotImplemented
        return (self.call, self.action, self.resource, self.status.value) < (
            other.call,
            other.action,
            other.resource,
            other.status.value,
        )


@dataclass(frozen=True)
class NotJudged:
    call: RecordedCall
    reason: str


@dataclass(frozen=True)
class Verdict:
    checks: tuple[Check, ...]
    not_judged: tuple[NotJudged, ...]
    setup_calls: int  # recorded, not enforced

    @property
    def denials(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.status is Status.DENIED)

    @property
    def held(self) -> bool:
        return not self.denials


def sdk_call(call: RecordedCall) -> SdkCall:
    """The recorded call as the static stages would have seen it with every value known."""
    arguments = []
    for name, value in call.parameters:
        values: tuple[ArgValue, ...]
        if name == "RequestItems" and isinstance(value, tuple):  # DynamoDB batch: table name -> items
            values = (DictValue(tuple((Text.of(table), ()) for table in value), complete=True),)
        elif isinstance(value, tuple):
            values = tuple(Text.of(v) for v in value)
        else:
            values = (Text.of(value),)
        arguments.append(Argument(name, values))
    site = call.site
    return SdkCall(
        service=call.service,
        method=call.method,
        arguments=tuple(arguments),
        location=Location(site.file, site.line) if site else Location("<test set-up>", 0),
        region=Text.of(call.region) if call.region else None,
    )


def needed(call: RecordedCall, target: Target) -> tuple[Permission, ...] | Unmapped:
    """The permissions the recorded call needed, by the static stages' mapping and scoping
    (their evidence is the call's site as code evidence; sources relabel it)."""
    outcome = requirements(sdk_call(call), region=call.region or target.region)
    if isinstance(outcome, Unmapped):
        return outcome
    permissions: list[Permission] = []
    for requirement in outcome.requirements:
        permissions.extend(
            scope(requirement.call, requirement.need, target, requirement.conditions).permissions
        )
    return tuple(dict.fromkeys(permissions))


def judge(recording: Recording, documents: Sequence[PolicyDocument], target: Target) -> Verdict:
    checks: list[Check] = []
    not_judged: list[NotJudged] = []
    for call in recording.function_calls:
        permissions = needed(call, target)
        if isinstance(permissions, Unmapped):
            not_judged.append(NotJudged(call, permissions.reason))
            continue
        for permission in permissions:
            decision = is_allowed(documents, permission.action, permission.resource)
            status = Status.ALLOWED
            if not decision.allowed:
                possible = is_allowed(documents, permission.action, permission.resource, View.POSSIBLE)
                status = Status.CONDITIONAL if possible.allowed else Status.DENIED
            checks.append(Check(call, permission.action, permission.resource, status, str(decision)))
    return Verdict(
        tuple(sorted(dict.fromkeys(checks))),
        tuple(not_judged),
        sum(c.count for c in recording.calls) - sum(c.count for c in recording.function_calls),
    )
