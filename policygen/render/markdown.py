"""Markdown for a pull-request comment: a summary table of every function, then each function's
missing, widened and excess permissions (excess: the most powerful access levels first)."""

from __future__ import annotations

from collections.abc import Sequence

from policygen.gate import FunctionDiff, Verdict
from policygen.policy.document import PolicyStatement
from policygen.render.diff import excess_groups

_SHOWN = 10


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def _where(statement: PolicyStatement) -> str:
    return str(statement.origin) if statement.origin else str(statement)


def as_markdown(diffs: Sequence[FunctionDiff] = (), verdicts: Sequence[Verdict] = ()) -> str:
    items = [*diffs, *(v.diff for v in verdicts if v.diff is not None)]
    lines = ["## policygen", ""]
    if verdicts:
        lines += ["| Function | Baseline | Missing | Excess actions |", "| --- | --- | --- | --- |"]
        for v in verdicts:
            baseline = (
                "not checked"
                if v.new is None
                else (
                    "no new privilege"
                    if v.new
                    else f"**new:** {_code(f'{v.new.action} on {v.new.resource}')}"
                )
            )
            missing = "not checked" if v.diff is None else str(len(v.diff.diff.missing))
            excess = (
                "not checked" if v.diff is None else str(len({e.action.lower() for e in v.diff.diff.excess}))
            )
            lines.append(f"| {_cell(v.name)} | {_cell(baseline)} | {missing} | {excess} |")
        lines.append("")
    if items:
        lines += [
            "| Function | Missing | Widened | Excess actions | Least privilege (actions) |",
            "| --- | --- | --- | --- | --- |",
        ]
        for item in items:
            d = item.diff
            count = len({e.action.lower() for e in d.excess})
            lines.append(
                f"| {_cell(item.name)} | {len(d.missing)} | {len(d.widened)} | {count} | {d.score.by_action:.1%} |"
            )
        lines.append("")
    for item in items:
        d = item.diff
        lines += [
            f"### {item.name}",
            "",
            "Current policy: " + ", ".join(_code(s) for s in item.current.sources),
            "",
        ]
        if d.missing:
            lines += ["**Missing** (denied at run time):", ""]
            lines += [
                f"- {_code(m.permission.action)} on {_code(m.permission.resource)}: {m.decision.outcome.value}"
                for m in d.missing
            ]
            lines.append("")
        if d.widened:
            lines += ["**Widened** (granted on more resources than needed):", ""]
            for w in d.widened:
                granted = ", ".join(r for s in w.statements for r in s.resources)
                lines.append(
                    f"- {_code(w.action)} granted on {_code(granted)}, needed on {_code(', '.join(w.needed))}"
                )
            lines.append("")
        if d.excess:
            lines += [
                "**Excess** (granted, never needed):",
                "",
                "| Access level | Statement | Actions |",
                "| --- | --- | --- |",
            ]
            for statement, level, actions in excess_groups(d.excess):
                shown = ", ".join(actions[:_SHOWN]) + (
                    f" and {len(actions) - _SHOWN} more" if len(actions) > _SHOWN else ""
                )
                lines.append(f"| {level.label} | {_cell(_where(statement))} | {_cell(shown)} |")
            lines.append("")
    return "\n".join(lines)
