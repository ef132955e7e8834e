"""CloudTrail evidence: what the function's execution role actually did, from its trail.

The trail is read once per principal (`policygen.trail`: local files, streaming aggregate) and
each call the role made becomes a `Permission` whose evidence is the event (id, time, count).
Denied calls are not granted: each is reported as unresolved, naming the permission it lacked
and the resource proposed. Calls that map to no action are reported with why.

Whose calls: the role ARN given (``--trail-role``); without one, the sessions named after the
function (Lambda names its execution role's sessions after the function).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from policygen.evidence import Findings, Subject
from policygen.model import Evidence, EvidenceKind, FileError, Location, Permission, Unresolved
from policygen.trail import Aggregate, Principal, Trail, TrailPermissions, Window, permissions


def history(permission: Permission) -> str:
    """How the trail bears on a permission: ``in-code-and-observed``, ``observed-only`` (code the
    static analysis could not pin down, or a path it does not see), or ``in-code-never-observed``
    (a rare path, dead code, or a call the trail does not log: data events are off by default)."""
    kinds = {e.kind for e in permission.evidence}
    if EvidenceKind.CLOUDTRAIL in kinds:
        return "in-code-and-observed" if len(kinds) > 1 else "observed-only"
    return "in-code-never-observed"


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

    @property
    def kind(self) -> EvidenceKind:
        return EvidenceKind.CLOUDTRAIL

    def principal(self, subject: Subject) -> Principal:
        if self.role_arn:
            return Principal(self.role_arn)
        return Principal(session_name=subject.name)

    def read(self, principal: Principal) -> tuple[Aggregate, TrailPermissions]:
        if principal not in self._cache:
            report = self.progress() if self.progress is not None else None
            aggregate = self.trail.read(principal, self.window, report, census=True)
            self._cache[principal] = (aggregate, permissions(aggregate))
        return self._cache[principal]

    def collect(self, subject: Subject) -> Findings:
        aggregate, found = self.read(self.principal(subject))
        where = self.trail.where
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
        errors = [FileError(e.path, e.record, e.message) for e in aggregate.errors]
        return Findings(tuple(granted), found.widenings, tuple(unresolved), tuple(errors))
