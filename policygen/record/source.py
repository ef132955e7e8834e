"""Recorded calls as an evidence source (evidence stage): ``generate --observed FILE``.

Consumes a `Recording` (`policygen.record.observed`); for each function it is asked about, the
calls recorded from that function's code (test set-up calls never count) become `Permission`s,
by the same mapping and scoping the static analysis uses, with `EvidenceKind.RECORDED` evidence at
the call site, labelled "observed in tests". A recorded call names the one resource the test used
(``reports/old.json``): that resource is granted, never widened to what production might name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from policygen.evidence import Findings, Subject
from policygen.mapping import Unmapped
from policygen.model import (
    Evidence,
    EvidenceKind,
    Location,
    Permission,
    RecordedMatch,
    Unresolved,
    Widening,
)
from policygen.record.observed import RecordedCall, Recording
from policygen.record.project import Entry, attributed, entry_of, stack_entries
from policygen.record.verify import needed

LABEL = "observed in tests"


class RecordedSource:
    """The calls of one recording, as evidence for the functions whose code made them."""

    kind = EvidenceKind.RECORDED

    def __init__(
        self, recording: Recording, path: str, cwd: Path | None = None, entries: frozenset[Entry] = frozenset()
    ) -> None:
        self.recording = recording
        self.path = path  # the recording file, for messages
        self.cwd = (cwd or Path.cwd()).resolve()  # what the recording's relative paths are relative to
        self.entries = entries  # a project's handlers: functions sharing a folder are told apart by them

    def _site_in(self, call: RecordedCall, subject: Subject) -> str | None:
        """The call site's path relative to the subject's code folder (as code evidence names
        files), or None when another function's code made the call."""
        if call.site is None or not isinstance(subject.code, Path):
            return None  # an archive or inline code: the recording's paths cannot name it
        code = subject.code.resolve()
        site = (self.cwd / call.site.file).resolve()
        if code not in site.parents:
            return None
        return site.relative_to(code).as_posix()

    def _sharing(self, code: Path, own: Entry | None) -> int:
        """How many other functions of the project have their handler in ``code``."""
        folder = code.resolve()
        return sum(1 for e in self.entries if e != own and folder in Path(e[0]).parents)

    def collect(self, subject: Subject) -> Findings:
        permissions: list[Permission] = []
        unresolved: list[Unresolved] = []
        for call in self.recording.function_calls:
            path = self._site_in(call, subject)
            if path is None or call.site is None or not isinstance(subject.code, Path):
                continue
            own = entry_of(subject.code, subject.handler)
            if not attributed(call, self.cwd, subject.code, own, self.entries):
                continue  # made under another function's handler in a folder they share
            where = Location(path, call.site.line)
            test = f", {call.test}" if call.test else ""
            sharing = self._sharing(subject.code, own)
            if sharing and not stack_entries(call, self.cwd, self.entries):
                unresolved.append(
                    Unresolved(
                        f"{LABEL}: made in code {sharing + 1} functions share, under none of their handlers "
                        "(a test called it directly): each of them is granted it; keep it only where needed",
                        where,
                        call.label,
                    )
                )
            found = needed(call, subject.target)
            if isinstance(found, Unmapped):
                unresolved.append(Unresolved(f"{LABEL}: {found.reason}", where, call.label))
                continue
            evidence = (Evidence(EvidenceKind.RECORDED, where, f"{LABEL}: {call.label}{test}"),)
            permissions.extend(replace(p, evidence=evidence) for p in found)
        return Findings(permissions=tuple(permissions), unresolved=tuple(unresolved))


def match(
    unresolved: Sequence[Unresolved], widenings: Sequence[Widening], permissions: Sequence[Permission]
) -> tuple[RecordedMatch, ...]:
    """The static analysis's unresolved calls and widened resources, matched by call site
    (file:line) to what the recorded tests made there: ``getattr(s3, f"{mode}_object")(...)``
    unresolved at app.py:32 is resolved by the recording as s3:DeleteObject on the object deleted."""
    seen: dict[tuple[str, int], set[tuple[str, str]]] = {}  # (file, line): columns are not recorded
    for permission in permissions:
        for evidence in permission.evidence:
            if evidence.kind is EvidenceKind.RECORDED:
                where = (evidence.location.path, evidence.location.line)
                seen.setdefault(where, set()).add((permission.action, permission.resource))
    out: list[RecordedMatch] = []
    for item in unresolved:
        observed = seen.get((item.location.path, item.location.line))
        if item.reason.startswith(LABEL) or not observed:
            continue  # a recorded call that maps to nothing is not a static gap
        out.append(RecordedMatch("unresolved", item.location, item.reason, tuple(sorted(observed))))
    for widening in widenings:
        where = (widening.location.path, widening.location.line)
        observed_here = sorted(r for r in seen.get(where, ()) if r[0] == widening.action)
        if observed_here:
            what = f"{widening.action} on {widening.resource}"
            out.append(RecordedMatch("widened", widening.location, what, tuple(observed_here)))
    return tuple(sorted(set(out)))
