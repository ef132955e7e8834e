"""Render stage: a `Result` -> text in one of the output formats.

Each renderer is a pure function of the result and `RenderOptions`; the ones that emit policy
documents write `Result.documents` (already fitted to IAM's size limits by `policygen.fit`) and
pass on what fitting did.
The CLI writes the text (atomically, for ``-o``) and the notes to stderr.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass

from policygen.model import IacReference, Policy, Result, Target
from policygen.render import cloudformation, explain, json_policy, report, terraform


class Format(enum.Enum):
    JSON = "json"
    REPORT = "json-report"
    EXPLAIN = "explain"
    TERRAFORM = "terraform"
    TERRAFORM_JSON = "terraform-json"
    CLOUDFORMATION = "cloudformation"
    CLOUDFORMATION_JSON = "cloudformation-json"
    SAM = "sam"


# The formats that write policy documents (and so say what fitting them to IAM's limits did).
DOCUMENT_FORMATS = frozenset(Format) - {Format.REPORT, Format.EXPLAIN}


@dataclass(frozen=True)
class RenderOptions:
    name: str = "lambda-policy"  # the policy's name; identifiers are derived from it
    role: str | None = None  # the role: a Terraform expression / CloudFormation logical id
    references: tuple[IacReference, ...] = ()  # names to write as the IaC's own references
    target: Target | None = None  # set: CloudFormation output uses pseudo parameters and references
    role_variable: str = terraform.ROLE_VARIABLE  # Terraform: the variable naming the role, if none is given


@dataclass(frozen=True)
class Rendered:
    text: str
    notes: tuple[str, ...] = ()


def safe_name(name: str) -> str:
    """A policy name IAM accepts (``[\\w+=,.@-]``, 128 characters at most)."""
    cleaned = re.sub(r"[^\w+=,.@-]", "-", name).strip("-") or "lambda-policy"
    return cleaned[:128]


def _documents(
    fn: Callable[[tuple[Policy, ...], RenderOptions], str],
) -> Callable[[Result, RenderOptions], Rendered]:
    def render(result: Result, options: RenderOptions) -> Rendered:
        return Rendered(fn(result.documents, options), result.fit_notes)

    return render


RENDERERS: dict[Format, Callable[[Result, RenderOptions], Rendered]] = {
    Format.JSON: _documents(lambda f, o: json_policy.render_documents(f)),
    Format.REPORT: lambda r, o: Rendered(report.render(r)),
    Format.EXPLAIN: lambda r, o: Rendered(explain.render(r)),
    Format.TERRAFORM: _documents(
        lambda f, o: terraform.render_document_data(
            f, safe_name(o.name), o.role, o.references, o.role_variable
        )
    ),
    Format.TERRAFORM_JSON: _documents(
        lambda f, o: terraform.render_jsonencode(
            f, safe_name(o.name), o.role, o.references, o.role_variable
        )
    ),
    Format.CLOUDFORMATION: _documents(
        lambda f, o: cloudformation.render_resource(
            f, safe_name(o.name), o.role, "yaml", o.references, o.target
        )
    ),
    Format.CLOUDFORMATION_JSON: _documents(
        lambda f, o: cloudformation.render_resource(
            f, safe_name(o.name), o.role, "json", o.references, o.target
        )
    ),
    Format.SAM: _documents(
        lambda f, o: cloudformation.render_sam_policies(f, o.references, o.target)
    ),
}


def render(result: Result, fmt: Format, options: RenderOptions | None = None) -> Rendered:
    return RENDERERS[fmt](result, options or RenderOptions())
