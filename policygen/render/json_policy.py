"""The IAM policy document, as IAM accepts it."""

from __future__ import annotations

import json
from typing import Any

from policygen.model import Policy, Result, Statement
from policygen.policy.document import condition_json


def statement_document(statement: Statement) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "Sid": statement.sid,
        "Effect": statement.effect,
        "Action": list(statement.actions),
        "Resource": list(statement.resources),
    }
    if statement.conditions:
        doc["Condition"] = condition_json(statement.conditions)
    return doc


def policy_document(policy: Policy) -> dict[str, Any]:
    return {"Version": policy.version, "Statement": [statement_document(s) for s in policy.statements]}


def render(result: Result) -> str:
    return json.dumps(policy_document(result.policy), indent=2) + "\n"


def render_documents(documents: tuple[Policy, ...]) -> str:
    """One document as IAM takes it; several (split to fit IAM's limits) as a JSON list."""
    if len(documents) == 1:
        return json.dumps(policy_document(documents[0]), indent=2) + "\n"
    return json.dumps([policy_document(d) for d in documents], indent=2) + "\n"
