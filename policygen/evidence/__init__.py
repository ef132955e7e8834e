"""Evidence stage: the sources that say which permissions a function needs, behind one protocol.

    discover -> extract -> resolve -> map -> EVIDENCE (code, deployment, cloudtrail, recorded) -> synthesize

Each source turns its own input into `Findings` for one function; the pipeline runs the sources
in order, merges their findings and hands the permissions to `policygen.synthesize`. Synthesis,
rendering, the diff and the gate never ask which source found a permission except to show it
(`Evidence.kind` and `Evidence.location`).

The contract of an evidence source
----------------------------------
A source is any object with a ``kind`` (`EvidenceKind`) and a ``collect(subject) -> Findings``
method (`EvidenceSource`). It is built with its own input (a code folder for `code`, CloudTrail
files and a time window for `cloudtrail`, a recording for `recorded`) and is then asked about one
function at a time:

- it GETS a `Subject`: the function being analysed: its name, code (a folder or a `CodeBundle`),
  handler, environment, the `Target` (partition, region, account), the KMS keys its resources
  are encrypted with, what triggers it and, for a function a deployment file declares, the
  `FunctionSpec` (role, configuration, declared policy). Use only what you need; never read the deployment
  files again.
- it RETURNS `Findings`:
  - ``permissions``: one `Permission(action, resource, conditions, evidence)` per need, each with
    at least one `Evidence(kind, location, detail)` whose kind is the source's kind and whose
    `Location` is a value: a source position (path, line, column), a template position (path,
    line) or an event (``Location.event(path, event_id, time)``); never a string to parse back;
  - ``widenings``: every grant wider than the exact need (a ``*`` or a wildcard in an ARN), with
    where and why: nothing is widened silently;
  - ``unresolved``: what the source saw but could not pin down (an event it cannot map to an
    action, a call whose service is unknown), with its location; never dropped;
  - ``errors``: inputs it could not read at all (`FileError(path, line, message)`), while it still
    read the rest: one bad file never stops a run.
- it RAISES a `policygen.errors.PolicygenError` subclass (with the file, the line and what to do)
  only when it can read nothing of its input; it never prints and never exits.
- it is deterministic: the same input gives the same findings whatever the order of files or
  ``PYTHONHASHSEED`` (the pipeline sorts and merges, but a source must not drop or add items by
  chance).

Sources in this package: `code` (the static analysis of the function's Python) and `deployment`
(what the Lambda service does with the role: logs, X-Ray, VPC, event-source pollers, destinations,
the environment's key). CloudTrail and recorded calls plug in the same way: a source object given
to the pipeline in `Options.sources`. A source whose input serves every function of a project
(a trail) may also be `ReadsAhead`: the project tells it every function first, so it reads once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from policygen.model import (
    CodeBundle,
    EvidenceKind,
    FileError,
    FunctionSpec,
    Permission,
    Target,
    Text,
    Trigger,
    Unresolved,
    Widening,
)


@dataclass(frozen=True)
class Subject:
    """The function an evidence source is asked about."""

    name: (
        str  # as the deployment names it (logical id, function key, Terraform address); else the code folder
    )
    code: Path | CodeBundle
    handler: str | None  # "module.function", as Lambda's handler setting; None: the one handler found
    environment: Mapping[str, tuple[Text, ...]]  # each variable's possible values
    target: Target
    kms_keys: tuple[str, ...] = ()  # customer-managed keys its resources are encrypted with
    triggers: tuple[Trigger, ...] = ()  # what invokes it: the names its event carries
    deployment: FunctionSpec | None = None  # what the deployment file declares; None: a bare code folder


@dataclass(frozen=True)
class Findings:
    """What one evidence source found for one function."""

    permissions: tuple[Permission, ...] = ()
    widenings: tuple[Widening, ...] = ()
    unresolved: tuple[Unresolved, ...] = ()
    errors: tuple[FileError, ...] = ()

    @staticmethod
    def merge(findings: Iterable[Findings]) -> Findings:
        """All findings one after another (the pipeline merges permissions and sorts)."""
        chosen = tuple(findings)
        return Findings(
            tuple(p for f in chosen for p in f.permissions),
            tuple(w for f in chosen for w in f.widenings),
            tuple(u for f in chosen for u in f.unresolved),
            tuple(e for f in chosen for e in f.errors),
        )


class EvidenceSource(Protocol):
    """One source of evidence; see the module docstring for the contract."""

    @property
    def kind(self) -> EvidenceKind: ...

    def collect(self, subject: Subject) -> Findings: ...


@runtime_checkable
class ReadsAhead(Protocol):
    """A source whose input is one for all the functions of a project (a trail): told them all
    before the first `collect`, it reads that input once rather than once per function."""

    def read_ahead(self, subjects: Sequence[Subject]) -> None: ...


def texts(environment: Mapping[str, str | tuple[Text, ...]]) -> dict[str, tuple[Text, ...]]:
    """An environment as a `Subject` holds it: every value a tuple of possible `Text`s."""
    return {k: (Text.of(v),) if isinstance(v, str) else v for k, v in environment.items()}
