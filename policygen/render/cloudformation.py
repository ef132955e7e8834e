"""CloudFormation and SAM: an ``AWS::IAM::Policy`` resource (YAML or JSON) attached to the
function's role, or the ``Policies:`` list of a SAM function. Written with PyYAML's safe dumper,
in the long form (``Ref:``) so no custom tags are needed."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import yaml

from policygen.model import IacReference, Policy, Target
from policygen.render.json_policy import policy_document
from policygen.render.references import cloudformation_value

ROLE_PARAMETER = "FunctionRole"


def logical_id(name: str) -> str:
    words = re.split(r"[^A-Za-z0-9]+", name)
    ident = "".join(w[:1].upper() + w[1:] for w in words if w) or "Lambda"
    ident = ident if ident[0].isalpha() else "P" + ident
    return (ident + "Policy")[:255]


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    # Quote what YAML 1.1 would read as something else ("2012-10-17" is a date to some readers).
    style = '"' if re.fullmatch(r"[\d.:-]+|yes|no|on|off|true|false|null|~", value, re.IGNORECASE) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(value: Any) -> str:
    return yaml.dump(value, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=1000)


def _document(policy: Policy, references: Sequence[IacReference], target: Target | None) -> dict[str, Any]:
    document = policy_document(policy)
    if target is not None:
        for statement in document["Statement"]:
            statement["Resource"] = [
                cloudformation_value(r, references, target) for r in statement["Resource"]
            ]
    return document


def resources(
    documents: tuple[Policy, ...],
    name: str,
    role: str | None,
    references: Sequence[IacReference] = (),
    target: Target | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for index, policy in enumerate(documents):
        suffix = "" if len(documents) == 1 else str(index + 1)
        out[logical_id(name) + suffix] = {
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "PolicyName": name + (f"-{suffix}" if suffix else ""),
                "Roles": [{"Ref": role or ROLE_PARAMETER}],
                "PolicyDocument": _document(policy, references, target),
            },
        }
    return out


def render_resource(
    documents: tuple[Policy, ...],
    name: str,
    role: str | None,
    style: str,
    references: Sequence[IacReference] = (),
    target: Target | None = None,
) -> str:
    snippet = {"Resources": resources(documents, name, role, references, target)}
    if style == "json":
        return json.dumps(snippet, indent=2) + "\n"
    return dump_yaml(snippet)


def sam_policies(
    documents: tuple[Policy, ...], references: Sequence[IacReference] = (), target: Target | None = None
) -> dict[str, Any]:
    """A SAM function's ``Policies:`` list."""
    return {"Policies": [_document(p, references, target) for p in documents]}


def render_sam_policies(
    documents: tuple[Policy, ...], references: Sequence[IacReference] = (), target: Target | None = None
) -> str:
    return dump_yaml(sam_policies(documents, references, target))
