"""Markdown for a pull-request comment: for the gate, the verdict and what its exit code means;
a table of counts per function; then each function's new privilege and missing permissions in
the open, and its widened and excess permissions (excess: the most powerful access levels first)
in collapsible sections, listed whole, so a long list doesn't bury the comment."""

from __future__ import annotations

from collections.abc import Sequence

from policygen.gate import Exit, FunctionDiff, Verdict
from policygen.policy.diff import AccessLevel
from policygen.policy.document import PolicyStatement
from policygen.render.diff import INCOMPLETE, excess_groups, needed_at, new_privilege, when

_OPEN_WIDENED = 5  # more widened actions than this go in a collapsed section
EXIT_MEANING = {
    Exit.MISSING: "the code needs a permission the current policy lacks: the deploy would fail at run time",
    Exit.INPUT_ERROR: "bad input: a file could not be read or is invalid (see the log)",
    Exit.NEW_PRIVILEGE: "the synthesized policy grants access the baseline didn't: review it, then "
    "approve it with `policygen baseline update`",
    Exit.EXCESS: "the current policy grants more unneeded actions than --max-excess",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def _where(statement: PolicyStatement) -> str:
    return str(statement.origin) if statement.origin else str(statement)


def _details(summary: str, body: list[str]) -> list[str]:
    """A collapsed section (GitHub renders the Markdown inside when blank lines surround it)."""
    return ["<details>", f"<summary>{summary}</summary>", "", *body, "", "</details>", ""]


def _verdict_lines(code: Exit) -> list[str]:
    if not code:
        return ["**Passed** (exit 0): no missing permission and no new privilege.", ""]
    failed = [bit for bit in Exit if bit and bit in code]
    sum_of = f" = {' + '.join(str(int(b)) for b in failed)}" if len(failed) > 1 else ""
    lines = [f"**Failed** (exit {int(code)}{sum_of}):", ""]
    lines += [f"- {int(bit)}: {EXIT_MEANING[bit]}" for bit in failed]
    return [*lines, ""]


def _exit_legend() -> list[str]:
    rows = ["| Bit | Meaning |", "| --- | --- |"]
    rows += [f"| {int(bit)} | {_cell(meaning)} |" for bit, meaning in EXIT_MEANING.items()]
    return _details("Exit codes of <code>policygen check</code> (a bitmask)", rows)


def _counts(verdicts: Sequence[Verdict], items: Sequence[FunctionDiff]) -> list[str]:
    gate = bool(verdicts)
    head = ["Function", *(["New privilege"] if gate else []), "Missing", "Widened", "Excess actions"]
    head.append("Least privilege (actions, pairs)")
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    rows: list[tuple[str, Verdict | None, FunctionDiff | None]] = (
        [(v.name, v, v.diff) for v in verdicts] if gate else [(i.name, None, i) for i in items]
    )
    for name, v, item in rows:
        cells = [_cell(name)]
        if v is not None:
            cells.append(
                "not checked"
                if v.new is None
                else ("none" if v.new else f"**yes:** {_code(v.new.action or '')}")
            )
        if item is None:
            cells += ["not checked"] * 4
        else:
            d = item.diff
            cells += [
                (f"**{len(d.missing)}**" if d.missing else "0")
                + (" (incomplete)" if item.current.unreadable else ""),
                str(len(d.widened)),
                str(len({e.action.lower() for e in d.excess}))
                + (" (over --max-excess)" if v is not None and v.excess_over else ""),
                f"{d.score.by_action:.1%}, {d.score.by_pair:.1%}",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return [*lines, ""]


def _function(item: FunctionDiff | None, name: str, verdict: Verdict | None) -> list[str]:
    lines = [f"### {name}", ""]
    if verdict is not None and verdict.new is not None and not verdict.new:
        what, where = new_privilege(verdict)
        conditions = f" when {_code(when(verdict.new.when))}" if verdict.new.when else ""
        at = f", needed at {_code(where)}" if where else ""
        lines += [
            f"**New privilege** over the baseline: {_code(what)}{conditions}{at} "
            "(review it, then approve it with `policygen baseline update`).",
            "",
        ]
    if item is None:
        return [*lines, "No current policy: missing permissions not checked.", ""]
    d = item.diff
    lines += ["Current policy: " + ", ".join(_code(s) for s in item.current.sources), ""]
    for unknown in item.current.unreadable:
        lines += [f"> **{INCOMPLETE.capitalize()}:** {_cell(str(unknown)).replace('<', '&lt;')}", ""]
    if d.missing:
        lines += ["**Missing** (denied at run time):", ""]
        for m in d.missing:
            why = m.decision.outcome.value
            if m.decision.statements:
                why += " by " + "; ".join(_code(_where(s)) for s in m.decision.statements)
            sites = needed_at([m.permission])
            where = f" (needed at {_code(', '.join(sites))})" if sites else ""
            lines.append(f"- {_code(m.permission.action)} on {_code(m.permission.resource)}: {why}{where}")
        lines.append("")
    if d.widened:
        body = []
        for w in d.widened:
            granted = ", ".join(r for s in w.statements for r in s.resources)
            where = "; ".join(_where(s) for s in w.statements)
            body.append(
                f"- {_code(w.action)} granted on {_code(granted)} ({_cell(where)}), "
                f"needed on {_code(', '.join(w.needed))}"
            )
        title = f"<b>Widened</b>: {len(d.widened)} action(s) granted on more resources than needed"
        if len(d.widened) > _OPEN_WIDENED:
            lines += _details(title, body)
        else:
            lines += [
                f"**Widened** ({len(d.widened)}, granted on more resources than needed):",
                "",
                *body,
                "",
            ]
    if d.excess:
        groups = excess_groups(d.excess)
        by_level: dict[AccessLevel, set[str]] = {}
        for _, level, actions in groups:
            by_level.setdefault(level, set()).update(a.lower() for a in actions)
        counts = ", ".join(f"{len(names)} {level.label}" for level, names in sorted(by_level.items()))
        rows = ["| Access level | Statement | Actions |", "| --- | --- | --- |"]
        rows += [
            f"| {level.label} | {_cell(_where(statement))} | {_cell(', '.join(actions))} |"
            for statement, level, actions in groups
        ]
        total = len({e.action.lower() for e in d.excess})
        lines += _details(f"<b>Excess</b>: {total} action(s) granted and never needed ({counts})", rows)
    return lines


def as_markdown(
    diffs: Sequence[FunctionDiff] = (), verdicts: Sequence[Verdict] = (), code: Exit | None = None
) -> str:
    """The diffs (`policygen diff`) or the gate's verdicts with its exit ``code`` (`check`)."""
    lines = ["## policygen", ""]
    if verdicts and code is not None:
        lines += _verdict_lines(code)
    items = list(diffs) if not verdicts else [v.diff for v in verdicts if v.diff is not None]
    unread = sum(len(i.current.unreadable) for i in items)
    if unread:
        lines += [
            f"**Incomplete:** {unread} polic{'y' if unread == 1 else 'ies'} of the current role could not be "
            f"read (listed below): what {'it grants' if unread == 1 else 'they grant'} or refuse"
            f"{'s' if unread == 1 else ''} is not compared.",
            "",
        ]
    if verdicts or items:
        lines += _counts(verdicts, items)
    if verdicts:
        for v in verdicts:
            lines += _function(v.diff, v.name, v)
    else:
        for item in items:
            lines += _function(item, item.name, None)
    if verdicts:
        lines += _exit_legend()
    return "\n".join(lines).rstrip("\n") + "\n"
