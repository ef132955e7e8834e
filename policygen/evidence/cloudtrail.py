"""CloudTrail evidence: what the function's execution role actually did, from its trail.

The trail is read once per principal (`policygen.trail`: local files, streaming aggregate), and
once for all the principals of a project's functions when the project tells them first
(`read_ahead`); each call the role made becomes a `Permission` whose evidence is the event (id,
time, count).
Denied calls are not granted: each is reported as unresolved, naming the permission it lacked
and the resource proposed. Calls that map to no action are reported with why.

Whose calls: the role ARN given (``--trail-role``); without one, the sessions named after the
function (Lambda names its execution role's sessions after the function).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from policygen import mapping
from policygen.errors import PolicygenError
from policygen.evidence import Findings, Subject
from policygen.model import (
    Action,
    Evidence,
    EvidenceKind,
    FileError,
    History,
    HistoryLabel,
    Location,
    Only,
    Permission,
    Text,
    Unresolved,
    Widening,
)
from policygen.trail import Aggregate, Principal, Trail, TrailPermissions, Window, permissions
from policygen.trail.permissions import table


def label(permission: Permission) -> HistoryLabel:
    """How the trail bears on a permission: seen in both, in code never observed, observed only."""
    kinds = {e.kind for e in permission.evidence}
    if EvidenceKind.CLOUDTRAIL in kinds:
        return HistoryLabel.BOTH if len(kinds) > 1 else HistoryLabel.OBSERVED_ONLY
    return HistoryLabel.NEVER_OBSERVED


@runtime_checkable
class AccessHistory(Protocol):
    """An evidence source that read a function's access history and can say why a permission
    the code needs does not appear in it."""

    def unobserved(self, subject: Subject, action: Action) -> str: ...


def data_event_source(action: Action) -> str | None:
    """The eventSource whose data events hold ``action``'s calls; None: a management event."""
    for host, actions in table()["data_events"].items():
        if action in actions:
            return f"{host}.amazonaws.com"
    return None


def unobserved_reason(action: Action, aggregate: Aggregate) -> str:
    """Why the trail read shows no call of ``action`` by the role: the trail does not log such
    calls at all (no data event of that source in the files read), or it would have."""
    if aggregate.matched == 0:
        return (
            "the trail read holds no call of this role at all: check the role ARN or session name, "
            "the window (--since/--until) and --trail-region"
        )
    source = data_event_source(action)
    if source is None:
        return "a management event, which the trail logs: a rare path, dead code, or not in the window"
    if aggregate.census_unavailable:  # never "no data events" where that could not be told
        return f"a data event of {source}: {aggregate.census_unavailable}"
    seen = aggregate.data_sources.get(source, 0)
    if seen == 0 and aggregate.files_without_census:
        return (
            f"a data event of {source}: whether the trail logs them is unknown: {aggregate.files_without_census} "
            "of the files read hold records without eventCategory or managementEvent (written before CloudTrail "
            "had them, or an export without them), whose data events cannot be told apart; the call may be made "
            "and not logged"
        )
    if seen == 0:
        return (
            f"the trail holds no data event of {source} at all (data events are logged only where the "
            "trail's event selectors ask for them): the call may be made and not logged"
        )
    return f"the trail logs {source} data events ({seen} in the files read), none of this call: a rare path or dead code"


def _unresolved_call(detail: str) -> tuple[str | None, str] | None:
    """(IAM prefix or None when the service is unknown, operation) of a code call's label."""
    client, dot, method = detail.partition(".")
    if not dot or not method.strip("()"):
        return None
    operation = "".join(p[:1].upper() + p[1:] for p in method.strip("()").split("_"))
    if not client:
        return None, operation
    doc = mapping.sdk_service(client)
    return (str(doc["iam_prefix"]) if doc else client), operation


def explained(
    permission: Permission, widenings: tuple[Widening, ...], unresolved: tuple[Unresolved, ...]
) -> tuple[str, tuple[Location, ...]]:
    """For a permission observed only: the code's widened or unresolved calls of its action (else
    of its service) that it may account for, and a sentence saying so."""
    prefix, _, operation = permission.action.partition(":")
    exact: set[Location] = set()
    service: set[Location] = set()
    for widening in widenings:
        if widening.action == permission.action and not widening.location.is_event:
            exact.add(widening.location)
    for item in unresolved:
        if item.location.is_event:
            continue
        call = _unresolved_call(item.detail)
        if call is None:
            continue
        call_prefix, call_operation = call
        if call_operation == operation and call_prefix in (None, prefix):
            exact.add(item.location)
        elif call_prefix == prefix:
            service.add(item.location)
    found = tuple(sorted(exact or service))
    if not found:
        return (
            "no call in the code accounts for it: a path the analysis does not see, a library's call, "
            "or another user of the role",
            (),
        )
    which = "its action" if exact else f"the {prefix} service"
    return (
        f"the trail shows what {len(found)} call(s) of {which} the code could not pin down did "
        f"({', '.join(str(f) for f in found[:5])})",
        found,
    )


SERVICE_USE = (
    "the Lambda service's use of the role (logs, traces, pollers, destinations), not the code's: not all of "
    "it is logged under the role, so its absence says little"
)


def review(
    subject: Subject,
    permissions: tuple[Permission, ...],
    widenings: tuple[Widening, ...],
    unresolved: tuple[Unresolved, ...],
    source: AccessHistory,
    only: Only,
) -> tuple[tuple[Permission, ...], tuple[History, ...], tuple[Unresolved, ...]]:
    """Each permission's history, and the permissions ``only`` keeps: those left out are
    reported (as unresolved, with their history), never dropped silently."""
    histories: list[History] = []
    kept: list[Permission] = []
    left_out: list[Unresolved] = []
    for permission in permissions:
        kind = label(permission)
        explains: tuple[Location, ...]
        if kind is HistoryLabel.NEVER_OBSERVED and {e.kind for e in permission.evidence} == {
            EvidenceKind.DEPLOYMENT
        }:
            why, explains = SERVICE_USE, ()
        elif kind is HistoryLabel.NEVER_OBSERVED:
            why, explains = source.unobserved(subject, permission.action), ()
        elif kind is HistoryLabel.OBSERVED_ONLY:
            why, explains = explained(permission, widenings, unresolved)
        else:
            why, explains = "", ()
        histories.append(History(permission.action, permission.resource, kind, why, explains))
        trail_only = kind is HistoryLabel.OBSERVED_ONLY and not any(
            e.kind is not EvidenceKind.CLOUDTRAIL for e in permission.evidence
        )
        if (only is Only.OBSERVED and kind is HistoryLabel.NEVER_OBSERVED) or (
            only is Only.CODE and trail_only
        ):
            first = min(permission.evidence, key=lambda e: e.sort_key())
            left_out.append(
                Unresolved(
                    f"not granted (--only {only.value}): {permission.action} on {permission.resource}, "
                    f"{kind.value}: {why}",
                    first.location,
                    first.detail,
                )
            )
            continue
        kept.append(permission)
    return tuple(kept), tuple(histories), tuple(left_out)


@dataclass
class CloudTrailSource:
    """Evidence from a trail (a local folder, S3, Athena, LookupEvents), within ``window``."""

    trail: Trail
    window: Window = field(default_factory=Window)
    role_arn: str | None = None
    # makes what to call with the running total as the trail is read (`Aggregate.files_planned`
    # says how many files there are, as far as the source knows yet)
    progress: Callable[[], Callable[[Aggregate], None]] | None = None
    _cache: dict[Principal, tuple[Aggregate, TrailPermissions]] = field(default_factory=dict, repr=False)
    _ahead: dict[Principal, Aggregate] = field(default_factory=dict, repr=False)  # read, not yet mapped

    @property
    def kind(self) -> EvidenceKind:
        return EvidenceKind.CLOUDTRAIL

    def principal(self, subject: Subject) -> Principal | str:
        """Whose calls are the function's (`whose`); a str: why none can be told apart."""
        return whose(subject, self.role_arn)

    def read_ahead(self, subjects: Sequence[Subject]) -> None:
        """Read the trail once for all of a project's functions (`Trail.read_many`: one pass over
        the files or objects, one Athena query, one LookupEvents paging), each function's
        aggregate the one its own read would give. A principal the source refuses (a
        `PolicygenError`) is left to each function's own read, which reports it there."""
        wanted: list[Principal] = []
        for subject in subjects:
            principal = self.principal(subject)
            if isinstance(principal, Principal) and principal not in self._cache and principal not in wanted:
                wanted.append(principal)
        if len(wanted) < 2:
            return  # one read either way
        report = self.progress() if self.progress is not None else None
        try:
            self._ahead.update(self.trail.read_many(wanted, self.window, report, census=True))
        except PolicygenError:
            return

    def read(self, principal: Principal) -> tuple[Aggregate, TrailPermissions]:
        if principal not in self._cache:
            aggregate = self._ahead.pop(principal, None)
            if aggregate is None:
                report = self.progress() if self.progress is not None else None
                aggregate = self.trail.read(principal, self.window, report, census=True)
            self._cache[principal] = (aggregate, permissions(aggregate))
        return self._cache[principal]

    def unobserved(self, subject: Subject, action: Action) -> str:
        principal = self.principal(subject)
        if isinstance(principal, str):
            return f"no access history was read for this function: {principal}"
        return unobserved_reason(action, self.read(principal)[0])

    def collect(self, subject: Subject) -> Findings:
        principal = self.principal(subject)
        where = self.trail.where
        if isinstance(principal, str):
            return Findings(unresolved=(Unresolved(f"CloudTrail: not matched: {principal}", _declared(subject)),))
        aggregate, found = self.read(principal)
        notes = _matched_note(subject, principal, aggregate)
        granted = [
            Permission(
                o.action,
                o.resource,
                (),
                (
                    Evidence(
                        EvidenceKind.CLOUDTRAIL,
                        Location.event(where, o.example, o.first),
                        f"{o.event} x{o.count}",
                    ),
                ),
            )
            for o in found.observed
            if not o.denied
        ]
        unresolved = [
            Unresolved(
                f"AWS denied {o.event} {o.count} time(s), last {o.last}: the role lacks {o.action} on {o.resource} "
                "(proposed; not granted)",
                Location.event(where, o.example, o.first),
                o.event,
            )
            for o in found.missing
        ]
        unresolved += [
            Unresolved(f"{n.event} x{n.count}: {n.reason}", Location.event(where, n.example), n.event)
            for n in found.not_mapped
        ]
        unresolved += [Unresolved(n, _declared(subject)) for n in notes]
        # what the source could not read (a window cut to what it holds): --strict refuses it
        unresolved += [Unresolved(f"CloudTrail: {n}", _declared(subject)) for n in aggregate.notes]
        errors = [FileError(e.path, e.record, e.message) for e in aggregate.errors]
        return Findings(tuple(granted), found.widenings, tuple(unresolved), tuple(errors))


MIN_KNOWN = 4  # a known part shorter than this tells no function apart


def whose(subject: Subject, role_arn: str | None) -> Principal | str:
    """The principal whose calls are ``subject``'s: by the role ARN (``--trail-role``, else the
    deployment's when it is known) and by the session name Lambda gives the role's sessions,
    the deployed function name. A name the deployment generates (``<stack>-<LogicalId>-<suffix>``)
    is matched on its known parts; a str says why nothing can be matched."""
    config = subject.deployment.config if subject.deployment is not None else None
    if config is None:  # a bare code folder: its sessions are named after the folder
        return Principal(role_arn) if role_arn else Principal(session_name=subject.name)
    name = config.name.known
    session_pattern, session_hint = _pattern(config.name) if name is None else (None, None)
    role = role_arn or (config.role_arn.known if config.role_arn is not None else None)
    role_pattern = role_hint = None
    if role is None and config.role_arn is not None:
        role_pattern, role_hint = _pattern(config.role_arn, after="role/")
    if session_hint is None:
        session_pattern = None  # no known part: the session says nothing
    if role_hint is None:
        role_pattern = None
    if not (role or name or session_pattern or role_pattern):
        return (
            f"neither the role's ARN nor the deployed function name ({_shown(config.name)}) has a known part "
            "to match the trail's sessions on; give --trail-role ARN (or --stack-name/--stage)"
        )
    return Principal(role, name, role_pattern, session_pattern, session_hint or role_hint)


def _pattern(text: Text, after: str = "") -> tuple[str, str | None]:
    """A regular expression for the values ``text`` can take (a hole or a ``*`` stands for any
    run of characters) and its longest known part past ``after`` (in an ARN, what follows
    ``role/`` tells roles apart; the rest is every role's), None when shorter than `MIN_KNOWN`."""
    regex: list[str] = []
    known: list[str] = []
    past = not after
    for part in text.parts:
        if not isinstance(part, str):
            regex.append(".+")
            continue
        for i, piece in enumerate(part.split("*")):
            if i:
                regex.append(".+")
            regex.append(re.escape(piece))
            if not past and after in piece:
                piece, past = piece.split(after, 1)[1], True
            if past:
                known.append(piece)
    longest = max(known, key=len, default="")
    return "".join(regex), longest if len(longest) >= MIN_KNOWN else None


def _shown(text: Text) -> str:
    return "".join(p if isinstance(p, str) else "*" for p in text.parts)


def _declared(subject: Subject) -> Location:
    config = subject.deployment.config if subject.deployment is not None else None
    return config.source if config is not None else Location(subject.name, 0)


def _matched_note(subject: Subject, principal: Principal, aggregate: Aggregate) -> list[str]:
    """What was matched, when the deployment generates the names: the user checks it."""
    config = subject.deployment.config if subject.deployment is not None else None
    if not (principal.session_pattern or principal.role_pattern):
        if config is None or aggregate.matched:
            return []
        by = " of ".join(
            f"{label} {value}"
            for label, value in (("sessions named", principal.session_name), ("role", principal.role_arn))
            if value
        )
        return [f"CloudTrail: not matched: no call in the trail is by {by} (check --stage/--stack-name or --trail-role)"]
    parts = []
    if config is not None and principal.session_pattern:
        parts.append(f"sessions named {_shown(config.name)}")
    if config is not None and config.role_arn is not None and principal.role_pattern:
        parts.append(f"role {_shown(config.role_arn)}")
    what = " of ".join(parts)
    if not aggregate.identities:
        return [
            f"CloudTrail: not matched: no call in the trail is by {what} (the deployed names are generated; "
            "give --stack-name, or --trail-role ARN)"
        ]
    seen = ", ".join(f"{arn} x{count}" for arn, count in sorted(aggregate.identities.items()))
    return [
        f"CloudTrail: the deployed names are generated, so this function's calls are those by {what}: {seen}; "
        "check these are this function's"
    ]
