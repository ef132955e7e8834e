"""verify's report (verify stage): each call of the function with both judges' verdicts, as text.

Consumes the `Recording` of a verify run, the policy documents and the `VerifySession` that
enforced them; produces `CallReport`s (`verify.compare`) and the text ``verify --report FILE``
writes. The text holds no timestamp, pid or absolute path: a rerun writes the same bytes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from policygen.model import RecordedMatch, Target
from policygen.policy.document import PolicyDocument
from policygen.record.enforce import VerifySession
from policygen.record.observed import Recording
from policygen.record.verify import CallReport, Judged, Status, check_call, compare
from policygen.render.explain import recorded_match_lines


def call_reports(
    recording: Recording, documents: Sequence[PolicyDocument], target: Target, session: VerifySession
) -> tuple[CallReport, ...]:
    out = []
    for call in recording.function_calls:
        stopped = session.was_stopped(call)
        if stopped:
            absent = (
                "policygen stopped the call before it was sent (moto never saw it; "
                "`verify --observe-only` lets it through for moto to judge too)"
            )
        else:
            absent = session.moto_absent(call) or "the call did not reach moto (the tests do not use moto for it)"
        found = check_call(call, documents, target)
        out.append(compare(call, found, session.moto_checks(call), stopped, absent))
    return tuple(out)


def verdict_of(report: CallReport) -> str:
    if report.not_judged is not None and not report.checks:
        return "NOT JUDGED"
    if report.denied:
        return "DENIED"
    if any(c.status is Status.CONDITIONAL for c in report.checks):
        return "CONDITIONAL"
    return "allowed"


def counts(reports: Sequence[CallReport]) -> Counter[Judged]:
    return Counter(r.judged for r in reports)


def render(
    reports: Sequence[CallReport],
    source: str,
    enforced: bool,
    setup_calls: int,
    gaps: Sequence[RecordedMatch] = (),
) -> str:
    """The report, one block per distinct call of the function, then the static analysis's gaps
    the run's calls resolved (``gaps``), then the tallies."""
    lines = [
        f"policygen verify: {source}, "
        + ("enforced during the run" if enforced else "observed only (judged after the run)"),
        "",
    ]
    for report in reports:
        call = report.call
        times = f" x{call.count}" if call.count > 1 else ""
        lines.append(f"{verdict_of(report)}: {call.label} at {call.site}{times}")
        lines.append(f"    test: {call.test or '(not run by pytest)'}")
        for check in report.checks:
            lines.append(f"    policygen: {check.action} on {check.resource}: {check.status.value}")
        if report.not_judged is not None:
            lines.append(f"    policygen: not judged: {report.not_judged}")
        if report.stopped:
            lines.append("    enforced: answered AccessDenied before it was sent; the test saw the error")
        for note in report.notes:
            lines.append(f"    {note}")
        lines.append(f"    judged by: {report.judged.value}")
        lines.append("")
    if gaps:
        lines.append("Gaps of the static analysis, matched by call site to the calls this run made:")
        lines.extend(f"  {line}" for line in recorded_match_lines(gaps))
        lines.append("")
    tally = counts(reports)
    total = len(reports)
    lines.append(f"{total} distinct call(s) of the function; {setup_calls} test set-up call(s) not enforced")
    for judged in Judged:
        lines.append(f"  {judged.value}: {tally.get(judged, 0)}")
    only = [r for r in reports if r.judged is Judged.POLICYGEN_ONLY]
    for report in only:
        lines.append(f"  only policygen's evaluator judged: {report.call.label} at {report.call.site}")
    denied = [c for r in reports for c in r.checks if c.status is Status.DENIED]
    lines.append(f"{len(denied)} permission(s) missing" if denied else "the policy held")
    return "\n".join(lines) + "\n"
