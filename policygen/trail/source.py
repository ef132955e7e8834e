"""Where a trail is read from, behind one door: ``open_trail(spec)`` gives a `Trail` whose
``read(principal, window)`` is the one `Aggregate`, whatever the source; what follows the
aggregate (events -> permissions, evidence, the policy) never asks where it came from.

    a folder or file            LocalTrail    files_in -> scan (worker processes)
    s3://bucket/prefix/         S3Trail       date prefixes in the window -> objects, threads
    athena://table?database=..  AthenaTrail   one aggregating query, run server-side
    lookup-events               LookupTrail   CloudTrail's LookupEvents API (management events)

A source that fails in part (a prefix without access, a corrupt object, a failed query) records
the failure in ``Aggregate.errors`` with its URI and reads the rest; only a spec that names no
source at all is a `UsageError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from policygen.errors import UsageError
from policygen.trail.aggregate import Aggregate, Principal, scan_many
from policygen.trail.read import Window, files_in

Progress = Callable[[Aggregate], None]
NO_CREDENTIALS = "no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID...), or run where a role is"


class Trail(Protocol):
    """A source of CloudTrail records (or of their aggregate)."""

    @property
    def where(self) -> str:
        """The source as the user named it (a path, an s3:// or athena:// URI): errors and
        evidence locations are given relative to it."""
        ...

    def read(
        self, principal: Principal, window: Window, progress: Progress | None = None, census: bool = False
    ) -> Aggregate:
        """The aggregate of ``principal``'s calls in ``window``; failures in ``errors``. With
        ``census``, also the data events per event source of every principal
        (`Aggregate.data_sources`), where the source can tell."""
        ...

    def read_many(
        self, principals: Sequence[Principal], window: Window, progress: Progress | None = None, census: bool = False
    ) -> dict[Principal, Aggregate]:
        """`read` for each of ``principals`` (a project's functions), the source read once: each
        aggregate is the one `read` gives for its principal."""
        ...


class ReadsOnce:
    """`Trail.read` as `Trail.read_many` of one principal: the one way each source reads."""

    def read_many(
        self, principals: Sequence[Principal], window: Window, progress: Progress | None, census: bool
    ) -> dict[Principal, Aggregate]:
        raise NotImplementedError

    def read(
        self, principal: Principal, window: Window, progress: Progress | None = None, census: bool = False
    ) -> Aggregate:
        return self.read_many((principal,), window, progress, census)[principal]


@dataclass(frozen=True)
class LocalTrail(ReadsOnce):
    """A folder (read recursively) or one file of CloudTrail logs on this machine."""

    root: Path
    jobs: int | None = None

    @property
    def where(self) -> str:
        return str(self.root)

    def read_many(
        self, principals: Sequence[Principal], window: Window, progress: Progress | None = None, census: bool = False
    ) -> dict[Principal, Aggregate]:
        paths, skipped = files_in(self.root, window)
        who = list(dict.fromkeys(principals))

        def counted(total: Aggregate) -> None:
            total.files_planned = len(paths)
            if progress is not None:
                progress(total)

        totals = scan_many(paths, who, window, jobs=self.jobs, progress=counted, census=census)
        for aggregate in totals:
            aggregate.files_planned = len(paths)
            aggregate.files_skipped_by_layout = skipped
        return dict(zip(who, totals, strict=True))


_S3 = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:/(?P<prefix>.*))?$")


def open_trail(
    spec: str,
    *,
    jobs: int | None = None,
    regions: tuple[str, ...] = (),
    api_region: str | None = None,
) -> Trail:
    """The trail ``spec`` names: ``s3://bucket/prefix/``, ``athena://table?database=...``,
    ``lookup-events``, or a local folder or file. ``lookup-events`` asks the API of each of
    ``regions`` (the trail regions asked for), else of ``api_region``, else of the environment's
    default region."""
    if spec == "lookup-events":
        from policygen.trail.lookup import LookupTrail

        chosen = regions or ((api_region,) if api_region else ()) or _default_region()
        if not chosen:
            raise UsageError(
                "--cloudtrail lookup-events: which region's events? give --trail-region REGION "
                "(repeatable), or set AWS_REGION"
            )
        return LookupTrail(chosen)
    if spec.startswith("athena://"):
        from policygen.trail.athena import AthenaTrail, parse_spec

        return AthenaTrail(parse_spec(spec))
    if spec.startswith("s3://"):
        match = _S3.match(spec)
        if match is None:
            raise UsageError(
                f"--cloudtrail {spec}: not an S3 URI of a bucket (s3://bucket/AWSLogs/... ; "
                "bucket names are 3-63 lower-case letters, digits, dots and hyphens)"
            )
        from policygen.trail.s3 import S3Trail

        return S3Trail(match["bucket"], match["prefix"] or "")
    root = Path(spec)
    if not root.exists():
        raise UsageError(
            f"--cloudtrail {spec}: no such file or folder "
            "(or give s3://bucket/prefix/, athena://table?database=db, lookup-events)"
        )
    return LocalTrail(root, jobs)


def _default_region() -> tuple[str, ...]:
    import boto3

    region = boto3.session.Session().region_name
    return (region,) if region else ()
