"""Policies as IAM reads them: the policy model (reading and writing current and generated
policies), the IAM evaluator (allowed?, what is allowed, does one policy grant at least another)
and AWS managed policies."""

from policygen.policy.document import (
    Effect,
    Origin,
    PolicyDocument,
    PolicyStatement,
    from_generated,
    parse_policy,
    parse_policy_text,
    parse_statement,
    to_json,
)
from policygen.policy.evaluate import (
    ActionCatalog,
    Bounded,
    Containment,
    Decision,
    Grant,
    Outcome,
    View,
    allowed_pairs,
    expand_actions,
    grants,
    grants_at_least,
    grants_at_least_per_condition,
    is_allowed,
    shipped_catalog,
    unknown_actions,
)

__all__ = [
    "ActionCatalog",
    "Bounded",
    "Containment",
    "Decision",
    "Effect",
    "Grant",
    "Origin",
    "Outcome",
    "PolicyDocument",
    "PolicyStatement",
    "View",
    "allowed_pairs",
    "expand_actions",
    "from_generated",
    "grants",
    "grants_at_least",
    "grants_at_least_per_condition",
    "is_allowed",
    "parse_policy",
    "parse_policy_text",
    "parse_statement",
    "shipped_catalog",
    "to_json",
    "unknown_actions",
]
