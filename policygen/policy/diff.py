"""The semantic diff: what a function needs against the policy it has (a policy file, the role a
template declares, the AWS managed policies attached to it).

Per action and resource, decided by the IAM evaluator (`policygen.policy.evaluate`), never by
comparing text:

- missing: a needed permission the current policy does not surely allow on every resource its
  ARN pattern covers (the call would be denied at run time). The guaranteed view: a conditional
  Allow is not relied on, a conditional Deny is taken to deny.
- excess: an action the current policy may allow (possible view: conditional grants count) that
  nothing needs, ranked by access level from the IAM data (Permissions management, Write,
  Tagging, Read, List) and then by breadth (``*`` on ``*`` first).
- widened: a needed action the current policy may allow on resources beyond the needed ones,
  with an example resource and the tight statement to replace it.

Under a permissions boundary (`Bounded`) each question is asked of the effective permission,
identity policies ∩ boundary: a permission the role's policies grant and its boundary doesn't is
missing with the outcome saying so; an action the boundary allows nowhere is not excess.

The least-privilege score is needed / granted: by action (needed actions granted over every
action granted) and by action-resource pair. A pair is what is effectively granted of one action
through one resource pattern of an Allow statement and, under a permissions boundary, one
resource pattern of a boundary Allow statement (their intersection), less what an explicit Deny in
either takes away; a pair nothing survives in is not granted. A pair is needed when all it lets
through lies within the needed resources of the action. Pairs that cover the same resources
(the same pattern from two statements) count once.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from policygen import mapping
from policygen.errors import MappingError
from policygen.model import Permission
from policygen.policy.document import Effect, PolicyDocument, PolicyStatement
from policygen.policy.evaluate import (
    ActionCatalog,
    Bounded,
    Decision,
    Grant,
    Outcome,
    Policies,
    View,
    allowed_pairs,
    grants,
    grants_at_least,
    is_allowed,
    shipped_catalog,
)
from policygen.policy.patterns import (
    VariableView,
    action_matches,
    action_service,
    active_generated_names,
    and3,
    find_member,
    matches,
    resource_pattern,
)


class AccessLevel(enum.IntEnum):
    """IAM's access levels, most powerful first (the order excess is ranked in)."""

    PERMISSIONS_MANAGEMENT = 0
    WRITE = 1
    TAGGING = 2
    READ = 3
    LIST = 4
    UNKNOWN = 5  # an action the IAM data doesn't list

    @property
    def label(self) -> str:
        return {0: "Permissions management", 1: "Write", 2: "Tagging", 3: "Read", 4: "List", 5: "Unknown"}[
            self.value
        ]


_BY_LABEL = {level.label: level for level in AccessLevel}


@functools.cache
def _levels(prefix: str) -> dict[str, AccessLevel]:
    try:
        doc = mapping.iam_service(prefix)
    except MappingError:
        return {}
    return {
        name.lower(): _BY_LABEL.get(label, AccessLevel.UNKNOWN)
        for name, label in doc.get("access_levels", {}).items()
    }


def access_level(action: str) -> AccessLevel:
    """The access level the IAM data gives ``action`` (``Unknown`` for an action it lacks)."""
    prefix, _, name = action.partition(":")
    return _levels(prefix.lower()).get(name.lower(), AccessLevel.UNKNOWN)


def breadth(statement: PolicyStatement) -> int:
    """0 for the broadest statements (any action of any service on any resource) up to 4 for one
    named action on named resources: how many of the two dimensions are narrowed, and how far."""

    def actions() -> int:
        if statement.not_action or any(action_service(p) is None for p in statement.actions):
            return 0
        return 1 if any("*" in p or "?" in p for p in statement.actions) else 2

    def resources() -> int:
        if statement.not_resource or any(r == "*" for r in statement.resources):
            return 0
        return 1 if any("*" in r or "?" in r or "${" in r for r in statement.resources) else 2

    return actions() + resources()


# -- results --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Missing:
    """A needed permission the current policy doesn't surely grant."""

    permission: Permission
    example: str  # a resource of the needed pattern that would be refused
    decision: Decision  # the evaluator's decision on it, with the statements set aside and why

    @property
    def explicitly_denied(self) -> bool:
        return self.decision.outcome is Outcome.EXPLICIT_DENY

    @property
    def outside_boundary(self) -> bool:
        """Granted by the role's policies, refused by its permissions boundary."""
        return self.decision.outcome is Outcome.OUTSIDE_BOUNDARY


@dataclass(frozen=True)
class Excess:
    """An action a current Allow statement may grant that nothing needs."""

    action: str
    level: AccessLevel
    statement: PolicyStatement
    breadth: int

    @property
    def rank(self) -> tuple[int, int, str, str]:
        origin = str(self.statement.origin) if self.statement.origin else ""
        return (self.level.value, self.breadth, origin, self.action.lower())


@dataclass(frozen=True)
class Widened:
    """A needed action granted on more resources than needed."""

    action: str
    needed: tuple[str, ...]  # the resource patterns the function needs it on
    example: str  # a resource the current policy may allow it on that nothing needs
    statements: tuple[PolicyStatement, ...]  # the current statements that allow the example
    replacement: tuple[PolicyStatement, ...]  # the tight statement(s) for this action


@dataclass(frozen=True)
class GrantedPair:
    """What the current policy effectively grants of one action through one resource pattern
    (``resource``: the identity statement's, the boundary's where it is narrower, or both)."""

    action: str
    resource: str
    needed: bool  # all it lets through lies within the needed resources of the action


@dataclass(frozen=True)
class Score:
    needed_actions: int  # distinct actions the function needs
    granted_actions: int  # distinct actions the current policy may grant
    needed_granted_actions: int  # ... of which the function needs
    granted_pairs: int  # (action, resource pattern) pairs the current policy effectively grants
    needed_pairs: int  # ... of which lie within a needed resource of a needed action
    pairs: tuple[GrantedPair, ...] = ()  # the granted pairs, sorted

    @property
    def by_action(self) -> float:
        return self.needed_granted_actions / self.granted_actions if self.granted_actions else 1.0

    @property
    def by_pair(self) -> float:
        return self.needed_pairs / self.granted_pairs if self.granted_pairs else 1.0


@dataclass(frozen=True)
class Diff:
    missing: tuple[Missing, ...]
    excess: tuple[Excess, ...]  # ranked: most powerful level first, then broadest
    widened: tuple[Widened, ...]
    score: Score

    @property
    def clean(self) -> bool:
        return not (self.missing or self.excess or self.widened)


# -- the diff -------------------------------------------------------------------------------------
def _restricted(
    documents: tuple[PolicyDocument, ...] | Bounded, action: str
) -> tuple[PolicyDocument, ...] | Bounded:
    """The documents' statements that apply to ``action``, each narrowed to it alone."""
    if isinstance(documents, Bounded):
        return Bounded(_narrowed(documents.identity, action), _narrowed(documents.boundary, action))
    return _narrowed(documents, action)


def _narrowed(documents: Sequence[PolicyDocument], action: str) -> tuple[PolicyDocument, ...]:
    out = []
    for document in documents:
        statements = tuple(
            PolicyStatement(
                s.effect, (action,), s.resources, False, s.not_resource, s.conditions, s.sid, origin=s.origin
            )
            for s in document.statements
            if any(action_matches(p, action) for p in s.actions) != s.not_action
        )
        out.append(PolicyDocument(statements, document.version, document.id, document.source))
    return tuple(out)


def _tight(
    action: str, needed: Sequence[Permission], generated: PolicyDocument | None
) -> tuple[PolicyStatement, ...]:
    if generated is not None:
        own = tuple(
            s
            for s in generated.statements
            if s.effect is Effect.ALLOW and any(action_matches(p, action) for p in s.actions)
        )
        if own:
            return own
    resources = tuple(sorted({p.resource for p in needed}))
    return (PolicyStatement(Effect.ALLOW, (action,), resources),)


def _overlaps(pattern: str, arn_format: str) -> bool:
    return _overlaps_among(pattern, arn_format, active_generated_names())


@functools.lru_cache(maxsize=8192)
def _overlaps_among(pattern: str, arn_format: str, _names: frozenset[str]) -> bool:
    """Can some ARN of the IAM data's ``arn_format`` (``arn:${Partition}:s3:::${BucketName}``,
    its ``${...}`` read as any text within their segment) match the statement's ``pattern``?
    (``_names``: the generated names the patterns are read with, part of what is cached.)"""
    wide = VariableView.WIDE
    members = [(resource_pattern(pattern), wide), (resource_pattern(arn_format), wide)]
    return find_member(members, lambda m: and3(m[0], m[1])) is not None


@functools.cache
def arn_formats(action: str) -> tuple[str, ...] | None:
    """The ARN formats of ``action``'s resource types; () for an action IAM authorizes on "*"
    only; None when the IAM data doesn't know the action (then nothing is assumed of it)."""
    prefix, _, name = action.partition(":")
    try:
        doc = mapping.iam_service(prefix.lower())
    except MappingError:
        return None
    types = {k.lower(): v for k, v in doc.get("actions", {}).items()}.get(name.lower())
    if types is None:
        return None
    resources = doc.get("resources", {})
    return tuple(sorted({f for t in types for f in resources.get(t, ())}))


def applicable(action: str, resources: Sequence[str]) -> tuple[str, ...] | None:
    """The statement ``resources`` through which an Allow can grant ``action`` at all: IAM matches
    them against the ARN of the resource the request is on, of one of the action's resource
    types, or against "*" for an action without any. So ``s3:*`` on a bucket and its objects
    grants the bucket and object actions, never ``s3:ListAllMyBuckets`` (on "*" only) or
    ``s3:CreateJob``. None when the IAM data doesn't know the action."""
    formats = arn_formats(action)
    if formats is None:
        return None
    if not formats:
        return tuple(r for r in resources if matches(resource_pattern(r), "*", VariableView.WIDE))
    return tuple(r for r in resources if any(_overlaps(r, f) for f in formats))


def _granting(grant: Grant) -> Grant | None:
    """``grant`` held to the resources that can grant its action; None when none can."""
    if grant.not_resource:
        return grant
    found = applicable(grant.action, grant.resources)
    if found is None or found == grant.resources:
        return grant
    return dataclasses.replace(grant, resources=found) if found else None


def _effective(grant: Grant, documents: tuple[PolicyDocument, ...] | Bounded) -> bool:
    """Does ``grant`` allow its action on some resource once the Deny statements (and the
    permissions boundary) are applied?"""
    if not grant.denied_by and not grant.not_resource and not grant.bounded:
        return True  # an Allow's resources, read wide in the possible view, match something
    return not grants_at_least((), _restricted(documents, grant.action))


def _documents(current: Policies) -> tuple[PolicyDocument, ...] | Bounded:
    if isinstance(current, Bounded):
        return current
    return (current,) if isinstance(current, PolicyDocument) else tuple(current)


def missing_from(current: Policies, needed: Iterable[Permission]) -> tuple[Missing, ...]:
    """The needed permissions ``current`` does not surely grant, each with a resource that would
    be refused and the evaluator's decision on it (the diff's first part, on its own)."""
    documents = _documents(current)
    out = []
    for permission in needed:
        found = grants(documents, permission.action, permission.resource, View.GUARANTEED)
        if not found:
            assert found.resource is not None
            decision = is_allowed(documents, permission.action, found.resource, View.GUARANTEED)
            out.append(Missing(permission, found.resource, decision))
    return tuple(out)


def diff(
    current: Policies,
    needed: Iterable[Permission],
    generated: PolicyDocument | None = None,
    catalog: ActionCatalog | None = None,
) -> Diff:
    """Compare the ``current`` policy documents (under their permissions boundary, when
    `Bounded`) with the ``needed`` permissions; ``generated`` (policygen's own policy for them)
    gives the tight statements widened grants should become."""
    documents = _documents(current)
    needed = tuple(needed)
    catalog = catalog or shipped_catalog()

    missing = missing_from(documents, needed)

    by_action: dict[str, list[Permission]] = {}
    for permission in needed:
        by_action.setdefault(permission.action.lower(), []).append(permission)

    # '~' marks the evaluator's stand-ins for actions no data lists and no policy names: not
    # reported one by one (the statements granting them grant named actions too).
    # A statement's resources that can't name a resource of the action grant nothing of it.
    pairs = [
        g
        for g in (_granting(g) for g in allowed_pairs(documents, View.POSSIBLE, catalog))
        if g is not None and "~" not in g.action and _effective(g, documents)
    ]
    granted_actions = {g.action.lower() for g in pairs}

    excess = sorted(
        (
            Excess(g.action, access_level(g.action), g.statement, breadth(g.statement))
            for g in pairs
            if g.action.lower() not in by_action
        ),
        key=lambda e: e.rank,
    )

    widened = []
    for lower, permissions in sorted(by_action.items()):
        if lower not in granted_actions:
            continue
        action = permissions[0].action
        tight = _tight(action, permissions, generated)
        tight_doc = PolicyDocument(
            tuple(
                PolicyStatement(Effect.ALLOW, (action,), s.resources, conditions=s.conditions) for s in tight
            )
        )
        mine = _restricted(documents, action)
        found = grants_at_least(tight_doc, mine, view_a=View.POSSIBLE, view_b=View.POSSIBLE, catalog=catalog)
        if not found:
            assert found.resource is not None
            decision = is_allowed(mine, action, found.resource, View.POSSIBLE)
            widened.append(
                Widened(
                    action,
                    tuple(sorted({p.resource for p in permissions})),
                    found.resource,
                    decision.statements,
                    tight,
                )
            )

    counted = granted_pairs(documents, pairs, by_action, catalog)
    score = Score(
        needed_actions=len(by_action),
        granted_actions=len(granted_actions),
        needed_granted_actions=len(granted_actions & set(by_action)),
        granted_pairs=len(counted),
        needed_pairs=sum(p.needed for p in counted),
        pairs=counted,
    )
    return Diff(missing, tuple(excess), tuple(widened), score)


# -- the least-privilege score by action-resource pair --------------------------------------------
_Part = tuple[PolicyStatement, tuple[str, ...]]  # a statement, held to one resource (or its NotResource)


def _parts(statement: PolicyStatement, action: str, resources: Sequence[str]) -> list[_Part]:
    """``statement`` as one Allow of ``action`` per resource pattern that can name a resource of
    it; a NotResource statement is one part."""
    if statement.not_resource:
        return [(statement, statement.resources)]
    found = applicable(action, resources)
    return [(statement, (r,)) for r in (resources if found is None else found)]


def _only(part: _Part, action: str) -> PolicyStatement:
    statement, resources = part
    return PolicyStatement(
        Effect.ALLOW, (action,), resources, False, statement.not_resource, statement.conditions, statement.sid
    )


def _denies(documents: Sequence[PolicyDocument]) -> tuple[PolicyStatement, ...]:
    return tuple(s for d in documents for s in d.statements if s.effect is Effect.DENY)


def _label(part: _Part) -> str:
    statement, resources = part
    return f"NotResource {', '.join(resources)}" if statement.not_resource else resources[0]


def _within(outer: Policies, inner: Policies, catalog: ActionCatalog) -> bool:
    """Does ``outer`` allow all ``inner`` may allow (both as they may grant)?"""
    return bool(grants_at_least(outer, inner, view_a=View.POSSIBLE, view_b=View.POSSIBLE, catalog=catalog))


def granted_pairs(
    documents: tuple[PolicyDocument, ...] | Bounded,
    grants: Sequence[Grant],
    by_action: dict[str, list[Permission]],
    catalog: ActionCatalog,
) -> tuple[GrantedPair, ...]:
    """Each (action, resource) the ``grants`` effectively give: one identity resource pattern, under
    a boundary intersected with one boundary resource pattern, less the Deny statements of both;
    needed when within the needed resources of the action."""
    out: dict[tuple[str, str], GrantedPair] = {}
    for grant in grants:
        mine = _restricted(documents, grant.action)
        identity = mine.identity if isinstance(mine, Bounded) else mine
        denies = _denies(identity)
        # Under a boundary, each boundary Allow part it may grant the action through.
        limits: list[_Part | None] = [None]
        if isinstance(mine, Bounded):
            limits = [
                part
                for s in (s for d in mine.boundary for s in d.statements if s.effect is Effect.ALLOW)
                for part in _parts(s, grant.action, s.resources)
            ]
        uses = by_action.get(grant.action.lower())
        tight = PolicyDocument(
            tuple(PolicyStatement(Effect.ALLOW, (grant.action,), (p.resource,)) for p in uses or ())
        )
        for part in _parts(grant.statement, grant.action, grant.resources):
            own = PolicyDocument((_only(part, grant.action), *denies))
            for limit in limits:
                effective: PolicyDocument | Bounded = own
                label = _label(part)
                if limit is not None and isinstance(mine, Bounded):
                    bound = PolicyDocument((_only(limit, grant.action), *_denies(mine.boundary)))
                    effective = Bounded((own,), (bound,))
                    label = _narrower(part, limit, grant.action, catalog)
                plain = limit is None and not denies and not part[0].not_resource
                asked = _on_its_resources(effective, grant.action)
                if not plain and _within((), asked, catalog):
                    continue  # nothing of it is granted once Denies and the boundary apply
                key = (grant.action.lower(), label)
                needed = uses is not None and _within(tight, asked, catalog)
                if key in out:  # the same resources through another statement: needed if both are
                    needed = needed and out[key].needed
                out[key] = GrantedPair(grant.action, label, needed)
    return tuple(out[k] for k in sorted(out))


def _on_its_resources(effective: PolicyDocument | Bounded, action: str) -> Policies:
    """``effective`` less what lies outside every ARN format of ``action``: a Deny with NotResource
    ``arn:aws:s3:::a*`` leaves ``sqs:SendMessage`` nothing, since no queue's ARN starts so."""
    formats = arn_formats(action)
    if not formats:
        return effective
    outside = PolicyStatement(
        Effect.DENY, (action,), tuple(re.sub(r"\$\{[^}]*\}", "*", f) for f in formats), False, True
    )
    if isinstance(effective, Bounded):
        return Bounded((*effective.identity, PolicyDocument((outside,))), effective.boundary)
    return (effective, PolicyDocument((outside,)))


def _narrower(part: _Part, limit: _Part, action: str, catalog: ActionCatalog) -> str:
    """The pair's resource as people read it: the identity or the boundary pattern when one lies
    within the other, else both."""
    a = PolicyDocument((_only(part, action),))
    b = PolicyDocument((_only(limit, action),))
    if _within(b, a, catalog):
        return _label(part)
    if _within(a, b, catalog):
        return _label(limit)
    return f"{_label(part)} within the boundary's {_label(limit)}"
