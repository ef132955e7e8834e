"""Where the current policy comes from, and the diff of each function against it.

The current policy of a function is a policy JSON file given by the user (one document, or a list
of documents), or else the role its deployment declares: the statements the template, serverless
service or Terraform project gives it, and the AWS managed policies attached to it (expanded from
the shipped snapshot; one not in the snapshot is reported as unknown, never assumed empty).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from policygen.errors import PolicyError
from policygen.model import FunctionSpec, Result
from policygen.policy import managed
from policygen.policy.diff import Diff, diff
from policygen.policy.document import PolicyDocument, from_generated, parse_policy_text
from policygen.policy.evaluate import unknown_actions


@dataclass(frozen=True)
class Current:
    """A function's current policy: its documents, where they were read, and what is unknown."""

    documents: tuple[PolicyDocument, ...]
    sources: tuple[str, ...]
    unknown: tuple[str, ...] = ()  # attached managed policies not in the snapshot: the diff is partial


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
        for pattern, statement in unknown_actions(document):
            origin = statement.origin
            raise PolicyError(
                str(path),
                f"Statement[{origin.index if origin else '?'}]: action {pattern!r} matches no action the IAM "
                "data knows (a typo, or an action newer than policygen's data): correct it or remove it",
                origin.line if origin else 0,
            )
    return Current(documents, (str(path),))


def declared(spec: FunctionSpec) -> Current | None:
    """The role the deployment declares for ``spec``, None when it declares none."""
    documents: list[PolicyDocument] = []
    sources: list[str] = []
    unknown: list[str] = []
    if spec.deployed is not None:
        documents.append(spec.deployed)
        sources.append(spec.deployed.source or spec.source)
    for reference in spec.managed_policies:
        found = managed.lookup(reference)
        if isinstance(found, managed.ManagedPolicy):
            documents.append(found.document)
            sources.append(found.arn or found.name)
        else:
            unknown.append(str(found))
    if not documents and not unknown:
        return None
    return Current(tuple(documents), tuple(sources), tuple(unknown))


def diff_function(name: str, result: Result, current: Current) -> FunctionDiff:
    generated = from_generated(result.policy, f"policygen: {name}")
    return FunctionDiff(name, current, diff(current.documents, result.permissions, generated))


def merge(currents: list[Current]) -> Current:
    """Several policy files together: the union IAM evaluates for one role."""
    return Current(
        tuple(d for c in currents for d in c.documents),
        tuple(s for c in currents for s in c.sources),
        tuple(u for c in currents for u in c.unknown),
    )
