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

    @property
    def allow(self) -> bool:
        return self.statement.effect is Effect.ALLOW


def _read(statement: PolicyStatement, variables: bool, view: View) -> _Reading:
    allow = statement.effect is Effect.ALLOW
    if allow:
        counts = view is View.POSSIBLE or not statement.conditional
    else:
        counts = view is View.GUARANTEED or not statement.conditional
    # Should the statement's resource set be read large (may allow / surely deny) or small?
    large = allow == (view is View.POSSIBLE)
    pattern_view = VariableView.WIDE if large != statement.not_resource else VariableView.NARROW
    patterns = tuple(resource_pattern(r, variables) for r in statement.resources)
    return _Reading(statement, counts, patterns, pattern_view)


def _readings(documents: PolicyDocument | Iterable[PolicyDocument], view: View) -> list[_Reading]:
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
    documents: PolicyDocument | Iterable[PolicyDocument],
    action: str,
    resource: str,
    view: View = View.GUARANTEED,
) -> Decision:
    """IAM's decision for one concrete request (``resource`` is an ARN, or ``*`` for actions
    without resource-level permissions)."""
    denying: list[PolicyStatement] = []
    allowing: list[PolicyStatement] = []
    set_aside: list[tuple[PolicyStatement, str]] = []
    for reading in _readings(documents, view):
        statement = reading.statement
        if not _action_in(statement, action):
            continue
        if reading.counts and _resource_in(reading, resource):
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
        verb = "grant" if reading.allow else "deny"
        set_aside.append(
            (statement, f"may {verb}, but {' and '.join(reasons)}: not counted in the {view.value} view")
        )
    if denying:
        outcome, deciding = Outcome.EXPLICIT_DENY, denying
    elif allowing:
        outcome, deciding = Outcome.ALLOWED, allowing
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
    documents: PolicyDocument | Iterable[PolicyDocument],
    view: View = View.POSSIBLE,
    catalog: ActionCatalog | None = None,
) -> tuple[Grant, ...]:
    """Every (known action, resource patterns) an Allow statement grants in ``view``, with the
    Deny statements that cut into it; wildcards expanded against the IAM data. Sorted by action."""
    readings = _readings(documents, view)
    universe = _Universe([r.statement for r in readings], catalog or shipped_catalog())
    denies = [(r.statement, universe.of(r.statement)) for r in readings if r.counts and not r.allow]
    out = []
    for reading in readings:
        if not reading.counts or not reading.allow:
            continue
        for lower in universe.of(reading.statement):
            out.append(
                Grant(
                    universe.spelling(lower),
                    reading.statement.resources,
                    reading.statement.not_resource,
                    reading.statement,
                    tuple(s for s, actions in denies if lower in actions),
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

    def __bool__(self) -> bool:
        return self.holds

    def __str__(self) -> str:
        if self.holds:
            return "contained"
        return f"not contained: {self.action} on {self.resource} is allowed by the second and not the first"


def grants_at_least(
    a: PolicyDocument | Iterable[PolicyDocument],
    b: PolicyDocument | Iterable[PolicyDocument],
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
    b_allows = frozenset[str]().union(*(s for i, s in enumerate(shares) if i >= split and readings[i].allow))
    by_signature: dict[tuple[int, ...], list[str]] = {}
    for action in sorted(b_allows):
        signature = tuple(i for i, share in enumerate(shares) if action in share)
        by_signature.setdefault(signature, []).append(action)
    for signature, actions in sorted(by_signature.items()):
        resource = _escape(signature, readings, split)
        if resource is not None:
            return Containment(False, universe.spelling(actions[0]), resource)
    return Containment(True)


def grants(
    documents: PolicyDocument | Iterable[PolicyDocument],
    action: str,
    resource: str,
    view: View = View.GUARANTEED,
) -> Containment:
    """Is ``action`` allowed on every resource the ARN pattern ``resource`` matches (a needed
    permission such as ``s3:GetObject`` on ``arn:aws:s3:::b/orders/*``)? When not, an example."""
    readings = [r for r in _readings(documents, view) if r.counts and _action_in(r.statement, action)]
    needed = _read(PolicyStatement(Effect.ALLOW, (action,), (resource,)), True, View.POSSIBLE)
    readings.append(needed)
    found = _escape(tuple(range(len(readings))), readings, len(readings) - 1)
    return Containment(True) if found is None else Containment(False, action, found)


def _escape(signature: tuple[int, ...], readings: list[_Reading], split: int) -> str | None:
    """A resource the B statements in ``signature`` allow and the A statements don't, or None.

    B's grant is a union: each of its Resource patterns (or NotResource statements) is searched
    on its own, which keeps the product of automata small."""
    a_side = [i for i in signature if i < split]
    b_denies = [i for i in signature if i >= split and not readings[i].allow]
    for index in signature:
        reading = readings[index]
        if index < split or not reading.allow:
            continue
        parts = [((p,), False) for p in reading.patterns] if not reading.statement.not_resource else [
            (reading.patterns, True)
        ]
        for grant, negated in parts:
            found = _search(grant, negated, reading.pattern_view, [*b_denies, *a_side], readings, split)
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

    def wanted(hits: tuple[Truth, ...]) -> Truth:
        granted = any3(hits[:width])
        granted = not3(granted) if negated else granted
        b_denied = any3(member(hits, s) for s in spans if s[0] >= split)
        a_allowed = and3(
            any3(member(hits, s) for s in spans if s[0] < split and readings[s[0]].allow),
            not3(any3(member(hits, s) for s in spans if s[0] < split and not readings[s[0]].allow)),
        )
        return and3(and3(granted, not3(b_denied)), not3(a_allowed))

    return find_member(patterns, wanted)
