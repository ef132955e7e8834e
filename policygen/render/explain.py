"""Human-readable explanation: why each action is granted, what was widened, what is unresolved."""

from __future__ import annotations

import collections
from collections.abc import Sequence

from policygen.model import RecordedMatch, Result

MAX_EXCLUDED_SHOWN = 10


def render(result: Result) -> str:
    lines: list[str] = []
    analysis = result.analysis
    lines.append(
        f"policygen: {analysis.root}: {analysis.files} file(s), {analysis.lines} line(s); "
        f"handler {analysis.handler or '(none found: every function counts)'}"
    )
    if analysis.excluded:
        shown = ", ".join(f"{e.path} ({e.reason})" for e in analysis.excluded[:MAX_EXCLUDED_SHOWN])
        more = len(analysis.excluded) - MAX_EXCLUDED_SHOWN
        lines.append(
            f"Left out of the analysis: {len(analysis.excluded)} file(s) and folder(s): {shown}"
            + (f" and {more} more (see --format json-report)" if more > 0 else "")
        )
    if analysis.empty_policy:
        lines.append(f"Warning: {analysis.empty_policy}")
    lines.append("")
    lines.append("Why each permission is granted:")
    by_action: dict[str, list[str]] = collections.defaultdict(list)
    history = {(h.action, h.resource): h for h in result.history}
    for permission in result.permissions:
        sources = ", ".join(str(e) for e in permission.evidence)
        by_action[permission.action].append(f"    {permission.resource}  <- {sources}")
        found = history.get((permission.action, permission.resource))
        if found is not None:  # access history: how the trail bears on it
            why = f": {found.why}" if found.why else ""
            by_action[permission.action].append(f"      [{found.label.value}{why}]")
    for action in sorted(by_action):
        lines.append(f"  {action}")
        lines.extend(by_action[action])
    if not by_action:
        lines.append("  (no AWS calls found)")
    if result.widenings:
        lines.append("")
        lines.append("Widened (part of an ARN became '*'):")
        for w in result.widenings:
            lines.append(f"  {w.location}: {w.action} on {w.resource}: {w.reason}")
    if result.unresolved:
        lines.append("")
        lines.append(
            "Unresolved (check these by hand; an unmapped call grants nothing; --strict fails on any):"
        )
        for u in result.unresolved:
            detail = f" [{u.detail}]" if u.detail else ""
            lines.append(f"  {u.location}: {u.reason}{detail}")
    if result.recorded_matches:
        lines.append("")
        lines.append("Matched to recordings (the tests' calls at call sites the static analysis could not pin down):")
        for line in recorded_match_lines(result.recorded_matches):
            lines.append(f"  {line}")
    if result.errors:
        lines.append("")
        lines.append("Files that could not be analysed:")
        lines.extend(f"  {e}" for e in result.errors)
    for other in result.other_principals:
        lines.append("")
        lines.append(f"Calls made as {other.principal} (not in this policy; that principal needs them):")
        for call in other.calls:
            lines.append(f"  {call.location}: {call.label} made as {other.principal}")
        for permission in other.permissions:
            lines.append(f"    needs {permission.action} on {permission.resource}")
    if result.unreachable:
        lines.append("")
        lines.append("Calls the handler cannot reach (not granted; --include-unreachable grants them):")
        for call in result.unreachable:
            why = f" ({call.note})" if "never runs" in call.note else ""
            lines.append(f"  {call.location}: {call.label}{why}")
    return "\n".join(lines) + "\n"


def recorded_match_lines(matches: Sequence[RecordedMatch]) -> list[str]:
    """``unresolved at app.py:32 (...), resolved by recording as s3:DeleteObject on arn:...``; for
    a widened resource, the resources the recorded calls at its call site used."""
    out = []
    for m in matches:
        seen = "; ".join(f"{action} on {resource}" for action, resource in m.observed)
        if m.kind == "unresolved":
            out.append(f"unresolved at {m.location} ({m.what}), resolved by recording as {seen}")
        else:
            out.append(f"widened at {m.location} ({m.what}); the recorded calls there used {seen}")
    return out
