"""Where the current policy comes from, and the diff of each function against it.

The current policy of a function is a policy JSON file given by the user (one document, or a list
of documents), or else the role its deployment declares: the statements the template, serverless
service or Terraform project gives it, and the AWS managed policies attached to it (expanded from
the shipped snapshot; one not in the snapshot is reported as unknown, never assumed empty).
A permissions boundary limits the role: the diff is of identity policies ∩ boundary. A policy
policygen cannot read (an AWS managed policy not in its snapshot, a document from a data source,
a boundary) is named in `Current.unreadable` with its kind, and the comparison is incomplete
(never assumed to allow nothing, or everything, silently).
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from pathlib import Path

from policygen.errors import PolicyError
from policygen.model import DeclaredPolicy, FunctionSpec, Permission, Result
from policygen.policy import managed
from policygen.policy.diff import Diff, diff
from policygen.policy.document import (
    PolicyDocument,
    from_generated,
    load_json,
    parse_policy,
    parse_policy_text,
    to_json,
)
from policygen.policy.evaluate import (
    ActionCatalog,
    Bounded,
    Containment,
    Policies,
    grants_at_least_per_condition,
    unknown_actions,
)
from policygen.policy.patterns import VariableView, generated_names, matches, resource_pattern


class UnreadableKind(enum.Enum):
    """What kind of policy of the role could not be read (the JSON reports' ``kind``)."""

    MANAGED_POLICY = "managed-policy"  # attached by ARN or name; not in policygen's AWS snapshot
    DEPLOYMENT_POLICY = "deployment-policy"  # a document or ARN the deployment files don't spell out
    PERMISSIONS_BOUNDARY = "permissions-boundary"  # the role's boundary: not applied


@dataclass(frozen=True)
class Unreadable:
    """A policy of the role policygen could not read: its kind and what it is and why, as said."""

    kind: UnreadableKind
    what: str
    where: str = ""  # file:line of the declaration that can't be read, when the reader gives it

    def __str__(self) -> str:
        return self.what


@dataclass(frozen=True)
class Current:
    """A function's current policy: its documents, where they were read, and what is unknown."""

    documents: tuple[PolicyDocument, ...]
    sources: tuple[str, ...]
    # What could not be read (a managed policy not in the snapshot, a policy from a data source or
    # an unset variable, a boundary): each names what and why; any at all: the diff is partial.
    unreadable: tuple[Unreadable, ...] = ()
    boundary: tuple[PolicyDocument, ...] | None = None  # the permissions boundary, when applied
    boundary_source: str | None = None
    # The declared role's template generates these names' ends: compared within one segment
    # (`policygen.policy.patterns.generated_names`).
    generated_names: tuple[str, ...] = ()

    @property
    def policies(self) -> Policies:
        """What the evaluator compares: the documents, under the boundary when there is one."""
        if self.boundary is None:
            return self.documents
        return Bounded(self.documents, self.boundary)


@dataclass(frozen=True)
class FunctionDiff:
    name: str
    current: Current
    diff: Diff


def read_policy_file(path: Path) -> Current:
    """A policy JSON file; an unreadable file, invalid JSON, a malformed policy or an action the
    IAM data doesn't know is a `PolicyError` naming the file and position."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(str(path), f"cannot read the current policy: {exc}") from exc
    documents = parse_policy_text(text, str(path))
    for document in documents:
        _known_actions(document, str(path))
    return Current(documents, (str(path),))


def read_boundary_file(path: Path) -> tuple[PolicyDocument, ...]:
    """A permissions boundary from a policy JSON file: one document (a boundary is one managed
    policy); errors as `read_policy_file`'s, naming the file and position."""
    documents = read_policy_file(path).documents
    if len(documents) != 1:
        raise PolicyError(
            str(path),
            f"a list of {len(documents)} policy documents; a permissions boundary is one managed policy: "
            "give its document alone",
            1,
            1,
        )
    return documents


def with_boundary(current: Current, boundary: tuple[PolicyDocument, ...], path: Path) -> Current:
    """``current`` under the permissions boundary read from ``path``, in place of the boundary its
    role declares (read or not: an unreadable one is no longer missing from the comparison)."""
    where = f"permissions boundary {path}"
    sources = tuple(s for s in current.sources if s != current.boundary_source)
    unreadable = tuple(u for u in current.unreadable if u.kind is not UnreadableKind.PERMISSIONS_BOUNDARY)
    return Current(current.documents, (*sources, where), unreadable, boundary, where)


def _known_actions(document: PolicyDocument, path: str, where: str = "") -> None:
    """A `PolicyError` at the first action pattern of ``document`` the IAM data doesn't know."""
    for pattern, statement in unknown_actions(document):
        origin = statement.origin
        raise PolicyError(
            path,
            f"{where}Statement[{origin.index if origin else '?'}]: action {pattern!r} matches no action the IAM "
            "data knows (a typo, or an action newer than policygen's data): correct it or remove it",
            origin.line if origin else 0,
        )


def declared(spec: FunctionSpec) -> Current | None:
    """The role the deployment declares for ``spec``, None when it declares none. A policy on
    it that IAM would reject is a `PolicyError` naming the file and line."""
    if spec.policy_errors:
        raise PolicyError(
            spec.source, "the role's policy cannot be read: " + "; ".join(spec.policy_errors) + ": correct it"
        )
    documents: list[PolicyDocument] = []
    sources: list[str] = []
    unknown = [Unreadable(UnreadableKind.DEPLOYMENT_POLICY, u) for u in spec.unknown_policies]
    if spec.deployed is not None:
        documents.append(spec.deployed)
        sources.append(spec.deployed.source or spec.source)
    for reference in spec.managed_policies:
        found = managed.lookup(reference)
        if isinstance(found, managed.ManagedPolicy):
            documents.append(found.document)
            sources.append(found.arn or found.name)
        else:
            unknown.append(Unreadable(UnreadableKind.MANAGED_POLICY, str(found)))
    boundary, where = _boundary(spec.boundary, unknown)
    if not documents and not unknown and boundary is None:
        return None
    if where is not None:
        sources.append(where)
    return Current(tuple(documents), tuple(sources), tuple(unknown), boundary, where, spec.generated_names)


def _boundary(
    declared: DeclaredPolicy | None, unknown: list[Unreadable]
) -> tuple[tuple[PolicyDocument, ...] | None, str | None]:
    """The declared permissions boundary's document, or None with why in ``unknown``: a boundary
    policygen can't read is not applied and the comparison says it is incomplete (never taken as
    allowing nothing, or everything, silently)."""
    if declared is None:
        return None, None
    why = declared.unknown
    if declared.document is not None:
        return (declared.document,), f"permissions boundary {declared.reference}"
    if why is None:
        found = managed.lookup(declared.reference)
        if isinstance(found, managed.ManagedPolicy):
            return (found.document,), f"permissions boundary {found.arn or found.name}"
        why = str(found)
    unknown.append(
        Unreadable(
            UnreadableKind.PERMISSIONS_BOUNDARY,
            f"permissions boundary {declared.reference}{f' ({declared.where})' if declared.where else ''}: "
            f"{why}; not applied, so the comparison is incomplete: permissions it refuses are not reported missing",
            declared.where,
        )
    )
    return None, None


def diff_function(name: str, result: Result, current: Current) -> FunctionDiff:
    generated = from_generated(result.policy, f"policygen: {name}")
    with generated_names(current.generated_names):
        return FunctionDiff(name, current, diff(current.policies, result.permissions, generated))


def merge(currents: list[Current]) -> Current:
    """Several policy files (and at most one role) together: the union IAM evaluates for one
    role, under that role's boundary."""
    bounded = [c for c in currents if c.boundary is not None]
    if len(bounded) > 1:
        raise PolicyError(
            ", ".join(c.boundary_source or "?" for c in bounded),
            "a role has one permissions boundary: give one role's policies at a time",
        )
    return Current(
        tuple(d for c in currents for d in c.documents),
        tuple(s for c in currents for s in c.sources),
        tuple(u for c in currents for u in c.unreadable),
        bounded[0].boundary if bounded else None,
        bounded[0].boundary_source if bounded else None,
        tuple(sorted({n for c in currents for n in c.generated_names})),
    )


# -- the CI gate: baseline and check --------------------------------------------------------------
BASELINE_SCHEMA = 1
BASELINE_FILE = "baseline.json"


class Exit(enum.IntFlag):
    """`policygen check`'s exit code: a bitmask, so one run can report several failures."""

    OK = 0
    MISSING = 1  # the code needs a permission the current (deployed) policy lacks
    INPUT_ERROR = 2  # bad input: unreadable or invalid files, a baseline from a newer policygen
    NEW_PRIVILEGE = 4  # the synthesized policy grants access the baseline didn't
    EXCESS = 8  # the current policy's excess is over --max-excess


def write_baseline(policies: dict[str, PolicyDocument], version: str) -> str:
    """The baseline file's text: each function's synthesized policy, sorted, versioned."""
    body = {
        "schema": BASELINE_SCHEMA,
        "policygen": version,
        "functions": {name: to_json(policies[name]) for name in sorted(policies)},
    }
    return json.dumps(body, indent=2, sort_keys=False) + "\n"


# Keys of a function in the JSON reports of diff and check (any schema), never of a policy.
_REPORT_KEYS = {"summary", "missing", "excess", "new_privilege", "baseline_checked"}


def read_baseline(folder: Path) -> dict[str, PolicyDocument]:
    """The committed baseline under ``folder``; a `PolicyError` naming the file when it is
    missing, not JSON, malformed, or written by a newer policygen (its schema is newer)."""
    path = folder / BASELINE_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(
            str(path),
            f"cannot read the baseline ({exc}): create it with `policygen baseline update PATH --out {folder}`",
        ) from exc
    raw = load_json(text, str(path))
    if (
        not isinstance(raw, dict)
        or not isinstance(raw.get("schema"), int)
        or not isinstance(raw.get("functions"), dict)
    ):
        raise PolicyError(str(path), 'not a policygen baseline (expected {"schema": N, "functions": {...}})')
    if any(isinstance(f, dict) and _REPORT_KEYS & set(f) for f in raw["functions"].values()):
        raise PolicyError(
            str(path),
            "this is a report of `policygen diff` or `check` (--format json), not a baseline: write the "
            f"baseline with `policygen baseline update PATH --out {folder}`",
        )
    if raw["schema"] > BASELINE_SCHEMA:
        raise PolicyError(
            str(path),
            f"baseline schema {raw['schema']} was written by a newer policygen ({raw.get('policygen', '?')}); "
            f"this one reads schema {BASELINE_SCHEMA}: upgrade policygen",
        )
    if raw["schema"] < 1:
        raise PolicyError(str(path), f"baseline schema {raw['schema']} is not one policygen wrote")
    out = {}
    for name, document in sorted(raw["functions"].items()):
        out[name] = parse_policy(document, str(path), text)
        _known_actions(out[name], str(path), f"functions.{name} ")
    return out


def new_privilege(
    baseline: PolicyDocument | None, synthesized: PolicyDocument, catalog: ActionCatalog | None = None
) -> Containment:
    """Does ``synthesized`` allow an (action, resource) the approved ``baseline`` doesn't, under
    some conditions? A condition removed or loosened is new privilege unless the synthesized
    conditions are provably at least as strict (the same, or more of them): see
    `grants_at_least_per_condition`. No baseline: anything granted is new."""
    return grants_at_least_per_condition(baseline or PolicyDocument(()), synthesized, catalog)


@dataclass(frozen=True)
class Verdict:
    name: str
    new: Containment | None  # None: no baseline asked for
    diff: FunctionDiff | None  # None: no current policy
    excess_over: bool
    # The needed permissions behind the new privilege: its action, on resources covering the
    # example (their patterns and evidence say what to review); empty when no baseline or none new.
    new_needs: tuple[Permission, ...] = ()

    @property
    def exit(self) -> Exit:
        code = Exit.OK
        if self.new is not None and not self.new:
            code |= Exit.NEW_PRIVILEGE
        if self.diff is not None and self.diff.diff.missing:
            code |= Exit.MISSING
        if self.excess_over:
            code |= Exit.EXCESS
        return code


def verdict(
    name: str,
    result: Result,
    baseline: dict[str, PolicyDocument] | None,
    current: Current | None,
    max_excess: int | None,
) -> Verdict:
    generated = from_generated(result.policy, f"policygen: {name}")
    new = new_privilege(baseline.get(name), generated) if baseline is not None else None
    compared = diff_function(name, result, current) if current is not None else None
    over = (
        max_excess is not None
        and compared is not None
        and len({e.action.lower() for e in compared.diff.excess}) > max_excess
    )
    needs: tuple[Permission, ...] = ()
    if new is not None and not new and new.action and new.resource is not None:
        needs = tuple(p for p in result.permissions if _covers(p, new.action, new.resource))
    return Verdict(name, new, compared, over, needs)


def _covers(permission: Permission, action: str, resource: str) -> bool:
    return permission.action.lower() == action.lower() and matches(
        resource_pattern(permission.resource), resource, VariableView.WIDE
    )
