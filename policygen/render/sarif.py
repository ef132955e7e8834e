"""SARIF 2.1.0 for code scanning: one result per finding of the diff (missing, widened, excess)
and of the gate (new privilege), each located at the source line that needs the permission or at
the policy statement that grants too much, with a fingerprint that doesn't move with line
numbers (rule, function, action, resource or statement), so findings don't churn."""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from policygen import __version__
from policygen.gate import FunctionDiff, Verdict
from policygen.model import EvidenceKind, Location, Permission
from policygen.policy.document import PolicyStatement
from policygen.render.diff import INCOMPLETE, excess_groups, new_privilege, when

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
RULES = {
    "missing-permission": (
        "error",
        "The code needs a permission the current policy does not grant: denied at run time.",
    ),
    "new-privilege": ("error", "The synthesized policy grants access the approved baseline did not."),
    "widened-grant": ("warning", "A needed action is granted on more resources than needed."),
    "excess-grant": ("warning", "The current policy grants actions the code never needs."),
    "incomplete-comparison": (
        "warning",
        "A policy of the role could not be read, so it was not compared: permissions may be missing "
        "or excess without being reported.",
    ),
}
_LEVEL_OF_ACCESS = {"Permissions management": "error", "Write": "warning", "Tagging": "warning"}


@dataclass(frozen=True)
class Files:
    """Where one function's files are, so that each finding's location is a path from the folder
    SARIF's URIs are relative to (the repository root, where code scanning runs): deployment-file
    paths (templates, their statements' lines) are relative to ``project``, code paths to ``code``.
    ``declared``: where the deployment declares the function (``template.yaml:46``, relative to
    ``project``), for grants from policies written elsewhere (an AWS managed policy attached);
    ``anchor``: a file for findings with no line of their own (the baseline file, for new
    privilege the code doesn't explain)."""

    project: str = ""
    code: str = ""
    declared: str = ""
    anchor: str = ""


def _uri(base: str, path: str) -> str:
    path = path.replace("\\", "/")
    if not base or posixpath.isabs(path):
        return path
    return posixpath.normpath(posixpath.join(base.replace("\\", "/"), path))


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _physical(path: str, line: int, column: int = 0) -> dict[str, Any]:
    where: dict[str, Any] = {"artifactLocation": {"uri": path}}
    if line > 0:
        where["region"] = {"startLine": line, "startColumn": column} if column > 0 else {"startLine": line}
    return {"physicalLocation": where}


def _of_permission(permission: Permission, files: Files) -> list[dict[str, Any]]:
    """The code (or template) lines that need ``permission``: the first three, code first."""
    seen: list[tuple[str, int, int]] = []
    for evidence in sorted(permission.evidence, key=lambda e: e.kind is EvidenceKind.DEPLOYMENT):
        location: Location = evidence.location
        if not location.path or location.is_event:
            continue
        if evidence.kind is EvidenceKind.DEPLOYMENT or "!" in location.path:
            # a template line, or a file inside an archive: the archive, in the project
            where = (_uri(files.project, location.path.split("!", 1)[0]), location.line, location.column)
            if "!" in location.path:
                where = (where[0], 0, 0)
        else:
            where = (_uri(files.code, location.path), location.line, location.column)
        if where not in seen:
            seen.append(where)
    return [_physical(*where) for where in seen[:3]]


def _of_declaration(files: Files) -> list[dict[str, Any]]:
    path, _, line = files.declared.rpartition(":")
    if path and line.isdigit():
        return [_physical(_uri(files.project, path), int(line))]
    return [_physical(files.anchor, 0)] if files.anchor else []


def _of_statement(statement: PolicyStatement, files: Files) -> list[dict[str, Any]]:
    """The line of the statement that grants: in the deployment file that writes it, in the policy
    file given, or (a policy written elsewhere, as an AWS managed one) where the function is
    declared."""
    origin = statement.origin
    if origin is not None and origin.file:
        return [_physical(_uri(files.project, origin.file), origin.line)]
    if origin is not None and origin.line > 0:
        return [_physical(origin.source.replace("\\", "/"), origin.line)]
    return _of_declaration(files)


def _of_new(verdict: Verdict, files: Files) -> list[dict[str, Any]]:
    """Where the code needs the new privilege (the evidence of the needed permissions behind it);
    else the function's declaration or the anchor."""
    out: list[dict[str, Any]] = []
    for permission in verdict.new_needs:
        out.extend(x for x in _of_permission(permission, files) if x not in out)
    return out[:3] or _of_declaration(files)


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


# A deployment file's line inside the text of what could not be read: left out of its
# fingerprint, which should not move when the template's lines do.
_LINE = re.compile(r"(\.(?:yaml|yml|json|tf)):\d+")


def _diff_results(item: FunctionDiff, files: Files) -> list[dict[str, Any]]:
    results = [
        _result(
            "incomplete-comparison",
            "warning",
            f"{item.name}: {INCOMPLETE}: {unknown}",
            _of_declaration(Files(files.project, files.code, unknown.where, files.anchor))
            if unknown.where
            else _of_declaration(files),
            item.name,
            unknown.kind.value,
            _LINE.sub(r"\1", unknown.what),
        )
        for unknown in item.current.unreadable
    ]
    for m in item.diff.missing:
        p = m.permission
        results.append(
            _result(
                "missing-permission",
                "error",
                f"{item.name}: {p.action} on {p.resource} is needed and {m.decision.outcome.value} by the current policy",
                _of_permission(p, files),
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
                _of_statement(w.statements[0], files) if w.statements else _of_declaration(files),
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
                _of_statement(statement, files),
                item.name,
                level.label,
                _statement_key(statement),
            )
        )
    return results


def as_sarif(
    diffs: Sequence[FunctionDiff] = (),
    verdicts: Sequence[Verdict] = (),
    files: Mapping[str, Files] | None = None,
) -> str:
    """The SARIF log; ``files`` (by function name) place each finding in the repository (without
    it, paths are as the readers give them: code relative to its folder, templates to theirs)."""
    results: list[dict[str, Any]] = []
    where = files or {}
    for v in verdicts:
        if v.new is not None and not v.new:
            conditions = f" when {when(v.new.when)}" if v.new.when else ""
            results.append(
                _result(
                    "new-privilege",
                    "error",
                    f"{v.name}: the synthesized policy allows {new_privilege(v)[0]}{conditions}, which "
                    "the baseline does not: approve it with `policygen baseline update`",
                    _of_new(v, where.get(v.name, Files())),
                    v.name,
                    v.new.action or "",
                )
            )
    for item in [*diffs, *(v.diff for v in verdicts if v.diff is not None)]:
        results.extend(_diff_results(item, where.get(item.name, Files())))
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
                "columnKind": "unicodeCodePoints",  # Location.column counts characters
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"
