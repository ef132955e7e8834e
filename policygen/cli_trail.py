"""``policygen trail``: a role's access history from CloudTrail alone, without source code."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from policygen.errors import UsageError
from policygen.model import Permission
from policygen.render.json_policy import policy_document
from policygen.synthesize import synthesize
from policygen.trail import (
    Aggregate,
    Principal,
    TrailPermissions,
    Window,
    open_trail,
    parse_bound,
    permissions,
)

EXIT_ERRORS = 2


def window_of(since: str | None, until: str | None, regions: tuple[str, ...], now: datetime) -> Window:
    try:
        low = parse_bound(since, now) if since else None
        high = parse_bound(until, now) if until else None
    except ValueError as exc:
        raise UsageError(f"--since/--until: {exc}") from None
    if low and high and low > high:
        raise UsageError(f"--since {since} is after --until {until}")
    return Window(low, high, frozenset(regions))


class Progress:
    """A progress line on stderr while a trail is read: files, records, the role's calls, elapsed
    time; redrawn at most every half second, on a terminal only (``enabled``)."""

    def __init__(self, files: int = 0, *, enabled: bool, every: float = 0.5) -> None:
        self.files, self.enabled, self.every = files, enabled, every
        self.started = self.shown = time.monotonic()
        self.drawn = False

    def __call__(self, total: Aggregate) -> None:
        now = time.monotonic()
        planned = max(self.files, total.files_planned)  # a remote source finds its files as it goes
        if not self.enabled or (now - self.shown < self.every and total.files < planned):
            return
        self.shown, self.drawn = now, True
        click.echo(f"\r\x1b[K{self.line(total, now - self.started)}", err=True, nl=False)
        if total.files >= planned:
            self.done()

    def line(self, total: Aggregate, elapsed: float) -> str:
        records = total.records + total.records_skipped
        return (
            f"policygen: trail files {total.files}/{max(self.files, total.files_planned)}, events {records:,}, "
            f"matched {total.matched:,}, {elapsed:.0f}s"
        )

    def done(self) -> None:
        if self.drawn:
            click.echo("", err=True)
            self.drawn = False


def report_document(aggregate: Aggregate, found: TrailPermissions) -> dict[str, Any]:
    granted = [Permission(o.action, o.resource) for o in found.observed if not o.denied]
    return {
        "policy": policy_document(synthesize(granted)),
        "observed": [
            {
                "action": o.action, "resource": o.resource, "event": o.event, "count": o.count,
                "first_seen": o.first, "last_seen": o.last, "example_event_id": o.example,
            }
            for o in found.observed if not o.denied
        ],
        "missing": [
            {
                "action": o.action, "resource": o.resource, "event": o.event, "count": o.count,
                "last_seen": o.last, "example_event_id": o.example,
            }
            for o in found.missing
        ],
        "widened": [{"action": w.action, "resource": w.resource, "reason": w.reason} for w in found.widenings],
        "not_mapped": [
            {"event": n.event, "reason": n.reason, "count": n.count, "example_event_id": n.example}
            for n in found.not_mapped
        ],
        "identities": [{"arn": arn, "calls": count} for arn, count in sorted(aggregate.identities.items())],
        "counts": {
            "files": aggregate.files,
            "files_skipped_by_layout": aggregate.files_skipped_by_layout,
            "files_without_the_role": aggregate.files_without_principal,
            "records": aggregate.records + aggregate.records_skipped,
            "records_parsed": aggregate.records,
            "records_without_the_role": aggregate.records_skipped,  # by a byte search, unparsed
            "calls_of_the_role": aggregate.matched,
            "outside_window": aggregate.outside_window,
            "other_principals": aggregate.other_principals,
            "not_api_calls": aggregate.not_api_calls,
            "console_sign_ins": aggregate.console_sign_ins,
            "records_without_identity": aggregate.no_identity,
            "errors": len(aggregate.errors),
        },
        "errors": [str(e) for e in aggregate.errors],
        "notes": list(aggregate.notes),
    }  # fmt: skip


def report_text(doc: dict[str, Any]) -> str:
    lines = [json.dumps(doc["policy"], indent=2), ""]
    lines.append(f"# observed ({len(doc['observed'])})")
    lines += [
        f"{o['action']} {o['resource']}  x{o['count']} {o['first_seen']}..{o['last_seen']} (e.g. {o['example_event_id']})"
        for o in doc["observed"]
    ]
    if doc["missing"]:
        lines.append(f"# denied: missing permissions, proposed ({len(doc['missing'])})")
        lines += [
            f"{m['action']} {m['resource']}  x{m['count']} last {m['last_seen']} (e.g. {m['example_event_id']})"
            for m in doc["missing"]
        ]
    if doc["widened"]:
        lines.append(f"# widened ({len(doc['widened'])})")
        lines += [f"{w['action']} {w['resource']}: {w['reason']}" for w in doc["widened"]]
    if doc["not_mapped"]:
        lines.append(f"# not mapped ({len(doc['not_mapped'])})")
        lines += [
            f"{n['event']} x{n['count']}: {n['reason']} (e.g. {n['example_event_id']})"
            for n in doc["not_mapped"]
        ]
    if doc["identities"]:
        lines.append("# whose calls (role and session)")
        lines += [f"{i['arn']} x{i['calls']}" for i in doc["identities"]]
    if doc["notes"]:
        lines.append("# notes")
        lines += doc["notes"]
    lines.append("# counts")
    lines += [f"{k}: {v}" for k, v in doc["counts"].items()]
    return "\n".join(lines) + "\n"


@click.command("trail")
@click.option(
    "--cloudtrail",
    "source",
    required=True,
    metavar="SOURCE",
    help="CloudTrail logs: a folder or file, s3://bucket/prefix/, 'athena://TABLE?database=DB[&workgroup=WG]', "
    "or lookup-events (management events of the last 90 days: an earlier --since is cut to them, with a warning).",
)
@click.option("--role", help="The execution role's ARN (paths included).")
@click.option("--session", "session_name", help="The role session name (Lambda names it after the function).")
@click.option("--since", help="Start of the window: a duration before now (90d, 12h) or a date.")
@click.option("--until", help="End of the window: a duration before now or a date.")
@click.option(
    "--trail-region", "trail_regions", multiple=True, help="Read only these regions' trail folders."
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write here instead of stdout.")
@click.option("--jobs", type=click.IntRange(1, 64), help="Worker processes (default: CPU count).")
@click.option("--quiet", is_flag=True, help="No progress line on stderr (it is shown on a terminal only).")
def trail(
    source: str,
    role: str | None,
    session_name: str | None,
    since: str | None,
    until: str | None,
    trail_regions: tuple[str, ...],
    fmt: str,
    output: Path | None,
    jobs: int | None,
    quiet: bool,
) -> None:
    """The permissions a role used, as CloudTrail recorded them (no source code)."""
    from policygen.cli import _emit

    try:
        if not role and not session_name:
            raise UsageError("give --role ARN (and/or --session NAME): whose calls to read")
        if (role and not role.startswith("arn:")) or (role and ":role/" not in role):
            raise UsageError(f"--role {role}: expected a role ARN (arn:aws:iam::123456789012:role/name)")
        window = window_of(since, until, trail_regions, datetime.now(UTC))
        reader = open_trail(source, jobs=jobs, regions=trail_regions)
        progress = Progress(enabled=not quiet and sys.stderr.isatty())
        aggregate = reader.read(Principal(role, session_name), window, progress)
        progress.done()
        doc = report_document(aggregate, permissions(aggregate))
        text = json.dumps(doc, indent=2, sort_keys=False) + "\n" if fmt == "json" else report_text(doc)
        _emit(text, output)
    except UsageError as exc:
        click.echo(f"policygen: error: {exc}", err=True)
        sys.exit(EXIT_ERRORS)
    for note in aggregate.notes:  # what the source could not read: said, the exit code unchanged
        click.echo(f"policygen: warning: {note}", err=True)
    for error in aggregate.errors:
        click.echo(f"policygen: error: {error} (the rest was read)", err=True)
    if not (aggregate.files or aggregate.records or aggregate.errors):
        click.echo(f"policygen: warning: no CloudTrail file under {source} in the window", err=True)
    if aggregate.errors:
        sys.exit(EXIT_ERRORS)
