"""SARIF 2.1.0 for code scanning: one result per finding of the diff (missing, widened, excess)
and of the gate (new privilege), each located at the source line that needs the permission or at
the policy statement that grants too much, with a fingerprint that doesn't move with line
numbers (rule, function, action, resource or statement), so findings don't churn."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

from policygen import __version__
from policygen.gate import FunctionDiff, Verdict
from policygen.model import Location, Permission
from policygen.policy.document import PolicyStatement
from policygen.render.diff import excess_groups

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
RULES = {
    "missing-permission": (
        "error",
        "The code needs a permission the current policy does not grant: denied at run time.",
    ),
    "new-privilege": ("error", "The synthesized policy grants access the approved baseline did not."),
    "widened-grant": ("warning", "A needed action is granted on more resources than needed."),
    "excess-grant": ("warning", "The current policy grants actions the code never needs."),
}
_LEVEL_OF_ACCESS = {"Permissions management": "error", "Write": "warning", "Tagging": "warning"}
_PATH_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+)$")


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _physical(path: str, line: int) -> dict[str, Any]:
    where: dict[str, Any] = {"artifactLocation": {"uri": path.replace("\\", "/")}}
    if line > 0:
        where["region"] = {"startLine": line}
    return {"physicalLocation": where}


def _of_permission(permission: Permission) -> list[dict[str, Any]]:
    seen = []
    for evidence in permission.evidence:
        location: Location = evidence.location
        if location.path and not location.is_event and (location.path, location.line) not in seen:
            seen.append((location.path, location.line))
    return [_physical(p, line) for p, line in seen[:3]]


def _of_statement(statement: PolicyStatement, sources: Sequence[str]) -> list[dict[str, Any]]:
    origin = statement.origin
    if origin is not None and origin.line > 0:
        return [_physical(origin.source, origin.line)]
    for source in ([origin.source] if origin else []) + list(sources):
        match = _PATH_LINE.match(source)
        if match and not source.startswith("arn:"):
            return [_physical(match["path"], int(match["line"]))]
        if source.endswith((".json", ".yaml", ".yml", ".tf")):
            return [_physical(source, 0)]
    return []


def _statement_key(statement: PolicyStatement) -> str:
    origin = statement.origin
    name = f"{origin.source}#{origin.index}" if origin else ""
    return f"{name}|{','.join(statement.actions)}|{','.join(statement.resources)}"


def _result(rule: str, level: str, text: str, locations: list[dict[str, Any]], *key: str) -> dict[str, Any]:
    out: dict[str, Any] = {"ruleId": rule, "level": level, "message": {"text": text}}
    if locations:
        out["locations"] = locations
    out["partialFingerprints"] = {"policygen/v1": _fingerprint(rule, *key)}
    return out


def _diff_results(item: FunctionDiff) -> list[dict[str, Any]]:
    results = []
    sources = item.current.sources
    for m in item.diff.missing:
        p = m.permission
        results.append(
            _result(
                "missing-permission",
                "error",
                f"{item.name}: {p.action} on {p.resource} is needed and {m.decision.outcome.value} by the current policy",
                _of_permission(p),
                item.name,
                p.action,
                p.resource,
            )
        )
    for w in item.diff.widened:
        granted = "; ".join(f"{', '.join(s.resources)}" for s in w.statements)
        results.append(
            _result(
                "widened-grant",
                "warning",
                f"{item.name}: {w.action} is granted on {granted} and needed only on {', '.join(w.needed)}",
                _of_statement(w.statements[0], sources) if w.statements else [],
                item.name,
                w.action,
                *sorted(_statement_key(s) for s in w.statements),
            )
        )
    for statement, level, actions in excess_groups(item.diff.excess):
        results.append(
            _result(
                "excess-grant",
                _LEVEL_OF_ACCESS.get(level.label, "note"),
                f"{item.name}: {len(actions)} {level.label} action(s) granted and never needed: {', '.join(actions[:10])}"
                + (" ..." if len(actions) > 10 else ""),
                _of_statement(statement, sources),
                item.name,
                level.label,
                _statement_key(statement),
            )
        )
    return results


def as_sarif(diffs: Sequence[FunctionDiff] = (), verdicts: Sequence[Verdict] = ()) -> str:
    results: list[dict[str, Any]] = []
    for v in verdicts:
        if v.new is not None and not v.new:
            results.append(
                _result(
                    "new-privilege",
                    "error",
                    f"{v.name}: the synthesized policy allows {v.new.action} on {v.new.resource}, which the baseline "
                    "does not: approve it with `policygen baseline update`",
                    [],
                    v.name,
                    v.new.action or "",
                )
            )
    for item in [*diffs, *(v.diff for v in verdicts if v.diff is not None)]:
        results.extend(_diff_results(item))
    rules = [
        {"id": rule, "shortDescription": {"text": text}, "defaultConfiguration": {"level": level}}
        for rule, (level, text) in RULES.items()
    ]
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "policygen", "version": __version__, "rules": rules}},
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"
