"""The `record` and `verify` subcommands: the click layer over `policygen.record` (the only part of
this package that prints or exits; `policygen.cli` adds these commands to its group)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from policygen.errors import PolicygenError
from policygen.record import observed
from policygen.record.run import record as run_record

EXIT_FAILED = 1
EXIT_ERRORS = 2


@click.command(context_settings={"ignore_unknown_options": True})
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path(".policygen/observed.json"),
    show_default=True,
    help="Where to write the recorded calls (its folder is created).",
)
@click.option(
    "--package",
    "packages",
    multiple=True,
    type=click.Path(path_type=Path),
    help="The analysed code folder (repeatable; default: the current directory). Calls with a frame "
    "there (test files excluded) are the function's; the others are test set-up.",
)
@click.argument("command", nargs=-1, type=click.UNPROCESSED, required=True)
def record(out: Path, packages: tuple[Path, ...], command: tuple[str, ...]) -> None:
    """Run COMMAND (after `--`) and record every AWS API call its Python processes make through
    botocore: service, operation, the parameters naming resources, and the call site."""
    from policygen.cli import write_atomic

    try:
        recording = run_record(command, packages or (Path("."),))
        out.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(out, observed.to_json(recording))
    except PolicygenError as exc:
        click.echo(f"policygen: error: {exc}", err=True)
        sys.exit(EXIT_ERRORS)
    own = recording.function_calls
    click.echo(
        f"policygen: recorded {sum(c.count for c in recording.calls)} call(s) "
        f"({sum(c.count for c in own)} by the function, "
        f"{sum(c.count for c in recording.calls) - sum(c.count for c in own)} by test set-up) into {out}",
        err=True,
    )
    if not recording.calls:
        click.echo(
            "policygen: warning: no call was recorded: does the command run Python with botocore, "
            "without -S/-E/-I (which skip the start-up hook)?",
            err=True,
        )
    if recording.exit_code != 0:
        click.echo(f"policygen: the command exited with {recording.exit_code}", err=True)
        sys.exit(EXIT_FAILED)
