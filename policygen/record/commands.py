"""The `record` and `verify` subcommands: the click layer over `policygen.record` (the only part of
this package that prints or exits; `policygen.cli` adds these commands to its group)."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import click

from policygen.errors import PolicygenError, UsageError
from policygen.record import observed
from policygen.record.run import record as run_record
from policygen.record.source import RecordedSource

EXIT_FAILED = 1
EXIT_ERRORS = 2


def observed_sources(path: Path | None) -> tuple[RecordedSource, ...]:
    """``generate --observed FILE``: the recording as an evidence source (none without the flag)."""
    if path is None:
        return ()
    return (RecordedSource(observed.read(path), str(path)),)


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


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--handler", help="The Lambda handler as MODULE.FUNCTION (as for generate).")
@click.option("--region", default="*", show_default=True, help="Region for resource ARNs (as for generate).")
@click.option(
    "--account", default="*", show_default=True, help="Account id for resource ARNs (as for generate)."
)
@click.option("--partition", default="aws", show_default=True, help="ARN partition.")
@click.option(
    "--env", "env_pairs", multiple=True, metavar="KEY=VALUE", help="A deployment environment variable."
)
@click.option(
    "--env-file", type=click.Path(path_type=Path, dir_okay=False), help="KEY=VALUE lines, as a .env file."
)
@click.option(
    "--policy",
    "policy_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Verify this policy (JSON, one document or a list) instead of the one policygen synthesizes for PATH.",
)
@click.option(
    "--observed-out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also keep the recorded calls in this file.",
)
@click.option(
    "--observe-only",
    is_flag=True,
    help="Do not enforce the policy during the run: let every call through and judge them after.",
)
@click.option(
    "--report",
    "report_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the report (each call of the function, both judges' verdicts) to this file.",
)
@click.argument("command", nargs=-1, type=click.UNPROCESSED, required=True)
def verify(
    path: Path,
    handler: str | None,
    region: str,
    account: str,
    partition: str,
    env_pairs: tuple[str, ...],
    env_file: Path | None,
    policy_file: Path | None,
    observed_out: Path | None,
    observe_only: bool,
    report_file: Path | None,
    command: tuple[str, ...],
) -> None:
    """Run COMMAND (after `--`) with the policy policygen synthesizes for PATH (or --policy FILE)
    enforced on the function's AWS calls: a call the policy denies fails, where it is made, with the
    AccessDenied error the service would answer. Test set-up calls are never enforced. Where the
    tests use moto, moto's own IAM check judges each call too. Exit 0: the policy held; 1: a call
    was denied (or the command failed); 2: errors."""
    from policygen.cli import parse_env_pairs, read_env_file, write_atomic
    from policygen.options import Options
    from policygen.pipeline import generate
    from policygen.policy.document import parse_policy, parse_policy_text
    from policygen.record.enforce import VerifySession
    from policygen.record.report import call_reports, render
    from policygen.record.verify import Judged, Status, judge
    from policygen.regions import check_target
    from policygen.render.json_policy import policy_document

    try:
        target = check_target(partition, region, account)
        if policy_file is not None:
            try:
                text = policy_file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise UsageError(
                    f"--policy {policy_file}: cannot read it ({exc.__class__.__name__})"
                ) from None
            documents = parse_policy_text(text, str(policy_file))
            source = str(policy_file)
        else:
            environment = read_env_file(env_file) if env_file else {}
            environment.update(parse_env_pairs(env_pairs))
            result = generate(path, Options(target=target, handler=handler, environment=environment))
            documents = (parse_policy(policy_document(result.policy), "the synthesized policy"),)
            source = "the synthesized policy"
        session = VerifySession(documents, target, path.resolve().name, enforce=not observe_only)
        recording = run_record(command, (path,), session=session)
        if observed_out is not None:
            write_atomic(observed_out, observed.to_json(recording))
        verdict = judge(recording, documents, target)
        reports = call_reports(recording, documents, target, session)
        if report_file is not None:
            write_atomic(report_file, render(reports, source, not observe_only, verdict.setup_calls))
    except PolicygenError as exc:
        click.echo(f"policygen: error: {exc}", err=True)
        sys.exit(EXIT_ERRORS)
    for check in verdict.denials:
        call = check.call
        stopped = (
            "\n    enforced: the call failed with AccessDenied where it was made"
            if session.was_stopped(call)
            else ""
        )
        click.echo(
            f"policygen: DENIED {check.action} on {check.resource}\n"
            f"    test: {call.test or '(not run by pytest)'}\n"
            f"    call: {call.label} at {call.site}\n"
            f"    missing from {source}: {check.action} on {check.resource}{stopped}",
            err=True,
        )
    for report in reports:
        if report.judged is Judged.DISAGREE:
            click.echo(
                f"policygen: WARNING: policygen's evaluator and moto DISAGREE on {report.call.label} "
                f"at {report.call.site}:\n    "
                + "\n    ".join(
                    [f"policygen: {c.action} on {c.resource}: {c.status.value}" for c in report.checks]
                    + list(report.notes)
                ),
                err=True,
            )
    for call, reason in sorted(session.unenforced.items()):
        click.echo(f"policygen: warning: not enforced: {call.label} at {call.site}: {reason}", err=True)
    for check in verdict.checks:
        if check.status is Status.CONDITIONAL:
            click.echo(
                f"policygen: {check.action} on {check.resource} ({check.call.label} at {check.call.site}): "
                f"{check.status.value}",
                err=True,
            )
    for skipped in verdict.not_judged:
        click.echo(
            f"policygen: not judged: {skipped.call.label} at {skipped.call.site}: {skipped.reason}", err=True
        )
    judged = len({c.call for c in verdict.checks})
    click.echo(
        f"policygen: {judged} distinct call(s) of the function judged on {len(verdict.checks)} permission(s): "
        f"{len(verdict.denials)} denied; {len(verdict.not_judged)} not judged; "
        f"{verdict.setup_calls} test set-up call(s) not enforced",
        err=True,
    )
    tally = Counter(r.judged for r in reports)
    click.echo(
        "policygen: judged by: "
        + "; ".join(f"{judged.value}: {tally.get(judged, 0)}" for judged in Judged)
        + ("" if not observe_only else " (observe only: nothing was enforced during the run)"),
        err=True,
    )
    code = 0
    if not verdict.held:
        click.echo(
            f"policygen: the policy did not hold: {len(verdict.denials)} permission(s) missing", err=True
        )
        code |= EXIT_FAILED
    else:
        click.echo("policygen: the policy held for every call the function made", err=True)
    if recording.exit_code != 0:
        click.echo(
            f"policygen: the command exited with {recording.exit_code}: the verdict covers the calls it made",
            err=True,
        )
        code |= EXIT_FAILED
    if not recording.function_calls:
        click.echo(
            f"policygen: warning: the command made no call from {path}; nothing was verified", err=True
        )
        code |= EXIT_FAILED
    if code:
        sys.exit(code)
