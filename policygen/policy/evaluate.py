"""The IAM evaluator: is an action on a resource allowed by a set of identity policies, what
does a policy allow, and does one policy allow everything another allows.

AWS's evaluation logic for identity policies is the reference: an explicit ``Deny`` that matches
wins; otherwise an ``Allow`` that matches allows; otherwise the request is implicitly denied.
``NotAction``/``NotResource`` match what their patterns don't. Actions are case-insensitive; ARNs
are case-sensitive.

Conditions and policy variables depend on the request, which a static comparison doesn't have.
Each question is asked in one of two views, and a `Decision` says which statements were set aside:

- `View.GUARANTEED`: what the policies surely allow. A conditional ``Allow`` does not count as
  granting; a conditional ``Deny`` counts as denying. Use it for "will this call succeed".
- `View.POSSIBLE`: what the policies may allow. A conditional ``Allow`` counts as granting; a
  conditional ``Deny`` does not count as denying. Use it for "how much could this grant".

A permissions boundary (`Bounded`) limits identity policies: a request is allowed only when an
identity policy and the boundary both allow it, and an explicit ``Deny`` in either wins, as IAM
evaluates a role with a boundary. Every question below takes identity policies alone or `Bounded`.

Action wildcards are expanded against the IAM data shipped in ``mappings/iam`` (an
`ActionCatalog`): ``s3:Get*`` means the ``s3`` actions that data lists whose names start with
``Get``, and statements are compared on those. Actions the data doesn't list are still
compared when a policy names them, and a wildcard on a service the data doesn't know stands for
an action of that service no one named.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources

from policygen import mapping
from policygen.model import Condition
from policygen.policy.document import Effect, PolicyDocument, PolicyStatement
from policygen.policy.patterns import (
    ResourcePattern,
    Truth,
    VariableView,
    action_matches,
    action_regex,
    action_service,
    and3,
    any3,
    find_member,
    matches,
    not3,
    resource_pattern,
)


class View(enum.Enum):
    GUARANTEED = "guaranteed"  # conditional Allow doesn't grant; conditional Deny denies
    POSSIBLE = "possible"  # conditional Allow grants; conditional Deny doesn't deny


class Outcome(enum.Enum):
    ALLOWED = "allowed"
    EXPLICIT_DENY = "explicitly denied"
    IMPLICIT_DENY = "not allowed"
    OUTSIDE_BOUNDARY = "allowed by the role's policies but not by its permissions boundary"


@dataclass(frozen=True)
class Bounded:
    """A role's identity policies under its permissions boundary: the effective permission is
    what both allow (an explicit Deny in either wins)."""

    identity: tuple[PolicyDocument, ...]
    boundary: tuple[PolicyDocument, ...]


Policies = PolicyDocument | Iterable[PolicyDocument] | Bounded


# -- the action universe --------------------------------------------------------------------------
@dataclass(frozen=True)
class ActionCatalog:
    """Every IAM action known, as ``service:Action`` in the data's spelling."""

    actions: tuple[str, ...]

    @functools.cached_property
    def by_service(self) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for action in self.actions:
            out.setdefault(action.split(":", 1)[0].lower(), {})[action.lower()] = action
        return out

    def expand(self, pattern: str) -> dict[str, str]:
        """The known actions ``pattern`` matches: lower-case name -> spelling."""
        service = action_service(pattern)
        regex = action_regex(pattern)
        services = [service] if service is not None else list(self.by_service)
        out: dict[str, str] = {}
        for name in services:
            for lower, spelled in self.by_service.get(name, {}).items():
                if regex.match(lower):
                    out[lower] = spelled
        return out


@functools.cache
def shipped_catalog() -> ActionCatalog:
    """The actions of every service in ``mappings/iam`` (read on first use)."""
    folder = resources.files("policygen.mappings").joinpath("iam")
    actions: list[str] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        doc = mapping.iam_service(entry.name[: -len(".json")])
        actions.extend(f"{doc['prefix']}:{name}" for name in doc["actions"])
    return ActionCatalog(tuple(sorted(actions)))


def expand_actions(pattern: str, catalog: ActionCatalog | None = None) -> tuple[str, ...]:
    """``s3:Get*`` -> the known actions it matches, sorted (case-insensitive, as IAM)."""
    return tuple(sorted((catalog or shipped_catalog()).expand(pattern).values()))


def unknown_actions(
    document: PolicyDocument, catalog: ActionCatalog | None = None
) -> tuple[tuple[str, PolicyStatement], ...]:
    """Action patterns that match no action the IAM data knows (a typo, or a newer action)."""
    catalog = catalog or shipped_catalog()
    return tuple(
        (pattern, statement)
        for statement in document.statements
        for pattern in statement.actions
        if not catalog.expand(pattern)
    )


# -- one statement in one view --------------------------------------------------------------------
@dataclass(frozen=True)
class _Reading:
    """A statement as a view reads it: whether it counts, and how its variables read."""

    statement: PolicyStatement
    counts: bool
    patterns: tuple[ResourcePattern, ...]
    pattern_view: VariableView
    in_boundary: bool = False  # a statement of the permissions boundary, not of an identity policy

    @property
    def allow(self) -> bool:
        return self.statement.effect is Effect.ALLOW

    @property
    def grants(self) -> bool:
        """An identity policy's Allow (a boundary's Allow only limits)."""
        return self.allow and not self.in_boundary

    @property
    def limits(self) -> bool:
        """A permissions boundary's Allow."""
        return self.allow and self.in_boundary


def _read(statement: PolicyStatement, variables: bool, view: View, in_boundary: bool = False) -> _Reading:
    allow = statement.effect is Effect.ALLOW
    if allow:
        counts = view is View.POSSIBLE or not statement.conditional
    else:
        counts = view is View.GUARANTEED or not statement.conditional
    # Should the statement's resource set be read large (may allow / surely deny) or small?
    large = allow == (view is View.POSSIBLE)
    pattern_view = VariableView.WIDE if large != statement.not_resource else VariableView.NARROW
    patterns = tuple(resource_pattern(r, variables) for r in statement.resources)
    return _Reading(statement, counts, patterns, pattern_view, in_boundary)


def _readings(documents: Policies, view: View) -> list[_Reading]:
    if isinstance(documents, Bounded):
        return [_read(s, d.variables, view) for d in documents.identity for s in d.statements] + [
            _read(s, d.variables, view, True) for d in documents.boundary for s in d.statements
        ]
    docs = [documents] if isinstance(documents, PolicyDocument) else list(documents)
    return [_read(s, d.variables, view) for d in docs for s in d.statements]


def _action_in(statement: PolicyStatement, action: str) -> bool:
    hit = any(action_matches(p, action) for p in statement.actions)
    return hit != statement.not_action


def _resource_in(reading: _Reading, resource: str, view: VariableView | None = None) -> bool:
    view = view or reading.pattern_view
    hit = any(matches(p, resource, view) for p in reading.patterns)
    return hit != reading.statement.not_resource


# -- is one request allowed -----------------------------------------------------------------------
@dataclass(frozen=True)
class Decision:
    action: str
    resource: str
    view: View
    outcome: Outcome
    statements: tuple[PolicyStatement, ...]  # what decided: the denying, or else the allowing statements
    set_aside: tuple[tuple[PolicyStatement, str], ...]  # matched in the other view, not in this one: why

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.ALLOWED

    def __str__(self) -> str:
        why = "; ".join(str(s) for s in self.statements) or "no statement allows it"
        return f"{self.action} on {self.resource}: {self.outcome.value} ({self.view.value} view: {why})"


def is_allowed(
    documents: Policies,
    action: str,
    resource: str,
    view: View = View.GUARANTEED,
) -> Decision:
    """IAM's decision for one concrete request (``resource`` is an ARN, or ``*`` for actions
    without resource-level permissions)."""
    denying: list[PolicyStatement] = []
    allowing: list[PolicyStatement] = []
    within_boundary = not isinstance(documents, Bounded)
    set_aside: list[tuple[PolicyStatement, str]] = []
    for reading in _readings(documents, view):
        statement = reading.statement
        if not _action_in(statement, action):
            continue
        if reading.counts and _resource_in(reading, resource):
            if reading.limits:
                within_boundary = True
            else:
                (allowing if reading.allow else denying).append(statement)
            continue
        widest = VariableView.NARROW if statement.not_resource else VariableView.WIDE
        if not _resource_in(reading, resource, widest):
            continue
        reasons = []
        if not reading.counts:
            reasons.append(f"it holds conditions ({_conditions(statement)})")
        if not _resource_in(reading, resource):
            reasons.append("its resource depends on a policy variable")
        verb = (
            "allow within the permissions boundary"
            if reading.limits
            else "grant"
            if reading.allow
            else "deny"
        )
        set_aside.append(
            (statement, f"may {verb}, but {' and '.join(reasons)}: not counted in the {view.value} view")
        )
    if denying:
        outcome, deciding = Outcome.EXPLICIT_DENY, denying
    elif allowing and within_boundary:
        outcome, deciding = Outcome.ALLOWED, allowing
    elif allowing:  # the boundary allows none of it: no statement decided, the boundary's silence did
        outcome, deciding = Outcome.OUTSIDE_BOUNDARY, []
    else:
        outcome, deciding = Outcome.IMPLICIT_DENY, []
    return Decision(action, resource, view, outcome, tuple(deciding), tuple(set_aside))


def _conditions(statement: PolicyStatement) -> str:
    return ", ".join(f"{c.operator} {c.key}" for c in statement.conditions)


# -- what a policy allows -------------------------------------------------------------------------
@dataclass(frozen=True)
class Grant:
    """One known action an Allow statement grants, on its resource patterns (all but them when
    ``not_resource``), less whatever the ``denied_by`` statements deny of it."""

    action: str
    resources: tuple[str, ...]
    not_resource: bool
    statement: PolicyStatement
    denied_by: tuple[PolicyStatement, ...]
    bounded: bool = False  # a permissions boundary allows the action on some resources, maybe not these


class _Universe:
    """The actions statements are compared over: the IAM data's, those the statements name
    that the data lacks, for a wildcard on a service the data doesn't know one stand-in action
    (``foo:Get~``) for the actions of that service no one named, and ``~:~`` for the actions of
    services no one named (``*`` and ``NotAction`` grant them)."""

    def __init__(self, statements: Sequence[PolicyStatement], catalog: ActionCatalog) -> None:
        self.catalog = catalog
        self.extra: dict[str, str] = {"~:~": "~:~"}
        for statement in statements:
            for pattern in statement.actions:
                if "*" not in pattern and "?" not in pattern:
                    if pattern.lower() not in catalog.by_service.get(pattern.split(":", 1)[0].lower(), {}):
                        self.extra.setdefault(pattern.lower(), pattern)
                elif (service := action_service(pattern)) is not None and service not in catalog.by_service:
                    stand_in = pattern.replace("*", "~").replace("?", "~")
                    self.extra.setdefault(stand_in.lower(), stand_in)
        self.all = frozenset(self.extra) | frozenset(a.lower() for a in catalog.actions)
        self._patterns: dict[str, frozenset[str]] = {}

    def spelling(self, lower: str) -> str:
        return self.extra.get(lower) or self.catalog.by_service[lower.split(":", 1)[0]][lower]

    def of_pattern(self, pattern: str) -> frozenset[str]:
        if pattern not in self._patterns:
            regex = action_regex(pattern)
            self._patterns[pattern] = frozenset(self.catalog.expand(pattern)) | {
                a for a in self.extra if regex.match(a)
            }
        return self._patterns[pattern]

    def of(self, statement: PolicyStatement) -> frozenset[str]:
        hit = frozenset[str]().union(*(self.of_pattern(p) for p in statement.actions))
        return self.all - hit if statement.not_action else hit


def allowed_pairs(
    documents: Policies,
    view: View = View.POSSIBLE,
    catalog: ActionCatalog | None = None,
) -> tuple[Grant, ...]:
    """Every (known action, resource patterns) an Allow statement grants in ``view``, with the
    Deny statements that cut into it; wildcards expanded against the IAM data. Sorted by action.
    Under a permissions boundary, only the actions the boundary allows somewhere (each `Grant`
    then ``bounded``: the boundary may allow fewer resources)."""
    readings = _readings(documents, view)
    universe = _Universe([r.statement for r in readings], catalog or shipped_catalog())
    denies = [(r.statement, universe.of(r.statement)) for r in readings if r.counts and not r.allow]
    bounded = isinstance(documents, Bounded)
    within = frozenset[str]().union(*(universe.of(r.statement) for r in readings if r.counts and r.limits))
    out = []
    for reading in readings:
        if not reading.counts or not reading.grants:
            continue
        for lower in universe.of(reading.statement):
            if bounded and lower not in within:
                continue
            out.append(
                Grant(
                    universe.spelling(lower),
                    reading.statement.resources,
                    reading.statement.not_resource,
                    reading.statement,
                    tuple(s for s, actions in denies if lower in actions),
                    bounded,
                )
            )
    out.sort(key=lambda g: (g.action.lower(), g.statement.origin or (), g.resources))
    return tuple(out)


# -- does A allow everything B allows ------------------------------------------------------------
@dataclass(frozen=True)
class Containment:
    holds: bool
    action: str | None = None  # when not: an action ...
    resource: str | None = None  # ... and a resource B allows and A does not
    when: tuple[Condition, ...] = ()  # ... when these conditions hold (`grants_at_least_per_condition`)

    def __bool__(self) -> bool:
        return self.holds

    def __str__(self) -> str:
        if self.holds:
            return "contained"
        context = f" when {_condition_text(self.when)}" if self.when else ""
        return f"not contained: {self.action} on {self.resource} is allowed by the second and not the first{context}"


def _condition_text(conditions: Iterable[Condition]) -> str:
    return " and ".join(f"{c.operator} {c.key} {list(c.values)}" for c in conditions)


def grants_at_least(
    a: Policies,
    b: Policies,
    *,
    view_a: View = View.GUARANTEED,
    view_b: View = View.POSSIBLE,
    catalog: ActionCatalog | None = None,
) -> Containment:
    """Does ``a`` allow every (action, resource) that ``b`` allows? Decided over patterns, not
    samples: by default ``a`` as it surely grants against ``b`` as it may grant, so a "yes" holds
    whatever the conditions and policy variables turn out to be. When not, an example pair."""
    readings_a = [r for r in _readings(a, view_a) if r.counts]
    readings_b = [r for r in _readings(b, view_b) if r.counts]
    readings = readings_a + readings_b
    universe = _Universe([r.statement for r in readings], catalog or shipped_catalog())
    shares = [universe.of(r.statement) for r in readings]
    split = len(readings_a)
    bounds = (isinstance(a, Bounded), isinstance(b, Bounded))
    b_allows = frozenset[str]().union(*(s for i, s in enumerate(shares) if i >= split and readings[i].grants))
    by_signature: dict[tuple[int, ...], list[str]] = {}
    for action in sorted(b_allows):
        signature = tuple(i for i, share in enumerate(shares) if action in share)
        by_signature.setdefault(signature, []).append(action)
    for signature, actions in sorted(by_signature.items()):
        resource = _escape(signature, readings, split, bounds)
        if resource is not None:
            return Containment(False, universe.spelling(actions[0]), resource)
    return Containment(True)


def _atom(condition: Condition) -> Condition:
    """A condition as one proposition: keys are case-insensitive in IAM, values a set."""
    return Condition(condition.operator, condition.key.lower(), tuple(sorted(set(condition.values))))


def _atoms(statement: PolicyStatement) -> frozenset[Condition]:
    return frozenset(_atom(c) for c in statement.conditions)


def _in_context(document: PolicyDocument, context: frozenset[Condition]) -> PolicyDocument:
    """The statements that surely apply when exactly the ``context`` conditions hold (their own
    conditions are among them), their conditions then met."""
    applying = tuple(
        PolicyStatement(
            s.effect, s.actions, s.resources, s.not_action, s.not_resource, (), s.sid, origin=s.origin
        )
        for s in document.statements
        if _atoms(s) <= context
    )
    return PolicyDocument(applying, document.version, document.id, document.source)


def grants_at_least_per_condition(
    a: PolicyDocument, b: PolicyDocument, catalog: ActionCatalog | None = None
) -> Containment:
    """Does ``a`` allow everything ``b`` allows, whatever the conditions of the request? For "does
    B grant more than A" (the CI gate's new privilege), where a conditional Allow can't simply be
    set aside or taken as granting: removing or loosening a condition grants more.

    Conservative, and exact under this reading: each distinct condition (operator, key, set of
    values) is an independent proposition; a statement applies when all of its conditions hold.
    ``b`` grants more when in some context (a set of conditions holding) it allows a pair ``a``
    doesn't. So B's conditions count as at least as strict as A's only when provably so: the
    same conditions, or more of them; a changed value, operator or key is a new context, where
    A's condition is not known to hold. The contexts that can show a difference are each B
    Allow's conditions, alone and with each of A's conditional Denies' (a Deny of A's that
    applies can only help A). Policy variables are read as they may match, in both."""
    allows = sorted(
        {_atoms(s) for s in b.statements if s.effect is Effect.ALLOW},
        key=lambda c: (len(c), sorted(map(repr, c))),
    )
    denies = {_atoms(s) for s in a.statements if s.effect is Effect.DENY and s.conditions}
    contexts = list(
        dict.fromkeys(
            [*allows, *(c | d for c in allows for d in sorted(denies, key=lambda d: sorted(map(repr, d))))]
        )
    )
    for context in contexts:
        found = grants_at_least(
            _in_context(a, context),
            _in_context(b, context),
            view_a=View.POSSIBLE,
            view_b=View.POSSIBLE,
            catalog=catalog,
        )
        if not found:
            spelled = {_atom(c): c for d in (b, a) for s in d.statements for c in s.conditions}
            when = tuple(spelled[c] for c in sorted(context, key=repr))  # as the policies write them
            return Containment(False, found.action, found.resource, when)
    return Containment(True)


def grants(
    documents: Policies,
    action: str,
    resource: str,
    view: View = View.GUARANTEED,
) -> Containment:
    """Is ``action`` allowed on every resource the ARN pattern ``resource`` matches (a needed
    permission such as ``s3:GetObject`` on ``arn:aws:s3:::b/orders/*``)? When not, an example."""
    readings = [r for r in _readings(documents, view) if r.counts and _action_in(r.statement, action)]
    needed = _read(PolicyStatement(Effect.ALLOW, (action,), (resource,)), True, View.POSSIBLE)
    readings.append(needed)
    found = _escape(
        tuple(range(len(readings))), readings, len(readings) - 1, (isinstance(documents, Bounded), False)
    )
    return Containment(True) if found is None else Containment(False, action, found)


def _escape(
    signature: tuple[int, ...], readings: list[_Reading], split: int, bounds: tuple[bool, bool]
) -> str | None:
    """A resource the B statements in ``signature`` allow and the A statements don't, or None.
    ``bounds``: whether A, and B, are under a permissions boundary.

    B's grant is a union: each of its Resource patterns (or NotResource statements) is searched
    on its own, which keeps the product of automata small."""
    a_side = [i for i in signature if i < split]
    b_others = [i for i in signature if i >= split and not readings[i].grants]
    for index in signature:
        reading = readings[index]
        if index < split or not reading.grants:
            continue
        parts = (
            [((p,), False) for p in reading.patterns]
            if not reading.statement.not_resource
            else [(reading.patterns, True)]
        )
        for grant, negated in parts:
            found = _search(
                grant, negated, reading.pattern_view, [*b_others, *a_side], readings, split, bounds
            )
            if found is not None:
                return found
    return None


def _search(
    grant: tuple[ResourcePattern, ...],
    negated: bool,
    grant_view: VariableView,
    others: list[int],
    readings: list[_Reading],
    split: int,
    bounds: tuple[bool, bool],
) -> str | None:
    patterns: list[tuple[ResourcePattern, VariableView]] = [(p, grant_view) for p in grant]
    spans: list[tuple[int, int, int]] = []  # (statement index, first pattern, end)
    for index in others:
        reading = readings[index]
        first = len(patterns)
        patterns.extend((p, reading.pattern_view) for p in reading.patterns)
        spans.append((index, first, len(patterns)))
    width = len(grant)

    def member(hits: tuple[Truth, ...], span: tuple[int, int, int]) -> Truth:
        index, first, end = span
        hit = any3(hits[first:end])
        return not3(hit) if readings[index].statement.not_resource else hit

    def side(hits: tuple[Truth, ...], b: bool, kind: str) -> Truth:
        chosen = (s for s in spans if (s[0] >= split) == b)
        if kind == "grants":
            chosen = (s for s in chosen if readings[s[0]].grants)
        elif kind == "limits":
            chosen = (s for s in chosen if readings[s[0]].limits)
        else:
            chosen = (s for s in chosen if not readings[s[0]].allow)
        return any3(member(hits, s) for s in chosen)

    def wanted(hits: tuple[Truth, ...]) -> Truth:
        granted = any3(hits[:width])
        granted = not3(granted) if negated else granted
        b_allowed = and3(granted, not3(side(hits, True, "denies")))
        if bounds[1]:
            b_allowed = and3(b_allowed, side(hits, True, "limits"))
        a_allowed = and3(side(hits, False, "grants"), not3(side(hits, False, "denies")))
        if bounds[0]:
            a_allowed = and3(a_allowed, side(hits, False, "limits"))
        return and3(b_allowed, not3(a_allowed))

    return find_member(patterns, wanted)
