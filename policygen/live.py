"""The current policy of a deployed role, read through boto3: its inline policies
(`list_role_policies` / `get_role_policy`), its attached managed policies
(`list_attached_role_policies`, then `get_policy` / `get_policy_version` for the default
version) and its permissions boundary (``get_role``'s ``PermissionsBoundary``, read the same way
as a managed policy), which the diff applies: identity policies ∩ boundary."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from policygen.errors import PolicyError
from policygen.gate import Current
from policygen.policy.document import PolicyDocument, parse_policy


def _document(raw: Any, source: str) -> PolicyDocument:
    # IAM returns policy documents URL-encoded through the raw API; boto3 decodes them to dicts.
    if isinstance(raw, str):
        raw = json.loads(urllib.parse.unquote(raw))
    return parse_policy(raw, source)


def role_name(role: str) -> str:
    """The role's name from a name or an ARN (``arn:aws:iam::123456789012:role/service/orders-fn``:
    IAM's role calls take the name, without the path)."""
    if role.startswith("arn:") and ":role/" in role:
        return role.rsplit("/", 1)[-1]
    return role


def read_role(role: str, client: Any = None) -> Current:
    """The role's identity policies and boundary (by name or ARN); any AWS error is a
    `PolicyError` naming the role."""
    import boto3
    import botocore.exceptions

    role = role_name(role)

    iam = client or boto3.client("iam")
    documents: list[PolicyDocument] = []
    sources: list[str] = []
    try:
        details = iam.get_role(RoleName=role)["Role"]
        for page in iam.get_paginator("list_role_policies").paginate(RoleName=role):
            for name in sorted(page["PolicyNames"]):
                raw = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
                documents.append(_document(raw, f"role {role} inline policy {name}"))
                sources.append(f"role {role} inline policy {name}")
        for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=role):
            for attached in sorted(page["AttachedPolicies"], key=lambda p: p["PolicyArn"]):
                document, source = _managed(iam, attached["PolicyArn"])
                documents.append(document)
                sources.append(source)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        raise PolicyError(f"role {role}", f"cannot read the role's policies: {exc}") from exc
    arn = (details.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    if not arn:
        return Current(tuple(documents), tuple(sources))
    try:
        boundary, source = _managed(iam, arn)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        raise PolicyError(
            f"role {role}",
            f"cannot read its permissions boundary {arn} ({exc}): check the ARN the role names "
            "and that these credentials may call iam:GetPolicy and iam:GetPolicyVersion on it",
        ) from exc
    where = f"permissions boundary {source}"
    return Current(tuple(documents), (*sources, where), (), (boundary,), where)


def _managed(iam: Any, arn: str) -> tuple[PolicyDocument, str]:
    """A managed policy's default version, and where it was read."""
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    raw = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    return _document(raw, arn), f"{arn} ({version})"
