"""The current policy of a deployed role, read through boto3: its inline policies
(`list_role_policies` / `get_role_policy`), its attached managed policies
(`list_attached_role_policies`, then `get_policy` / `get_policy_version` for the default
version) and whether it has a permissions boundary. The boundary is not yet applied to the diff:
it is named in `Current.unknown`, as missing permissions it would deny go unreported."""

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


def read_role(role: str, client: Any = None) -> Current:
    """The role's identity policies; any AWS error is a `PolicyError` naming the role."""
    import boto3
    import botocore.exceptions

    iam = client or boto3.client("iam")
    documents: list[PolicyDocument] = []
    sources: list[str] = []
    unknown: list[str] = []
    try:
        details = iam.get_role(RoleName=role)["Role"]
        for page in iam.get_paginator("list_role_policies").paginate(RoleName=role):
            for name in sorted(page["PolicyNames"]):
                raw = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
                documents.append(_document(raw, f"role {role} inline policy {name}"))
                sources.append(f"role {role} inline policy {name}")
        for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=role):
            for attached in sorted(page["AttachedPolicies"], key=lambda p: p["PolicyArn"]):
                arn = attached["PolicyArn"]
                version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
                raw = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
                documents.append(_document(raw, arn))
                sources.append(f"{arn} ({version})")
    except botocore.exceptions.BotoCoreError as exc:
        raise PolicyError(f"role {role}", f"cannot read the role's policies: {exc}") from exc
    except botocore.exceptions.ClientError as exc:
        raise PolicyError(f"role {role}", f"cannot read the role's policies: {exc}") from exc
    boundary = (details.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    if boundary:
        unknown.append(
            f"permissions boundary {boundary}: not applied (permissions it denies are not reported missing)"
        )
    return Current(tuple(documents), tuple(sources), tuple(unknown))
