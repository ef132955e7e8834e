"""Rendering a deployment's several functions: one combined text, or one file per function."""

from __future__ import annotations

import json
import re
from typing import Any

from policygen.model import IacReference
from policygen.policy.document import to_json
from policygen.project import FunctionResult, ProjectResult
from policygen.render import (
    DOCUMENT_FORMATS,
    Format,
    Rendered,
    RenderOptions,
    cloudformation,
    explain,
    json_policy,
    render,
    report,
    safe_name,
    terraform,
)

EXTENSIONS = {
    Format.JSON: "json",
    Format.REPORT: "report.json",
    Format.EXPLAIN: "txt",
    Format.TERRAFORM: "tf",
    Format.TERRAFORM_JSON: "tf",
    Format.CLOUDFORMATION: "yaml",
    Format.CLOUDFORMATION_JSON: "json",
    Format.SAM: "yaml",
}


def file_name(function: str, fmt: Format) -> str:
    """A file name for ``function`` that stays inside the output folder whatever the name holds."""
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", function).strip("._") or "function"
    return f"{stem[:100]}.{EXTENSIONS[fmt]}"


def _options(
    base: RenderOptions, function: FunctionResult, project: ProjectResult, fmt: Format
) -> RenderOptions:
    role = function.spec.role
    references: tuple[IacReference, ...] = ()
    variable = terraform.ROLE_VARIABLE
    if fmt in (Format.TERRAFORM, Format.TERRAFORM_JSON):
        # A Terraform expression is the role itself; a CloudFormation logical id is not, then each
        # function of several gets a variable of its own.
        role = role if role and "." in role else None
        if project.declared > 1:
            variable = terraform.role_variable(function.spec.name)
        if project.kind == "terraform":
            references = function.spec.references
    target = None
    if fmt in (Format.CLOUDFORMATION, Format.CLOUDFORMATION_JSON, Format.SAM) and project.kind == "sam":
        references, target = function.spec.references, function.result.target
    return RenderOptions(safe_name(function.spec.name), role or base.role, references, target, variable)


def _deployment(function: FunctionResult) -> dict[str, Any]:
    spec = function.spec
    out: dict[str, Any] = {
        "source": spec.source,
        "code": spec.code_dir,
        "handler": spec.handler,
        "role": spec.role,
        "notes": list(spec.notes),
    }
    comparison = function.comparison
    if comparison is None:
        return out
    if comparison.attached:
        out["attached_managed_policies"] = [
            {"policy": a.reference, "arn": a.arn} if a.unknown is None else {"policy": a.reference, "unknown": a.unknown}
            for a in comparison.attached
        ]
    if comparison.declared is not None:
        out["declared_policy"] = to_json(comparison.declared)
    if comparison.errors:
        out["declared_policy_errors"] = list(comparison.errors)
        return out
    current = comparison.current
    if current is not None and current.boundary_source is not None:
        out["permissions_boundary"] = current.boundary_source
    if current is not None and current.unreadable:
        out["not_compared"] = [str(u) for u in current.unreadable]
    out["declared_but_unused_actions"] = list(comparison.unused_actions)
    out["declared_wildcard_actions"] = list(comparison.wildcard_actions)
    out["needed_but_not_declared"] = [{"action": p.action, "resource": p.resource} for p in comparison.missing]
    return out


def per_function(project: ProjectResult, fmt: Format, base: RenderOptions) -> list[tuple[str, Rendered]]:
    return [(f.spec.name, render(f.result, fmt, _options(base, f, project, fmt))) for f in project.functions]


def combined(project: ProjectResult, fmt: Format, base: RenderOptions) -> Rendered:
    """All functions in one text, built from their typed results (never from rendered text)."""
    chosen = [(f, _options(base, f, project, fmt)) for f in project.functions]
    if project.declared == 1 and fmt is not Format.REPORT:
        function, options = chosen[0]
        return render(function.result, fmt, options)  # one function (--function): as for plain code
    notes = (
        tuple(f"{f.spec.name}: {note}" for f, _ in chosen for note in f.result.fit_notes)
        if fmt in DOCUMENT_FORMATS
        else ()
    )
    if fmt is Format.JSON:
        body: dict[str, Any] = {
            f.spec.name: json_policy.documents_value(f.result.documents) for f, _ in chosen
        }
        return Rendered(json.dumps(body, indent=2) + "\n", notes)
    if fmt is Format.REPORT:
        functions = {
            f.spec.name: {**report.as_dict(f.result), "deployment": _deployment(f)} for f, _ in chosen
        }
        body = {
            "kind": project.kind,
            "source": project.source,
            "functions": functions,
            "failures": [
                {"function": f.spec.name, "message": f.message, "strict": f.strict} for f in project.failures
            ],
        }
        if project.skipped:
            body["not_analysed"] = {
                s.name: {"source": s.source, "reason": s.skipped} for s in project.skipped
            }
        return Rendered(json.dumps(body, indent=2) + "\n", notes)
    if fmt is Format.EXPLAIN:
        return Rendered(
            "\n".join(f"== {f.spec.name} ==\n{explain.render(f.result)}" for f, _ in chosen), notes
        )
    if fmt in (Format.TERRAFORM, Format.TERRAFORM_JSON):
        # Variable blocks first (each once), then each function's policy.
        variables: list[str] = []
        texts = []
        write = terraform.render_document_data if fmt is Format.TERRAFORM else terraform.render_jsonencode
        for f, o in chosen:
            block = terraform.variable_block(o.role, o.role_variable)
            if block is not None and block not in variables:
                variables.append(block)
            texts.append(
                write(f.result.documents, safe_name(o.name), o.role, o.references, o.role_variable, False)
            )
        head = "".join(v + "\n" for v in variables)
        return Rendered(head + "\n".join(texts), notes)
    if fmt in (Format.CLOUDFORMATION, Format.CLOUDFORMATION_JSON):
        resources: dict[str, Any] = {}
        for f, o in chosen:
            resources.update(
                cloudformation.resources(
                    f.result.documents, safe_name(o.name), o.role, o.references, o.target
                )
            )
        if fmt is Format.CLOUDFORMATION_JSON:
            return Rendered(json.dumps({"Resources": resources}, indent=2) + "\n", notes)
        return Rendered(cloudformation.dump_yaml({"Resources": resources}), notes)
    sam = {
        f.spec.name: cloudformation.sam_policies(f.result.documents, o.references, o.target)
        for f, o in chosen
    }
    return Rendered(cloudformation.dump_yaml(sam), notes)
