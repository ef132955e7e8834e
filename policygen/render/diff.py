"""The diff of functions against their current policy, for people (plain text) and machines
(JSON). Deterministic: everything is sorted by the diff or here."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from policygen.gate import FunctionDiff
from policygen.policy.diff import AccessLevel, Excess, breadth
from policygen.policy.document import Origin, PolicyStatement, statement_json

DIFF_SCHEMA = 1
_SHOWN = 8  # excess actions named per statement and level in the text output


def _where(statement: PolicyStatement) -> str:
    return str(statement.origin) if statement.origin else str(statement)


def excess_groups(excess: Sequence[Excess]) -> list[tuple[PolicyStatement, AccessLevel, list[str]]]:
    groups: dict[tuple[str, int], tuple[PolicyStatement, AccessLevel, list[str]]] = {}
    for item in excess:
        key = (_where(item.statement), item.level.value)
        groups.setdefault(key, (item.statement, item.level, []))[2].append(item.action)
    # Most powerful level first, then broadest statement, then in the policy's own order.
    return sorted(
        groups.values(),
        key=lambda g: (g[1].value, breadth(g[0]), g[0].origin or Origin("", -1), _where(g[0])),
    )


def as_json(diffs: Sequence[FunctionDiff]) -> str:
    out: dict[str, Any] = {"schema": DIFF_SCHEMA, "functions": {}}
    for item in diffs:
        d = item.diff
        out["functions"][item.name] = {
            "current": list(item.current.sources),
            "unknown_managed_policies": list(item.current.unknown),
            "summary": {
                "missing": len(d.missing),
                "excess_actions": len({e.action.lower() for e in d.excess}),
                "widened": len(d.widened),
                "least_privilege_score": {
                    "by_action": round(d.score.by_action, 4),
                    "by_action_resource": round(d.score.by_pair, 4),
                    "needed_actions": d.score.needed_actions,
                    "granted_actions": d.score.granted_actions,
                    "needed_granted_actions": d.score.needed_granted_actions,
                    "granted_pairs": d.score.granted_pairs,
                    "needed_pairs": d.score.needed_pairs,
                },
            },
            "missing": [
                {
                    "action": m.permission.action,
                    "resource": m.permission.resource,
                    "example": m.example,
                    "outcome": m.decision.outcome.value,
                    "denied_by": [_where(s) for s in m.decision.statements],
                    "set_aside": [f"{_where(s)}: {why}" for s, why in m.decision.set_aside],
                }
                for m in d.missing
            ],
            "excess": [
                {"statement": _where(s), "access_level": level.label, "actions": actions}
                for s, level, actions in excess_groups(d.excess)
            ],
            "widened": [
                {
                    "action": w.action,
                    "needed": list(w.needed),
                    "example": w.example,
                    "granted_by": [
                        {"statement": _where(s), "resources": list(s.resources)} for s in w.statements
                    ],
                    "replacement": [statement_json(s) for s in w.replacement],
                }
                for w in d.widened
            ],
        }
    return json.dumps(out, indent=2, sort_keys=False) + "\n"


def as_text(diffs: Sequence[FunctionDiff]) -> str:
    lines: list[str] = []
    for item in diffs:
        d, s = item.diff, item.diff.score
        lines.append(f"== {item.name} ==  current: {', '.join(item.current.sources) or '(none)'}")
        for unknown in item.current.unknown:
            lines.append(f"  ! not compared, the comparison is incomplete: {unknown}")
        lines.append(
            f"  {len(d.missing)} missing, {len({e.action.lower() for e in d.excess})} excess actions, "
            f"{len(d.widened)} widened; least privilege {s.by_action:.1%} by action "
            f"({s.needed_granted_actions}/{s.granted_actions}), {s.by_pair:.1%} by action-resource "
            f"({s.needed_pairs}/{s.granted_pairs})"
        )
        if d.missing:
            lines.append("  MISSING (the call would be denied at run time):")
            for m in d.missing:
                why = m.decision.outcome.value
                if m.decision.statements:
                    why += " by " + "; ".join(_where(x) for x in m.decision.statements)
                lines.append(f"    - {m.permission.action} on {m.permission.resource}: {why}")
                for statement, reason in m.decision.set_aside:
                    lines.append(f"        {_where(statement)} {reason}")
        if d.widened:
            lines.append("  WIDENED (granted on more resources than needed):")
            for w in d.widened:
                granted = "; ".join(f"{_where(x)} on {', '.join(x.resources)}" for x in w.statements)
                lines.append(f"    - {w.action}: granted by {granted}; needed on {', '.join(w.needed)}")
                for r in w.replacement:
                    lines.append(f"        replace with: {json.dumps(statement_json(r), sort_keys=False)}")
        if d.excess:
            lines.append("  EXCESS (granted, never needed; most powerful first):")
            for statement, level, actions in excess_groups(d.excess):
                shown = ", ".join(actions[:_SHOWN]) + (
                    f", ... {len(actions) - _SHOWN} more" if len(actions) > _SHOWN else ""
                )
                lines.append(f"    - {level.label}: {len(actions)} from {_where(statement)}: {shown}")
        lines.append("")
    return "\n".join(lines)
