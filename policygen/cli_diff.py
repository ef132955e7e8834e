"""`policygen diff`: the code's needs against the current policy (a thin layer over
`policygen.gate` and `policygen.render.diff`)."""

from __future__ import annotations

import os
import posixpath
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from policygen import __version__
from policygen.cli import EXIT_ERRORS, deployment_inputs, deployment_values, region_note, write_atomic
from policygen.errors import PolicygenError, UsageError
from policygen.extract import default_cache_dir
from policygen.gate import (
    BASELINE_FILE,
    Current,
    Exit,
    FunctionDiff,
    declared,
    diff_function,
    merge,
    read_baseline,
    read_policy_file,
    verdict,
    write_baseline,
)
from policygen.model import FunctionSpec, Result
from policygen.options import Options
from policygen.pipeline import generate as run_generate
from policygen.policy.document import from_generated
from policygen.project import generate_project
from policygen.regions import check_target
from policygen.render.diff import as_json, as_text, check_json, check_text
from policygen.render.markdown import as_markdown
from policygen.render.sarif import Files, as_sarif


def _common(f: Callable[..., None]) -> Callable[..., None]:
    for option in reversed(
        [
            click.argument("path", type=click.Path(path_type=Path)),
            click.option("--function", "function", help="Only this function of a project."),
            click.option("--handler", help="The Lambda handler as MODULE.FUNCTION."),
            click.option("--region", default="*", show_default=True, help="Region for resource ARNs."),
            click.option("--account", default="*", show_default=True, help="Account id for resource ARNs."),
            click.option("--partition", default="aws", show_default=True, help="ARN partition."),
            click.option(
                "--no-cache", is_flag=True, help="Do not read or write the per-file analysis cache."
            ),
        ]
    ):
        f = option(f)
    return deployment_inputs(f)


_CURRENT = click.option(
    "--current",
    "current_files",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The current policy: a policy JSON file (one document or a list; repeatable). "
    "Default: each function's role as its SAM/CloudFormation, Serverless or Terraform files declare it.",
)
_ROLE = click.option(
    "--current-role",
    "current_role",
    metavar="NAME",
    help="The current policy of a deployed IAM role, by name or ARN (inline and attached policies, "
    "under its permissions boundary), read with boto3.",
)


def _report_options(f: Callable[..., None]) -> Callable[..., None]:
    """How the report is written: its format, where, and whether the text is coloured."""
    for option in reversed(
        [
            click.option(
                "--format",
                "fmt",
                type=click.Choice(["text", "json", "markdown", "sarif"]),
                default="text",
                show_default=True,
                help="text: for a terminal; json: for machines; markdown: a pull-request comment; "
                "sarif: SARIF 2.1.0 for code scanning.",
            ),
            click.option(
                "-o",
                "--output",
                type=click.Path(path_type=Path, dir_okay=False),
                help="Write to FILE (atomically).",
            ),
            click.option(
                "--color/--no-color",
                "color",
                default=None,
                help="Colour the text report (default: on a terminal, unless NO_COLOR is set).",
            ),
        ]
    ):
        f = option(f)
    return f


def _colored(color: bool | None, fmt: str, output: Path | None) -> bool:
    """Colour only text, and by default only on a terminal without NO_COLOR (no-color.org)."""
    if fmt != "text":
        return False
    if color is not None:
        return color
    if output is not None or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def _show(text: str, output: Path | None, color: bool) -> None:
    if output is not None:
        write_atomic(output, text)
    else:
        click.echo(text, nl=False, color=color)


@dataclass(frozen=True)
class _Analysed:
    functions: list[tuple[str, FunctionSpec | None, Result]]
    errors: bool  # some function could not be analysed (reported on stderr)
    path: Path  # PATH as given

    def files(self, anchor: Path | None) -> dict[str, Files]:
        """Where each function's files are from here (the folder SARIF paths are relative to)."""
        root = _from_here(self.path)
        out = {}
        for name, spec, _ in self.functions:
            code = posixpath.normpath(posixpath.join(root, spec.code_dir)) if spec else root
            out[name] = Files(
                project=root,
                code=code,
                declared=spec.source if spec else "",
                anchor=_from_here(anchor) if anchor else "",
            )
        return out


def _from_here(path: Path) -> str:
    """``path`` relative to the working directory when it is below it (as code scanning wants)."""
    if path.is_absolute():
        try:
            return path.relative_to(Path.cwd()).as_posix() or "."
        except ValueError:
            return path.as_posix()
    return path.as_posix()


def _analyse(
    path: Path,
    function: str | None,
    handler: str | None,
    region: str,
    account: str,
    partition: str,
    no_cache: bool,
    kms_keys: tuple[str, ...],
    **deployment: Any,
) -> _Analysed:
    """Every function under PATH analysed (a project's, or PATH as one function's code)."""
    inputs = deployment_values(**deployment)
    options = Options(
        target=check_target(partition, region, account),
        handler=handler,
        environment=inputs.environment,
        kms_keys=kms_keys,
        cache_dir=None if no_cache else default_cache_dir(),
        function=function,
        deploy=inputs.deploy,
    )
    project = None if inputs.code_only else generate_project(path, options)
    if project is None:
        if function is not None:
            raise UsageError(
                f"--function {function}: {path} has no SAM/CloudFormation template, serverless.yml or Terraform files"
            )
        return _Analysed([(path.resolve().name, None, run_generate(path, options))], False, path)
    region_note(project.region)
    for failure in project.failures:
        click.echo(f"policygen: error: {failure.spec.name}: not analysed: {failure.message}", err=True)
    functions: list[tuple[str, FunctionSpec | None, Result]] = [
        (f.spec.name, f.spec, f.result) for f in project.functions
    ]
    return _Analysed(functions, bool(project.failures), path)


def _given(files: tuple[Path, ...], role: str | None) -> Current | None:
    """The current policy the user gives: policy files and/or a live role (with its boundary)."""
    currents = [read_policy_file(f) for f in files]
    if role is not None:
        from policygen.live import read_role

        currents.append(read_role(role))
    return merge(currents) if currents else None


def _current(given: Current | None, name: str, spec: FunctionSpec | None) -> Current | None:
    if given is not None:
        return given
    return declared(spec) if spec is not None else None


# -- diff against the current policy --------------------------------------------------------------
@click.command("diff")
@_common
@_CURRENT
@_ROLE
@_report_options
def diff_command(
    current_files: tuple[Path, ...],
    current_role: str | None,
    fmt: str,
    output: Path | None,
    color: bool | None,
    **analyse: Any,
) -> None:
    """Compare what the code under PATH needs with the policy it has: missing (denied at run
    time), excess (granted, never needed, most powerful first) and widened permissions.

    Exits 0 when the comparison was made, 2 on bad input (a policy file that is not valid
    JSON or names an unknown action, an unreadable template, a function without a current policy).
    """
    diffs: list[FunctionDiff] = []
    try:
        given = _given(current_files, current_role)
        analysed = _analyse(**analyse)
    except PolicygenError as exc:
        click.echo(f"policygen: error: {exc}", err=True)
        sys.exit(EXIT_ERRORS)
    code = EXIT_ERRORS if analysed.errors else 0
    for name, spec, result in analysed.functions:
        try:
            current = _current(given, name, spec)
        except PolicygenError as exc:  # this function's role is unreadable; the others go on
            click.echo(f"policygen: error: {name}: {exc}", err=True)
            code |= EXIT_ERRORS
            continue
        if current is None:
            where = (
                f"{spec.source} declares no policy for its role"
                if spec
                else "no deployment files declare a role"
            )
            click.echo(
                f"policygen: error: {name}: {where}: give the current policy with --current FILE "
                "or --current-role NAME",
                err=True,
            )
            code |= EXIT_ERRORS
            continue
        diffs.append(diff_function(name, result, current))
    if diffs:
        files = analysed.files(current_files[0] if current_files else None)
        painted = _colored(color, fmt, output)
        _show(_render_diffs(diffs, fmt, files, painted), output, painted)
    if code:
        sys.exit(code)


# -- the CI gate ----------------------------------------------------------------------------------
@click.group("baseline")
def baseline_group() -> None:
    """The reviewed, committed baseline `policygen check` compares with."""


@baseline_group.command("update")
@_common
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path(".policygen"),
    show_default=True,
    help="The baseline folder (commit it).",
)
def baseline_update(out: Path, **analyse: Any) -> None:
    """Write each function's synthesized policy as the approved baseline (OUT/baseline.json)."""
    try:
        analysed = _analyse(**analyse)
    except PolicygenError as exc:
        click.echo(f"policygen: error: {exc}", err=True)
        sys.exit(EXIT_ERRORS)
    if analysed.errors:
        click.echo(
            "policygen: error: baseline not written: a function could not be analysed (above)", err=True
        )
        sys.exit(EXIT_ERRORS)
    policies = {name: from_generated(result.policy, name) for name, _, result in analysed.functions}
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / BASELINE_FILE, write_baseline(policies, __version__))
    click.echo(
        f"policygen: baseline of {len(policies)} function(s) written to {out / BASELINE_FILE}", err=True
    )


@click.command("check")
@_common
@click.option(
    "--baseline",
    "baseline_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="The committed baseline folder: fail when the code now needs access it doesn't grant.",
)
@_CURRENT
@_ROLE
@click.option(
    "--max-excess", type=click.IntRange(0), help="Fail when the current policy grants more unneeded actions."
)
@_report_options
def check_command(
    baseline_dir: Path | None,
    current_files: tuple[Path, ...],
    current_role: str | None,
    max_excess: int | None,
    fmt: str,
    output: Path | None,
    color: bool | None,
    **analyse: Any,
) -> None:
    """The CI gate. Exit code, a bitmask: 0 pass; 1 the code needs a permission the current
    policy lacks (the deploy would fail at run time); 2 bad input; 4 the synthesized policy
    grants access the baseline didn't (approve it with `policygen baseline update`); 8 the
    current policy's unneeded actions are over --max-excess."""
    try:
        given = _given(current_files, current_role)
        baseline = read_baseline(baseline_dir) if baseline_dir is not None else None
        analysed = _analyse(**analyse)
    except PolicygenError as exc:
        click.echo(f"policygen: error: {exc}", err=True)
        sys.exit(Exit.INPUT_ERROR)
    if baseline is None and given is None and all(spec is None for _, spec, _ in analysed.functions):
        click.echo(
            "policygen: error: nothing to check against: give --baseline DIR and/or --current FILE "
            "(or --current-role NAME)",
            err=True,
        )
        sys.exit(Exit.INPUT_ERROR)
    code = Exit.INPUT_ERROR if analysed.errors else Exit.OK
    verdicts = []
    for name, spec, result in analysed.functions:
        try:
            current = _current(given, name, spec)
        except PolicygenError as exc:  # this function's role is unreadable; the others go on
            click.echo(f"policygen: error: {name}: {exc}", err=True)
            code |= Exit.INPUT_ERROR
            continue
        verdicts.append(verdict(name, result, baseline, current, max_excess))
    for v in verdicts:
        code |= v.exit
    painted = _colored(color, fmt, output)
    if fmt == "markdown":
        text = as_markdown(verdicts=verdicts, code=code)
    elif fmt == "sarif":
        anchor = baseline_dir / BASELINE_FILE if baseline_dir else (current_files or (None,))[0]
        text = as_sarif(verdicts=verdicts, files=analysed.files(anchor))
    else:
        text = check_json(verdicts, code) if fmt == "json" else check_text(verdicts, code, painted)
    _show(text, output, painted)
    sys.exit(int(code))


def _render_diffs(diffs: list[FunctionDiff], fmt: str, files: dict[str, Files], color: bool) -> str:
    if fmt == "markdown":
        return as_markdown(diffs)
    if fmt == "sarif":
        return as_sarif(diffs, files=files)
    return as_json(diffs) if fmt == "json" else as_text(diffs, color)
