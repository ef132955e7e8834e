"""The machine-readable result: policy, evidence for every permission, widenings, unresolved
items, file errors and calls the handler cannot reach. Schema-versioned for CI consumers."""

from __future__ import annotations

import json
from typing import Any

from policygen import mapping
from policygen.model import Permission, Result, SdkCall, Widening
from policygen.render.json_policy import policy_document

REPORT_SCHEMA = 1


def _call(call: SdkCall) -> dict[str, Any]:
    return {"call": call.label, "location": str(call.location), "kind": call.kind.value, "note": call.note}


def as_dict(result: Result) -> dict[str, Any]:
    analysis = result.analysis
    doc: dict[str, Any] = {
        "schema": REPORT_SCHEMA,
        "root": analysis.root,
        "handler": analysis.handler,
        "target": {
            "partition": result.target.partition,
            "region": result.target.region,
            "account": result.target.account,
        },
        "files": analysis.files,
        "lines": analysis.lines,
        "excluded": [{"path": e.path, "reason": e.reason} for e in analysis.excluded],
        "policy": policy_document(result.policy),
        "permissions": _permissions(result.permissions),
        "widened": _widened(result.widenings),
        "unresolved": [
            {"reason": u.reason, "location": str(u.location), "detail": u.detail} for u in result.unresolved
        ],
        "errors": [
            {"path": e.path, "line": e.line, "column": e.column, "message": e.message} for e in result.errors
        ],
        "unreachable_calls": [_call(c) for c in result.unreachable],
        "mapping_data": _mapping_data(result),
    }
    if result.history:  # with access history, each permission says how the trail bears on it
        by = {(h.action, h.resource): h for h in result.history}
        for entry in doc["permissions"]:
            found = by[(entry["action"], entry["resource"])]
            entry["history"] = found.label.value
            if found.why:
                entry["history_why"] = found.why
            if found.explains:
                entry["explains"] = [str(where) for where in found.explains]
    if result.recorded_matches:
        # generate --observed: the static gaps the recorded tests made calls at, and what they made
        doc["resolved_by_recording"] = [
            {
                "kind": m.kind,
                "location": str(m.location),
                "static": m.what,
                "observed": [{"action": a, "resource": r} for a, r in m.observed],
            }
            for m in result.recorded_matches
        ]
    if result.other_principals:
        # Calls made with other credentials: what each of those principals needs, kept out of
        # the function's own policy above.
        doc["other_principals"] = [
            {
                "principal": other.principal,
                "calls": [_call(c) for c in other.calls],
                "policy": policy_document(other.policy),
                "permissions": _permissions(other.permissions),
                "widened": _widened(other.widenings),
            }
            for other in result.other_principals
        ]
    return doc


def _mapping_data(result: Result) -> dict[str, Any]:
    """Which botocore the mapping data was built from; when the installed one is newer, which
    calls are to operations the data does not know (they are in ``unresolved`` too)."""
    doc: dict[str, Any] = {"botocore": mapping.data_botocore()}
    newer = mapping.newer_botocore()
    if newer is not None:
        doc["installed_botocore"] = newer
        doc["unknown_to_data"] = [_call(c) for c in result.analysis.calls if mapping.unknown_to_data(c)]
    return doc


def _permissions(permissions: tuple[Permission, ...]) -> list[dict[str, Any]]:
    return [
        {
            "action": p.action,
            "resource": p.resource,
            "evidence": [{"kind": e.kind.value, "source": e.source, "detail": e.detail} for e in p.evidence],
        }
        for p in permissions
    ]


def _widened(widenings: tuple[Widening, ...]) -> list[dict[str, Any]]:
    return [
        {"action": w.action, "resource": w.resource, "reason": w.reason, "location": str(w.location)}
        for w in widenings
    ]


def render(result: Result) -> str:
    return json.dumps(as_dict(result), indent=2, sort_keys=False) + "\n"
