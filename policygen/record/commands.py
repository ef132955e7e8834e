"""The `record` and `verify` subcommands: the click layer over `policygen.record` (the only part of
this package that prints or exits; `policygen.cli` adds these commands to its group)."""

from __future__ import annotations

import functools
import shlex
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import click

from policygen.errors import PolicygenError, UsageError
from policygen.model import RecordedMatch, Result, Target
from policygen.options import Options
from policygen.record import observed
from policygen.record.observed import FUNCTION, RecordedCall, Recording
from policygen.record.project import Entry, FunctionCode, attributed, entries_of, functions, stack_entries
from policygen.record.run import record as run_record
from policygen.record.source import RecordedSource

EXIT_FAILED = 1
EXIT_ERRORS = 2


def observed_sources(path: Path | None, project: Path | None = None) -> tuple[RecordedSource, ...]:
    """``generate --observed FILE``: the recording as an evidence source (none without the flag).
    ``project``: the folder analysed, whose functions' handlers tell apart functions sharing code."""
    if path is None:
        return ()
    found = functions(project) if project is not None else None
    return (RecordedSource(observed.read(path), str(path), entries=entries_of(found or ())),)


class _CommandAfterDashes(click.Command):
    """Everything after ``--`` is the command to run, whatever it looks like; before it, the
    options and an optional PATH. Without ``--`` every argument is the command, as before."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--" in args:
            at = args.index("--")
            ctx.meta["policygen.command"] = tuple(args[at + 1 :])
            args = args[:at]
        return super().parse_args(ctx, args)


def _split(ctx: click.Context, arguments: tuple[str, ...]) -> tuple[Path | None, tuple[str, ...]]:
    """(PATH, COMMAND): PATH only when the command came after ``--``."""
    command = ctx.meta.get("policygen.command")
    if command is None:
        command, arguments = arguments, ()
    if not command:
        raise UsageError("no command to run: give it after `--`, e.g. `policygen record --out FILE -- pytest`")
    if len(arguments) > 1:
        raise UsageError(f"one PATH before `--`, got {len(arguments)}: {' '.join(arguments)}")
    return (Path(arguments[0]) if arguments else None), tuple(command)


@click.command(cls=_CommandAfterDashes, context_settings={"ignore_unknown_options": True})
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
@click.option(
    "--function",
    help="With a project PATH: record only this function's calls as the function's (default: every function's).",
)
@click.argument("arguments", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def record(
    ctx: click.Context, out: Path, packages: tuple[Path, ...], function: str | None, arguments: tuple[str, ...]
) -> None:
    """Run COMMAND (after `--`) and record every AWS API call its Python processes make through
    botocore: service, operation, the parameters naming resources, and the call site.

    `policygen record [PATH] [--function F] -- COMMAND`: PATH is the code folder (as --package), or
    a SAM/CloudFormation, Serverless or Terraform project whose functions' code folders are
    recorded (each call attributed to its function by folder, and by handler where they share one)."""
    from policygen.cli import write_atomic

    found = None
    try:
        path, command = _split(ctx, arguments)
        roots = list(packages)
        if path is not None:
            found = functions(path, function)
            if found is not None:
                roots.extend(f.code for f in found)
            else:
                roots.append(path)
        elif function is not None:
            raise UsageError(f"--function {function}: give the project folder as PATH before `--`")
        recording = run_record(command, tuple(dict.fromkeys(roots)) or (Path("."),))
        out.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(out, observed.to_json(recording))
    except PolicygenError as exc:
        click.echo(f"policygen: error: {exc}", err=True)
        sys.exit(EXIT_ERRORS)
    for line in record_summary(recording, out, found, Path.cwd()):
        click.echo(line, err=True)
    if recording.exit_code != 0:
        click.echo(
            f"policygen: the command exited with {recording.exit_code}: the calls it made are recorded (exit 1)",
            err=True,
        )
        sys.exit(EXIT_FAILED)
    if recording.calls:
        where = path if path is not None else (packages[0] if len(packages) == 1 else Path("."))
        click.echo(f"policygen: next: policygen generate {where} --observed {out}", err=True)


LISTED = 20  # calls listed per function on the terminal; the file holds them all


def _run_lines(recording: Recording) -> list[str]:
    """What policygen did to the command, and why nothing may have been recorded."""
    lines = [f"policygen: note: {note}" for note in recording.notes]
    if recording.processes == 0:
        lines.append(
            "policygen: warning: no Python process started the recorder, so nothing was recorded. The "
            "recorder starts through PYTHONPATH (a sitecustomize): a Python started with -S, -E or -I by "
            "the command (policygen handles them only on the command itself) skips it, and a wrapper that "
            "drops the environment loses it: tox passes only the variables its pass_env names (add "
            "`pass_env = PYTHONPATH, POLICYGEN_*` to [testenv], or record the environment's interpreter "
            "directly: -- .tox/py/bin/python -m pytest)"
        )
    elif recording.botocore_processes == 0:
        lines.append(
            f"policygen: warning: {recording.processes} Python process(es) ran, none could import botocore: "
            "is the command's interpreter the one your tests' dependencies are installed in?"
        )
    elif not recording.calls:
        lines.append("policygen: warning: no AWS call was made through botocore during the run")
    return lines


def record_summary(
    recording: Recording, out: Path, found: tuple[FunctionCode, ...] | None, cwd: Path
) -> list[str]:
    """record's report: the run, the counts, and each function's calls with their call sites."""
    total = sum(c.count for c in recording.calls)
    own = sum(c.count for c in recording.function_calls)
    roots = ", ".join(f"{r}/" for r in recording.roots)
    lines = _run_lines(recording)
    lines.append(
        f"policygen: recorded {total} call(s) ({own} by the function, {total - own} by test set-up) into {out}"
    )
    if not recording.calls:
        return lines
    lines.append(
        f"    by the function: calls made with a frame of {roots} on the stack (test files excluded); "
        "by test set-up: the rest (fixtures, test bodies), never granted"
    )
    for title, calls in _by_function(recording, found, cwd):
        lines.append(f"policygen: {title}: {len(calls)} distinct call(s)")
        for call, shared in calls[:LISTED]:
            times = f" x{call.count}" if call.count > 1 else ""
            mark = " (no handler on its stack: counted for every function of the folder)" if shared else ""
            lines.append(f"    {described(call)} at {call.site}{times}{mark}")
        if len(calls) > LISTED:
            lines.append(f"    ... and {len(calls) - LISTED} more in {out}")
    return lines


def described(call: RecordedCall, width: int = 60) -> str:
    """``s3.put_object(Bucket=data, Key=in/a.json)``: the call and the resources it named."""
    shown = []
    for name, value in call.parameters:
        text = ",".join(value) if isinstance(value, tuple) else value
        shown.append(f"{name}={text if len(text) <= width else text[: width - 3] + '...'}")
    return f"{call.label}({', '.join(shown)})"


def _by_function(
    recording: Recording, found: tuple[FunctionCode, ...] | None, cwd: Path
) -> list[tuple[str, list[tuple[RecordedCall, bool]]]]:
    """The function's calls per function of the project (one group without a project), each with
    whether it is shared: made in a folder several functions share, under none of their handlers."""
    own = recording.function_calls
    if not found:
        return [("the function's calls", [(c, False) for c in own])] if own else []
    entries = entries_of(found)
    groups: list[tuple[str, list[tuple[RecordedCall, bool]]]] = []
    claimed: set[RecordedCall] = set()
    for fn in found:
        mine = [c for c in own if attributed(c, cwd, fn.code, fn.entry, entries)]
        claimed.update(mine)
        sharing = sum(1 for other in found if other.code == fn.code) > 1
        marked = [(c, sharing and not stack_entries(c, cwd, entries)) for c in mine]
        groups.append((f"{fn.name} ({_shown(fn.code)}/)", marked))
    rest = [(c, False) for c in own if c not in claimed]
    if rest:
        groups.append(("not attributed to a function of the project (code outside their folders)", rest))
    return groups


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--handler", help="The Lambda handler as MODULE.FUNCTION (as for generate).")
@click.option("--function", help="With a project PATH: the function to verify (required if it declares several).")
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
    function: str | None,
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
    from policygen.policy.document import parse_policy, parse_policy_text
    from policygen.record.enforce import VerifySession
    from policygen.record.report import call_reports, render, verdict_of
    from policygen.record.verify import Judged, Status, judge
    from policygen.regions import check_target
    from policygen.render.explain import recorded_match_lines
    from policygen.render.json_policy import policy_document

    try:
        target = check_target(partition, region, account)
        environment = read_env_file(env_file) if env_file else {}
        environment.update(parse_env_pairs(env_pairs))
        options = Options(target=target, handler=handler, environment=environment, function=function)
        every = functions(path)
        chosen = functions(path, function) if every is not None else None
        belongs = None
        code_dir, name = path, path.resolve().name
        if chosen is not None and every is not None:
            if len(chosen) != 1:
                names = ", ".join(f.name for f in chosen)
                raise UsageError(f"{path}: {len(chosen)} functions ({names}); choose one with --function NAME")
            code_dir, name, own, cwd = chosen[0].code, chosen[0].name, chosen[0].entry, Path.cwd()
            entries = entries_of(every)
            belongs = functools.partial(_belongs, cwd=cwd, code=code_dir, own=own, entries=entries)
            options = replace(options, function=name)
        elif function is not None:
            raise UsageError(f"--function {function}: {path} has no SAM/CloudFormation template, serverless.yml or Terraform files")
        result = None
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
            result = _synthesized(path, options, chosen is not None)
            documents = (parse_policy(policy_document(result.policy), "the synthesized policy"),)
            source = "the synthesized policy" + (f" of {name}" if chosen is not None else "")
        session = VerifySession(documents, target, name, enforce=not observe_only, belongs=belongs)
        how = "checked after the run (--observe-only) on" if observe_only else "enforced on"
        click.echo(
            f"policygen: verify: running `{shlex.join(command)}` with {source} {how} the AWS calls made from "
            f"{_shown(code_dir.resolve())}/ (test files excluded; test set-up calls are never enforced)",
            err=True,
        )
        recording = run_record(command, (code_dir,), session=session)
        if observed_out is not None:
            write_atomic(observed_out, observed.to_json(recording))
        others = 0
        if belongs is not None:  # calls made under another function's handler, in shared code
            kept = tuple(c for c in recording.calls if c.origin != FUNCTION or belongs(c))
            others = len(recording.calls) - len(kept)
            recording = replace(recording, calls=kept)
        verdict = judge(recording, documents, target)
        reports = call_reports(recording, documents, target, session)
        gaps = _gaps(result, recording, code_dir, name, target)
        if report_file is not None:
            write_atomic(report_file, render(reports, source, not observe_only, verdict.setup_calls, gaps))
    except PolicygenError as exc:
        click.echo(f"policygen: error: {exc}", err=True)
        sys.exit(EXIT_ERRORS)
    for line in _run_lines(recording):
        click.echo(line, err=True)
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
    if others:
        click.echo(
            f"policygen: {others} distinct call(s) made in {code_dir} under another function's handler: not {name}'s, not judged",
            err=True,
        )
    for line in recorded_match_lines(gaps):
        click.echo(f"policygen: {line}", err=True)
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
    if reports:
        click.echo("policygen: the function's calls (verdict; who judged it):", err=True)
        for report in reports[:LISTED]:
            stopped = ", stopped before it was sent" if report.stopped else ""
            click.echo(
                f"    {verdict_of(report)}: {described(report.call)} at {report.call.site} "
                f"(judged by: {report.judged.value}{stopped})",
                err=True,
            )
        if len(reports) > LISTED:
            click.echo(f"    ... and {len(reports) - LISTED} more (--report FILE lists them all)", err=True)
        if any(r.stopped for r in reports):
            click.echo(
                "policygen: a call stopped by enforcement never reaches moto: if the tests use moto, "
                "`verify --observe-only` lets every call through for moto to judge as well",
                err=True,
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
    reasons = []
    if not verdict.held:
        click.echo(
            f"policygen: the policy did not hold: {len(verdict.denials)} permission(s) missing", err=True
        )
        reasons.append("the policy did not hold")
    elif recording.function_calls:
        click.echo("policygen: the policy held for every call the function made", err=True)
    if recording.exit_code != 0:
        enforced = " (a call the policy denies fails in the test that made it)" if session.stopped else ""
        click.echo(
            f"policygen: the command exited with {recording.exit_code}{enforced}: the verdict covers the calls it made",
            err=True,
        )
        reasons.append(f"the command exited with {recording.exit_code}")
    if not recording.function_calls:
        click.echo(
            f"policygen: warning: the command made no call from {_shown(code_dir.resolve())}/; nothing was verified",
            err=True,
        )
        reasons.append("nothing was verified")
    if reasons:
        click.echo(f"policygen: exit {EXIT_FAILED}: {'; '.join(reasons)}", err=True)
        sys.exit(EXIT_FAILED)


def _belongs(call: RecordedCall, *, cwd: Path, code: Path, own: Entry | None, entries: frozenset[Entry]) -> bool:
    return attributed(call, cwd, code, own, entries)


def _synthesized(path: Path, options: Options, project: bool) -> Result:
    """The policy policygen synthesizes for the one function verified (of the project, if one)."""
    from policygen.pipeline import generate
    from policygen.project import generate_project

    if not project:
        return generate(path, options)
    found = generate_project(path, options)
    assert found is not None  # `functions` found the deployment files
    if found.failures:
        raise UsageError(found.failures[0].message)
    if len(found.functions) != 1:
        raise UsageError(f"{path}: choose the function to verify with --function NAME")
    return found.functions[0].result


def _gaps(
    result: Result | None, recording: Recording, code: Path, name: str, target: Target
) -> tuple[RecordedMatch, ...]:
    """The synthesized policy's unresolved calls and widened resources, matched by call site to
    the calls the run made there (none with --policy: no analysis to match)."""
    from policygen.evidence import Subject
    from policygen.record.source import match

    if result is None:
        return ()
    subject = Subject(name=name, code=code.resolve(), handler=None, environment={}, target=target)
    found = RecordedSource(recording, "the run").collect(subject)
    where = code.resolve()
    return tuple(
        replace(m, location=replace(m.location, path=_shown(where / m.location.path)))
        for m in match(result.unresolved, result.widenings, found.permissions)
    )


def _shown(path: Path) -> str:
    """A path as the recording shows call sites: relative to the current directory when under it."""
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()
