"""The IAM policy document, as IAM accepts it."""

from __future__ import annotations

import json
from typing import Any

from policygen.model import Policy, Result
from policygen.synthesize import policy_document, statement_document


def render(result: Result) -> str:
    return json.dumps(policy_document(result.policy), indent=2) + "\n"


def documents_value(documents: tuple[Policy, ...]) -> Any:
    """One document as IAM takes it; several (split to fit IAM's limits) as a list."""
    if len(documents) == 1:
        return policy_document(documents[0])
    return [policy_document(d) for d in documents]


def render_documents(documents: tuple[Policy, ...]) -> str:
    return json.dumps(documents_value(documents), indent=2) + "\n"


__all__ = ["documents_value", "policy_document", "render", "render_documents", "statement_document"]
