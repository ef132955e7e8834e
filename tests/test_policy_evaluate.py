"""The IAM evaluator: wildcards, ARN containment, Deny over Allow, NotAction/NotResource,
conditions and policy variables in both views; a property test against brute force."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policygen.model import Condition
from policygen.policy import (
    ActionCatalog,
    Bounded,
    Effect,
    Outcome,
    PolicyDocument,
    PolicyStatement,
    View,
    allowed_pairs,
    expand_actions,
    grants,
    grants_at_least,
    is_allowed,
    parse_policy,
    unknown_actions,
)
from policygen.policy.patterns import VariableView, contains, matches, resource_pattern

MFA = (Condition("Bool", "aws:MultiFactorAuthPresent", ("true",)),)


def allow(actions, resources, **kw) -> PolicyStatement:
    return PolicyStatement(Effect.ALLOW, tuple(actions), tuple(resources), **kw)


def deny(actions, resources, **kw) -> PolicyStatement:
    return PolicyStatement(Effect.DENY, tuple(actions), tuple(resources), **kw)


def doc(*statements: PolicyStatement, version: str | None = "2012-10-17") -> PolicyDocument:
    return PolicyDocument(statements, version)


# -- ARN patterns ---------------------------------------------------------------------------------
W, N = VariableView.WIDE, VariableView.NARROW

CONTAINMENT = [
    # (outer, inner, contained?)
    ("arn:aws:s3:::b/*", "arn:aws:s3:::b/orders/*", True),
    ("arn:aws:s3:::b/orders/*", "arn:aws:s3:::b/*", False),
    ("arn:aws:s3:::b/*", "arn:aws:s3:::b", False),  # the bucket is not an object in it
    ("arn:aws:s3:::b*", "arn:aws:s3:::b/orders/*", True),
    ("arn:aws:s3:::b/*/x", "arn:aws:s3:::b/a/*/x", True),  # '*' crosses '/' in the resource part
    ("arn:aws:s3:::b/?", "arn:aws:s3:::b/a", True),
    ("arn:aws:s3:::b/?", "arn:aws:s3:::b/*", False),
    ("arn:aws:s3:::b/??*", "arn:aws:s3:::b/?*?", True),  # two or more characters either way
    ("arn:aws:s3:::b/?*?", "arn:aws:s3:::b/??*", True),
    ("arn:aws:s3:::b/*a*", "arn:aws:s3:::b/*ab*", True),
    ("arn:aws:s3:::b/*ab*", "arn:aws:s3:::b/*a*b*", False),
    ("*", "arn:aws-cn:s3:::anything", True),
    ("arn:*:s3:::b", "arn:aws-us-gov:s3:::b", True),  # partitions
    ("arn:aws:s3:::b", "arn:*:s3:::b", False),
    ("arn:aws:*:*:*:*", "arn:aws:logs:us-east-1:111122223333:log-group:x:log-stream:y", True),
    ("arn:aws:logs:*:*:log-group:x:*", "arn:aws:logs:*:*:log-group:x:log-stream:*", True),
    ("arn:aws:logs:*:*:log-group:x", "arn:aws:logs:*:*:log-group:x:*", False),
    ("arn:aws:iam::*:role/service-role/*", "arn:aws:iam::111122223333:role/service-role/lambda/x", True),
    ("arn:aws:iam::*:role/*", "arn:aws:iam::111122223333:role/service-role/x", True),  # paths are in the name
    (
        "arn:aws:iam::111122223333:role/x",
        "arn:aws:iam::111122223333:role/X",
        False,
    ),  # ARNs are case-sensitive
    ("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/${*}", True),
    ("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/x", False),  # ${*} is a literal '*'
    ("arn:aws:s3:::b/*", "arn:aws:s3:::b/${?}${$}", True),
]


@pytest.mark.parametrize(("outer", "inner", "expected"), CONTAINMENT)
def test_arn_containment(outer: str, inner: str, expected: bool):
    assert contains(resource_pattern(outer), resource_pattern(inner), N, W) is expected


def test_wildcards_do_not_cross_colons_before_the_resource_part():
    star_region = resource_pattern("arn:aws:sqs:*:111122223333:q")
    assert matches(star_region, "arn:aws:sqs:us-east-1:111122223333:q", W)
    assert not matches(star_region, "arn:aws:sqs:us-east-1:x:111122223333:q", W)
    assert not matches(resource_pattern("arn:aws:sqs:us-east-?:*:q"), "arn:aws:sqs:us-east-:1:q", W)


def test_policy_variables_narrow_or_wide_and_literal_in_2008_documents():
    home = resource_pattern("arn:aws:s3:::b/home/${aws:username}/*")
    assert not matches(home, "arn:aws:s3:::b/home/alice/x", N)
    assert matches(home, "arn:aws:s3:::b/home/alice/x", W)
    assert contains(resource_pattern("arn:aws:s3:::b/home/*"), home, N, W)
    assert not contains(home, resource_pattern("arn:aws:s3:::b/home/alice/x"), N, N)
    literal = resource_pattern("arn:aws:s3:::b/${aws:username}", variables=False)
    assert matches(literal, "arn:aws:s3:::b/${aws:username}", N)
    assert not matches(literal, "arn:aws:s3:::b/alice", W)


def all_words(alphabet: str, longest: int):
    for n in range(longest + 1):
        for letters in itertools.product(alphabet, repeat=n):
            yield "".join(letters)


def test_containment_agrees_with_enumeration_for_every_small_pattern_pair():
    """Every pair of patterns of up to three symbols over {a, b, *, ?}: containment as decided
    equals containment checked on every word over {a, b, c} up to six letters ('c' stands for
    any letter the patterns don't name; six letters exceed what two three-symbol patterns can
    tell apart)."""
    patterns = ["".join(p) for n in range(4) for p in itertools.product("ab*?", repeat=n)]
    words = list(all_words("abc", 6))
    matched = {}
    for text in patterns:
        regex = re.compile(text.replace("?", ".").replace("*", ".*") + r"\Z")
        matched[text] = frozenset(w for w in words if regex.match(w))
    disagreements = [
        (outer, inner)
        for outer in patterns
        for inner in patterns
        if contains(resource_pattern(outer), resource_pattern(inner), N, N)
        != (matched[inner] <= matched[outer])
    ]
    assert disagreements == []
    assert len(patterns) == 85


# -- actions --------------------------------------------------------------------------------------
def test_action_wildcards_expand_against_the_iam_data_case_insensitively():
    gets = expand_actions("S3:getobject*")
    assert "s3:GetObject" in gets and "s3:GetObjectTagging" in gets and "s3:PutObject" not in gets
    assert expand_actions("s3:GetObjec?") == ("s3:GetObject",)
    assert len(expand_actions("*")) > 15000
    assert expand_actions("s3:NoSuchThing*") == ()
    bad = doc(allow(["s3:GetObjekt", "s3:Get*"], ["*"]))
    assert [pattern for pattern, _ in unknown_actions(bad)] == ["s3:GetObjekt"]


# -- decisions ------------------------------------------------------------------------------------
OBJECT = "arn:aws:s3:::b/orders/1.json"


def test_explicit_deny_wins_and_names_the_statements():
    grant = allow(["s3:*"], ["*"], sid="All")
    block = deny(["s3:GetObject"], ["arn:aws:s3:::b/orders/*"], sid="NoOrders")
    decision = is_allowed(doc(grant, block), "S3:GETOBJECT", OBJECT)
    assert decision.outcome is Outcome.EXPLICIT_DENY and decision.statements == (block,)
    assert is_allowed(doc(grant, block), "s3:PutObject", OBJECT).statements == (grant,)
    assert is_allowed(doc(block), "s3:PutObject", OBJECT).outcome is Outcome.IMPLICIT_DENY


def test_not_action_and_not_resource():
    everything_but_iam = doc(allow(["iam:*", "organizations:*"], ["*"], not_action=True))
    assert is_allowed(everything_but_iam, "s3:GetObject", OBJECT).allowed
    assert not is_allowed(everything_but_iam, "IAM:CreateUser", "*").allowed
    outside_secrets = doc(allow(["s3:GetObject"], ["arn:aws:s3:::b/secret/*"], not_resource=True))
    assert is_allowed(outside_secrets, "s3:GetObject", OBJECT).allowed
    assert not is_allowed(outside_secrets, "s3:GetObject", "arn:aws:s3:::b/secret/k").allowed
    fence = doc(allow(["s3:*"], ["*"]), deny(["s3:*"], ["arn:aws:s3:::b/*"], not_resource=True))
    assert is_allowed(fence, "s3:GetObject", OBJECT).allowed
    assert is_allowed(fence, "s3:GetObject", "arn:aws:s3:::other/x").outcome is Outcome.EXPLICIT_DENY


def test_conditions_count_one_way_in_each_view():
    conditional_grant = doc(allow(["s3:GetObject"], ["*"], conditions=MFA))
    surely = is_allowed(conditional_grant, "s3:GetObject", OBJECT, View.GUARANTEED)
    assert not surely.allowed
    ((_statement, why),) = surely.set_aside
    assert why == (
        "may grant, but it holds conditions (Bool aws:MultiFactorAuthPresent): not counted in the guaranteed view"
    )
    assert is_allowed(conditional_grant, "s3:GetObject", OBJECT, View.POSSIBLE).allowed

    conditional_deny = doc(allow(["s3:*"], ["*"]), deny(["s3:GetObject"], ["*"], conditions=MFA))
    assert (
        is_allowed(conditional_deny, "s3:GetObject", OBJECT, View.GUARANTEED).outcome is Outcome.EXPLICIT_DENY
    )
    possible = is_allowed(conditional_deny, "s3:GetObject", OBJECT, View.POSSIBLE)
    assert possible.allowed and possible.set_aside[0][1].startswith("may deny, but it holds conditions")


def test_policy_variables_in_decisions():
    home = doc(allow(["s3:GetObject"], ["arn:aws:s3:::b/home/${aws:username}/*"]))
    surely = is_allowed(home, "s3:GetObject", "arn:aws:s3:::b/home/alice/x", View.GUARANTEED)
    assert not surely.allowed
    assert "its resource depends on a policy variable" in surely.set_aside[0][1]
    assert is_allowed(home, "s3:GetObject", "arn:aws:s3:::b/home/alice/x", View.POSSIBLE).allowed
    old = doc(allow(["s3:GetObject"], ["arn:aws:s3:::b/${aws:username}"]), version=None)
    assert is_allowed(old, "s3:GetObject", "arn:aws:s3:::b/${aws:username}").allowed


def test_resource_star_is_the_only_match_for_actions_without_resource_level_permissions():
    assert is_allowed(doc(allow(["s3:ListAllMyBuckets"], ["*"])), "s3:ListAllMyBuckets", "*").allowed
    assert not is_allowed(
        doc(allow(["s3:ListAllMyBuckets"], ["arn:aws:s3:::*"])), "s3:ListAllMyBuckets", "*"
    ).allowed


# -- what a policy allows, and containment --------------------------------------------------------
def test_allowed_pairs_expand_and_carry_the_denies():
    block = deny(["s3:PutObject"], ["arn:aws:s3:::b/locked/*"])
    grants = allowed_pairs(doc(allow(["s3:GetObject", "s3:P?tObject"], ["arn:aws:s3:::b/*"]), block))
    assert [(g.action, g.resources, g.denied_by) for g in grants] == [
        ("s3:GetObject", ("arn:aws:s3:::b/*",), ()),
        ("s3:PutObject", ("arn:aws:s3:::b/*",), (block,)),
    ]


def test_grants_at_least_over_wildcards():
    broad = doc(allow(["s3:Get*"], ["arn:aws:s3:::b/*"]))
    narrow = doc(allow(["s3:GetObject"], ["arn:aws:s3:::b/orders/*"]))
    assert grants_at_least(broad, narrow)
    result = grants_at_least(narrow, broad)
    assert not result and result.resource is not None
    assert is_allowed(broad, result.action, result.resource).allowed
    assert not is_allowed(narrow, result.action, result.resource).allowed
    # Listing every s3:Get* action by name grants as much as the wildcard (against the IAM data).
    listed = doc(allow(expand_actions("s3:Get*"), ["arn:aws:s3:::b/*"]))
    assert grants_at_least(listed, broad) and grants_at_least(broad, listed)
    # Action case does not matter; ARN case does.
    assert grants_at_least(doc(allow(["S3:GETOBJECT"], ["arn:aws:s3:::b/*"])), narrow)
    assert not grants_at_least(doc(allow(["s3:GetObject"], ["arn:aws:s3:::B/*"])), narrow)


def test_grants_at_least_with_deny_and_not_action():
    admin_but_iam = doc(allow(["*"], ["*"]), deny(["iam:*"], ["*"]))
    assert grants_at_least(admin_but_iam, doc(allow(["s3:*", "sqs:SendMessage"], ["*"])))
    assert not grants_at_least(admin_but_iam, doc(allow(["iam:PassRole"], ["*"])))
    not_iam = doc(allow(["iam:*"], ["*"], not_action=True))
    assert grants_at_least(not_iam, admin_but_iam) and grants_at_least(admin_but_iam, not_iam)


def test_conditional_statements_in_containment():
    plain = doc(allow(["s3:GetObject"], ["*"]))
    conditional = doc(allow(["s3:GetObject"], ["*"], conditions=MFA))
    assert grants_at_least(plain, conditional)  # a conditional grant may grant at most as much
    assert not grants_at_least(conditional, plain)  # ... and can't be relied on
    assert grants_at_least(conditional, plain, view_a=View.POSSIBLE)


def test_unknown_actions_and_services_are_compared_not_dropped():
    assert not grants_at_least(doc(allow(["s3:*"], ["*"])), doc(allow(["foo:Bar"], ["*"])))
    assert not grants_at_least(doc(allow(["foo:Get"], ["*"])), doc(allow(["foo:Get*"], ["*"])))
    assert grants_at_least(doc(allow(["foo:*"], ["*"])), doc(allow(["foo:Get*", "foo:Bar"], ["*"])))


# -- property: containment is exactly "every allowed pair of B is allowed by A" ------------------
CATALOG = ActionCatalog(
    (
        "s3:GetObject",
        "s3:GetObjectAcl",
        "s3:ListBucket",
        "s3:PutObject",
        "sqs:ReceiveMessage",
        "sqs:SendMessage",
    )
)
ACTION_PATTERNS = [
    "*", "s3:*", "s3:Get*", "s3:getobject", "S3:GetObject???", "s3:?utObject", "sqs:*Message",
    "SQS:SendMessage", "sqs:*", "lambda:InvokeFunction", "foo:Get*",
]  # fmt: skip
# Beyond the catalog: a literal action it lacks, and an action of a service it doesn't know.
BRUTE_ACTIONS = [a.lower() for a in CATALOG.actions] + ["lambda:invokefunction", "foo:getanything"]

# Resource patterns: s3 objects in three partitions' worth of patterns, up to three symbols of
# {a, b, *, ?, ${*}, ${aws:username}} after the bucket prefix, and a few queue patterns.
SYMBOLS = ["a", "b", "*", "?", "${*}", "${aws:username}"]
QUEUE_PATTERNS = ["arn:aws:sqs:*:111122223333:q", "arn:aws:sqs:us-east-1:*:*", "*"]
# The brute-force universe: every partition a pattern names plus one it doesn't; every word of
# up to five letters over {a, b, '*'} plus 'c' for any other letter; two regions, one account,
# two queue names, and the bare '*' of actions without resource-level permissions.
PARTITIONS = ["aws", "aws-cn", "aws-us-gov"]
CONCRETE = (
    [f"arn:{p}:s3:::{w}" for p in PARTITIONS for w in all_words("ab*c", 5)]
    + [f"arn:aws:sqs:{r}:111122223333:{q}" for r in ("us-east-1", "eu-west-1") for q in ("q", "r")]
    + ["*"]
)


def brute_regex(pattern: str, view: VariableView) -> re.Pattern[str] | None:
    """IAM's matching rule written independently of the evaluator (as a regular expression)."""
    out, colons, i = [], 0, 0
    arn = pattern.startswith("arn:")
    while i < len(pattern):
        any_char = "." if (not arn or colons >= 5) else "[^:]"
        if pattern.startswith("${", i):
            end = pattern.index("}", i)
            name = pattern[i + 2 : end]
            if name in ("*", "?", "$"):
                out.append(re.escape(name))
            elif view is VariableView.NARROW:
                return None
            else:
                out.append(any_char + "*")
            i = end + 1
            continue
        char = pattern[i]
        out.append(any_char + "*" if char == "*" else any_char if char == "?" else re.escape(char))
        colons += char == ":"
        i += 1
    return re.compile("".join(out) + r"\Z", re.DOTALL)


def brute_allowed(document: PolicyDocument, view: View) -> set[tuple[str, str]]:
    allowed: set[tuple[str, str]] = set()
    denied: set[tuple[str, str]] = set()
    for s in document.statements:
        is_allow = s.effect is Effect.ALLOW
        # The views, as documented: a conditional Allow grants only possibly, a conditional Deny
        # denies only surely; variables read to make the statement large or small accordingly.
        if s.conditions and (is_allow == (view is View.GUARANTEED)):
            continue
        large = is_allow == (view is View.POSSIBLE)
        pattern_view = W if large != s.not_resource else N
        regexes = [r for r in (brute_regex(p, pattern_view) for p in s.resources) if r is not None]
        actions = {
            a for a in BRUTE_ACTIONS
            if any(re.fullmatch(p.lower().replace("?", ".").replace("*", ".*"), a) for p in s.actions) != s.not_action
        }  # fmt: skip
        resources = {r for r in CONCRETE if any(x.match(r) for x in regexes) != s.not_resource}
        (allowed if is_allow else denied).update(itertools.product(actions, resources))
    return allowed - denied


resource_patterns = st.one_of(
    st.sampled_from(QUEUE_PATTERNS),
    st.builds(
        lambda partition, symbols: f"arn:{partition}:s3:::" + "".join(symbols),
        st.sampled_from(["aws", "aws-cn", "*"]),
        st.lists(st.sampled_from(SYMBOLS), max_size=3),
    ),
)
statements = st.builds(
    PolicyStatement,
    effect=st.sampled_from([Effect.ALLOW, Effect.ALLOW, Effect.DENY]),
    actions=st.lists(st.sampled_from(ACTION_PATTERNS), min_size=1, max_size=2).map(tuple),
    resources=st.lists(resource_patterns, min_size=1, max_size=2).map(tuple),
    not_action=st.sampled_from([False, False, True]),
    not_resource=st.sampled_from([False, False, True]),
    conditions=st.sampled_from([(), (), MFA]),
)
policies = st.lists(statements, min_size=1, max_size=3).map(lambda s: PolicyDocument(tuple(s)))
# Independent pairs rarely contain one another: also A = B plus more statements, and B = part of A.
pairs = st.one_of(
    st.tuples(policies, policies),
    st.builds(lambda b, more: (PolicyDocument(b.statements + more.statements), b), policies, policies),
    st.builds(lambda a, n: (a, PolicyDocument(a.statements[:n])), policies, st.integers(1, 2)),
)


@settings(max_examples=150, deadline=None)
@given(pairs)
def test_grants_at_least_is_exactly_pairwise_containment(pair: tuple[PolicyDocument, PolicyDocument]):
    a, b = pair
    allowed_a = brute_allowed(a, View.GUARANTEED)
    allowed_b = brute_allowed(b, View.POSSIBLE)
    result = grants_at_least(a, b, catalog=CATALOG)
    assert result.holds == (allowed_b <= allowed_a), (result, sorted(allowed_b - allowed_a)[:3])
    if not result.holds:  # the example it gives is a real one
        assert result.action is not None and result.resource is not None
        assert is_allowed(b, result.action, result.resource, View.POSSIBLE).allowed
        assert not is_allowed(a, result.action, result.resource, View.GUARANTEED).allowed


@settings(max_examples=60, deadline=None)
@given(policies, st.sampled_from(BRUTE_ACTIONS), st.sampled_from(CONCRETE), st.sampled_from(list(View)))
def test_is_allowed_agrees_with_brute_force(document: PolicyDocument, action: str, resource: str, view: View):
    assert is_allowed(document, action, resource, view).allowed == (
        (action, resource) in brute_allowed(document, view)
    )


def test_parsed_and_built_policies_evaluate_alike():
    parsed = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"}],
        },
        "p.json",
    )
    assert grants_at_least(parsed, doc(allow(["s3:Get*"], ["arn:aws:s3:::b/*"])))


# -- permissions boundaries ----------------------------------------------------------------------
def brute_bounded(identity: PolicyDocument, boundary: PolicyDocument, view: View) -> set[tuple[str, str]]:
    """IAM with a boundary: what both allow, an explicit Deny in either winning."""
    return brute_allowed(identity, view) & brute_allowed(boundary, view)


def test_a_boundary_limits_and_says_so():
    identity = doc(allow(["s3:*"], ["*"]))
    boundary = doc(allow(["s3:Get*"], ["arn:aws:s3:::b/*"]), deny(["s3:GetObjectAcl"], ["*"]))
    bounded = Bounded((identity,), (boundary,))
    assert is_allowed(bounded, "s3:GetObject", "arn:aws:s3:::b/k").allowed
    outside = is_allowed(bounded, "s3:PutObject", "arn:aws:s3:::b/k")
    assert outside.outcome is Outcome.OUTSIDE_BOUNDARY and outside.statements == ()
    assert "permissions boundary" in outside.outcome.value
    assert is_allowed(bounded, "s3:GetObject", "arn:aws:s3:::c/k").outcome is Outcome.OUTSIDE_BOUNDARY
    # An explicit Deny in the boundary wins, and is named.
    denied = is_allowed(bounded, "s3:GetObjectAcl", "arn:aws:s3:::b/k")
    assert denied.outcome is Outcome.EXPLICIT_DENY and denied.statements == boundary.statements[1:]
    # The boundary alone grants nothing.
    assert (
        is_allowed(Bounded((), (identity,)), "s3:GetObject", "arn:aws:s3:::b/k").outcome
        is Outcome.IMPLICIT_DENY
    )
    # Whole patterns: within the boundary on b/*, not on every bucket.
    assert grants(bounded, "s3:GetObject", "arn:aws:s3:::b/orders/*")
    assert not grants(bounded, "s3:GetObject", "arn:aws:s3:::*")
    # What it allows: only the actions the boundary allows somewhere, each marked bounded.
    listed = {g.action for g in allowed_pairs(bounded, catalog=CATALOG)}
    assert "s3:GetObject" in listed and "s3:PutObject" not in listed
    assert all(g.bounded for g in allowed_pairs(bounded, catalog=CATALOG))


@settings(max_examples=60, deadline=None)
@given(
    policies, policies, st.sampled_from(BRUTE_ACTIONS), st.sampled_from(CONCRETE), st.sampled_from(list(View))
)
def test_bounded_decisions_agree_with_brute_force(identity, boundary, action, resource, view):
    expected = (action, resource) in brute_bounded(identity, boundary, view)
    assert is_allowed(Bounded((identity,), (boundary,)), action, resource, view).allowed == expected


@settings(max_examples=80, deadline=None)
@given(pairs, policies, policies, st.booleans(), st.booleans())
def test_bounded_containment_is_exactly_pairwise_containment(pair, boundary_a, boundary_b, bound_a, bound_b):
    a, b = pair
    left = Bounded((a,), (boundary_a,)) if bound_a else a
    right = Bounded((b,), (boundary_b,)) if bound_b else b
    allowed_a = (
        brute_bounded(a, boundary_a, View.GUARANTEED) if bound_a else brute_allowed(a, View.GUARANTEED)
    )
    allowed_b = brute_bounded(b, boundary_b, View.POSSIBLE) if bound_b else brute_allowed(b, View.POSSIBLE)
    result = grants_at_least(left, right, catalog=CATALOG)
    assert result.holds == (allowed_b <= allowed_a), (result, sorted(allowed_b - allowed_a)[:3])
    if not result.holds:
        assert result.action is not None and result.resource is not None
        assert is_allowed(right, result.action, result.resource, View.POSSIBLE).allowed
        assert not is_allowed(left, result.action, result.resource, View.GUARANTEED).allowed
