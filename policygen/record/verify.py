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


def check_call(
    call: RecordedCall, documents: Sequence[PolicyDocument], target: Target
) -> tuple[Check, ...] | NotJudged:
    """IAM's decision for every permission one recorded call needed."""
    permissions = needed(call, target)
    if isinstance(permissions, Unmapped):
        return NotJudged(call, permissions.reason)
    checks = []
    for permission in permissions:
        decision = is_allowed(documents, permission.action, permission.resource)
        status = Status.ALLOWED
        if not decision.allowed:
            possible = is_allowed(documents, permission.action, permission.resource, View.POSSIBLE)
            status = Status.CONDITIONAL if possible.allowed else Status.DENIED
        checks.append(Check(call, permission.action, permission.resource, status, str(decision)))
    return tuple(checks)


def judge(recording: Recording, documents: Sequence[PolicyDocument], target: Target) -> Verdict:
    checks: list[Check] = []
    not_judged: list[NotJudged] = []
    for call in recording.function_calls:
        found = check_call(call, documents, target)
        if isinstance(found, NotJudged):
            not_judged.append(found)
        else:
            checks.extend(found)
    return Verdict(
        tuple(sorted(dict.fromkeys(checks))),
        tuple(not_judged),
        sum(c.count for c in recording.calls) - sum(c.count for c in recording.function_calls),
    )


# -- the second judge: moto's own IAM access control --------------------------------------------
@dataclass(frozen=True, order=True)
class MotoCheck:
    """moto's verdict on one request of the function, as its request authorization made it: the
    action moto names (``<signing name>:<operation>``), the resource moto determined (``*`` when
    it names none: every service but S3, SQS, IAM and STS), and moto's policy evaluator's answer
    (``action_allowed``: its answer on the action alone, for requests checked against ``*``)."""

    action: str
    resource: str
    allowed: bool
    action_allowed: bool | None = None
    error: str | None = None


class Judged(enum.Enum):
    AGREE = "both judges agree"
    DISAGREE = "the judges DISAGREE"
    POLICYGEN_ONLY = "policygen's evaluator only"
    MOTO_ONLY = "moto only"
    NEITHER = "not judged"


@dataclass(frozen=True)
class CallReport:
    """One call of the function: policygen's checks, moto's, and who judged it."""

    call: RecordedCall
    checks: tuple[Check, ...]
    not_judged: str | None  # why policygen's evaluator could not judge it
    moto: tuple[MotoCheck, ...]
    judged: Judged
    notes: tuple[str, ...]  # what each judge saw, in words
    stopped: bool  # answered with AccessDenied during the run (enforcement)

    @property
    def denied(self) -> bool:
        return any(c.status is Status.DENIED for c in self.checks)


def _allowed(checks: Sequence[Check]) -> bool:
    # moto reads no condition of an identity policy: a conditional grant is a grant to it
    return all(c.status is not Status.DENIED for c in checks)


def compare(
    call: RecordedCall,
    found: tuple[Check, ...] | NotJudged,
    moto: Sequence[MotoCheck],
    stopped: bool,
    moto_absent: str,
) -> CallReport:
    """Put the two judges side by side for one call. moto's verdict is compared only where it
    judged the same IAM action policygen's mapping gives (moto names some requests after their
    API operation, which is not always the action IAM checks) and, for the resource, only where
    moto determined one."""
    checks = found if isinstance(found, tuple) else ()
    not_judged = found.reason if isinstance(found, NotJudged) else None
    notes: list[str] = []
    by_action: dict[str, list[Check]] = {}
    for check in checks:
        by_action.setdefault(check.action.lower(), []).append(check)
    agree = disagree = action_only_agree = 0
    resource_left = False
    for m in moto:
        if m.error:
            notes.append(f"moto could not judge it: {m.error}")
            continue
        ours = by_action.get(m.action.lower())
        if ours is None:
            if checks:
                iam = ", ".join(sorted({c.action for c in checks}))
                notes.append(f"moto checked {m.action}, which is not the IAM action ({iam}): not compared")
            else:
                verdict = "allowed" if m.allowed else "denied"
                notes.append(f"moto: {m.action} on {m.resource}: {verdict}")
            continue
        pg = _allowed(ours)
        if m.resource != "*":
            mv = m.allowed
            notes.append(f"moto: {m.action} on {m.resource}: {'allowed' if mv else 'denied'}")
            if mv == pg:
                agree += 1
            else:
                disagree += 1
            continue
        mv = bool(m.action_allowed)
        notes.append(
            f"moto: {m.action} (action only: moto names no resource for {call.service} requests): "
            f"{'allowed' if mv else 'denied'}"
        )
        if not mv and pg:
            disagree += 1
        elif mv and pg:
            action_only_agree += 1
        else:
            resource_left = True  # moto granted the action; the resource was policygen's to judge
    if not moto:
        notes.append(f"moto did not judge it: {moto_absent}")
    if disagree:
        judged = Judged.DISAGREE
    elif agree or action_only_agree:
        judged = Judged.AGREE if checks else Judged.MOTO_ONLY
    elif checks:
        judged = Judged.POLICYGEN_ONLY
    elif any(not m.error for m in moto):
        judged = Judged.MOTO_ONLY
    else:
        judged = Judged.NEITHER
    if resource_left and judged is not Judged.DISAGREE:
        notes.append("moto judged the action only: the resource was judged by policygen's evaluator alone")
    if judged is Judged.AGREE and not agree:
        notes.append("moto agreed on the action only (it names no resource for these requests)")
    return CallReport(call, tuple(sorted(checks)), not_judged, tuple(sorted(moto)), judged, tuple(notes), stopped)
