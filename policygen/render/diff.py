"""The diff of functions against their current policy and the gate's verdicts, for people (plain
text, coloured when asked: the CLI asks on a terminal) and machines (JSON). Deterministic:
everything is sorted by the diff or here."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import click

from policygen.gate import Current, Exit, FunctionDiff, Verdict
from policygen.model import Condition, Permission
from policygen.policy.diff import AccessLevel, Excess, breadth
from policygen.policy.document import Origin, PolicyStatement, condition_json, statement_json

# The JSON reports' (diff and check) schema. 2: a function's policies that could not be read are
# ``unreadable_policies``, each {"kind", "what", "where"} (1 listed them as strings in
# ``unknown_managed_policies``, though boundaries and deployment documents were there too); check
# writes its schema and each function's unreadable policies.
DIFF_SCHEMA = 2
INCOMPLETE = "not compared, the comparison is incomplete"
_SHOWN = 8  # excess actions named per statement and level in the text output
# How each access level's excess is painted: the powers that let a role grow itself stand out.
_LEVEL_STYLE: dict[AccessLevel, dict[str, Any]] = {
    AccessLevel.PERMISSIONS_MANAGEMENT: {"fg": "red", "bold": True},
    AccessLevel.WRITE: {"fg": "yellow"},
    AccessLevel.TAGGING: {"fg": "yellow"},
}


def _paint(text: str, color: bool, **style: Any) -> str:
    return click.style(text, **style) if color else text


def needed_at(permissions: Iterable[Permission], most: int = 3) -> list[str]:
    """Where the permissions are needed (code lines, template lines, events), the first few."""
    out: list[str] = []
    for permission in permissions:
        for evidence in permission.evidence:
            if evidence.source not in out:
                out.append(evidence.source)
    return out[:most]


def new_privilege(verdict: Verdict) -> tuple[str, str]:
    """The new privilege as people read it: the action on the synthesized resource patterns
    (the evaluator's example when no needed permission explains it), and where it is needed."""
    assert verdict.new is not None
    resources: list[str] = sorted({p.resource for p in verdict.new_needs}) or [verdict.new.resource or "?"]
    where = needed_at(verdict.new_needs)
    return f"{verdict.new.action} on {', '.join(resources)}", ", ".join(where)


def when(conditions: Sequence[Condition]) -> str:
    """The conditions under which privilege is new, as the policies spell them ("" when always)."""
    return " and ".join(f"{c.operator} {c.key} {list(c.values)}" for c in conditions)


def unreadable_json(current: Current) -> list[dict[str, str | None]]:
    return [{"kind": u.kind.value, "what": u.what, "where": u.where or None} for u in current.unreadable]


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
            "unreadable_policies": unreadable_json(item.current),
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


def as_text(diffs: Sequence[FunctionDiff], color: bool = False) -> str:
    lines: list[str] = []
    for item in diffs:
        d, s = item.diff, item.diff.score
        title = _paint(f"== {item.name} ==", color, bold=True)
        lines.append(f"{title}  current: {', '.join(item.current.sources) or '(none)'}")
        for unknown in item.current.unreadable:
            lines.append(_paint(f"  ! {INCOMPLETE}: {unknown}", color, fg="yellow"))
        lines.append(
            f"  {len(d.missing)} missing, {len({e.action.lower() for e in d.excess})} excess actions, "
            f"{len(d.widened)} widened; least privilege {s.by_action:.1%} by action "
            f"({s.needed_granted_actions}/{s.granted_actions}), {s.by_pair:.1%} by action-resource "
            f"({s.needed_pairs}/{s.granted_pairs})"
        )
        if d.missing:
            lines.append(
                _paint("  MISSING (the call would be denied at run time):", color, fg="red", bold=True)
            )
            for m in d.missing:
                why = m.decision.outcome.value
                if m.decision.statements:
                    why += " by " + "; ".join(_where(x) for x in m.decision.statements)
                action = _paint(f"{m.permission.action} on {m.permission.resource}", color, fg="red")
                at = needed_at([m.permission])
                lines.append(f"    - {action}: {why}" + (f" (needed at {', '.join(at)})" if at else ""))
                for statement, reason in m.decision.set_aside:
                    lines.append(f"        {_where(statement)} {reason}")
        if d.widened:
            lines.append(
                _paint("  WIDENED (granted on more resources than needed):", color, fg="yellow", bold=True)
            )
            for w in d.widened:
                granted = "; ".join(f"{_where(x)} on {', '.join(x.resources)}" for x in w.statements)
                action = _paint(w.action, color, fg="yellow")
                lines.append(f"    - {action}: granted by {granted}; needed on {', '.join(w.needed)}")
                for r in w.replacement:
                    replacement = json.dumps(statement_json(r), sort_keys=False)
                    lines.append(f"        replace with: {_paint(replacement, color, fg='green')}")
        if d.excess:
            lines.append(_paint("  EXCESS (granted, never needed; most powerful first):", color, bold=True))
            for statement, level, actions in excess_groups(d.excess):
                shown = ", ".join(actions[:_SHOWN]) + (
                    f", ... {len(actions) - _SHOWN} more" if len(actions) > _SHOWN else ""
                )
                label = _paint(f"{level.label}: {len(actions)}", color, **_LEVEL_STYLE.get(level, {}))
                lines.append(f"    - {label} from {_where(statement)}: {shown}")
        lines.append("")
    return "\n".join(lines)


def check_text(verdicts: Sequence[Verdict], code: Exit, color: bool = False) -> str:
    """`policygen check`'s verdicts for people: new privilege, missing, excess, the exit code."""
    lines = []
    for v in verdicts:
        if v.new is None:
            lines.append(f"{v.name}: baseline not checked")
        elif v.new:
            lines.append(f"{v.name}: {_paint('no new privilege', color, fg='green')} over the baseline")
        else:
            what, where = new_privilege(v)
            # A condition removed or loosened: new under the conditions it names.
            conditions = f" when {when(v.new.when)}" if v.new.when else ""
            new = _paint(
                f"NEW PRIVILEGE over the baseline: {what}{conditions}",
                color,
                fg="red",
                bold=True,
            )
            at = f"needed at {where}; " if where else ""
            lines.append(f"{v.name}: {new} ({at}approve with `policygen baseline update`)")
        if v.diff is None:
            lines.append(f"{v.name}: no current policy: missing permissions not checked")
        else:
            for unknown in v.diff.current.unreadable:
                lines.append(f"{v.name}: " + _paint(f"{INCOMPLETE}: {unknown}", color, fg="yellow"))
            for m in v.diff.diff.missing:
                missing = _paint(
                    f"MISSING {m.permission.action} on {m.permission.resource}", color, fg="red", bold=True
                )
                sites = needed_at([m.permission])
                where = f" (needed at {', '.join(sites)})" if sites else ""
                lines.append(f"{v.name}: {missing}: {m.decision.outcome.value}{where}")
            excess = len({e.action.lower() for e in v.diff.diff.excess})
            over = _paint(" (over --max-excess)", color, fg="red") if v.excess_over else ""
            lines.append(f"{v.name}: {excess} excess action(s){over}")
    failed = ", ".join((f.name or "").lower() for f in Exit if f and f in code)
    lines.append(
        _paint(f"exit {int(code)}: {failed or 'pass'}", color, fg="red" if code else "green", bold=True)
    )
    return "\n".join(lines) + "\n"


def check_json(verdicts: Sequence[Verdict], code: Exit) -> str:
    body: dict[str, Any] = {"schema": DIFF_SCHEMA, "exit": int(code), "functions": {}}
    for v in verdicts:
        body["functions"][v.name] = {
            "new_privilege": None
            if v.new is None
            else (
                None
                if v.new
                else {
                    "action": v.new.action,
                    "resource": v.new.resource,
                    **({"when": condition_json(v.new.when)} if v.new.when else {}),
                    "needed_on": sorted({p.resource for p in v.new_needs}),
                    "needed_at": needed_at(v.new_needs),
                }
            ),
            "baseline_checked": v.new is not None,
            "unreadable_policies": None if v.diff is None else unreadable_json(v.diff.current),
            "missing": None
            if v.diff is None
            else [
                {"action": m.permission.action, "resource": m.permission.resource}
                for m in v.diff.diff.missing
            ],
            "excess_actions": None if v.diff is None else len({e.action.lower() for e in v.diff.diff.excess}),
            "excess_over_threshold": v.excess_over,
        }
    return json.dumps(body, indent=2) + "\n"
