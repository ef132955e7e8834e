"""`policygen diff`: the code's needs against the current policy (a thin layer over
`policygen.gate` and `policygen.render.diff`)."""

from __future__ import annotations

import os
import posixpath
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from policygen import __version__
from policygen.cli import EXIT_ERRORS, deployment_inputs, deployment_values, region_note, write_atomic
from policygen.errors import PolicyError, PolicygenError, UsageError
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
    read_boundary_file,
    read_policy_file,
    verdict,
    with_boundary,
    write_baseline,
)
from policygen.model import FunctionSpec, Result
from policygen.options import Options
from policygen.pipeline import generate as run_generate
from policygen.policy.document import PolicyDocument, from_generated
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
_BOUNDARY = click.option(
    "--boundary",
    "boundary_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The role's permissions boundary: a policy JSON file (one document). With --current FILE, "
    "those policies are compared under it; without, it replaces the boundary each function's declared "
    "role names (one policygen can't read from the deployment files, say).",
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
                "outputs",
                multiple=True,
                metavar="[FORMAT=]FILE",
                help="Write the --format report to FILE instead of standard output; or, as FORMAT=FILE "
                "(repeatable), also write that format's report to FILE, from the same run "
                "(e.g. -o sarif=policygen.sarif -o markdown=summary.md). Each file is written whole "
                "or not at all.",
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


FORMATS = ("text", "json", "markdown", "sarif")


@dataclass(frozen=True)
class _Outputs:
    """Where the reports of one run go: the --format report to standard output or to ``file``,
    and each FORMAT=FILE's report to its file."""

    fmt: str
    file: Path | None
    files: tuple[tuple[str, Path], ...]


def _outputs(fmt: str, given: tuple[str, ...]) -> _Outputs:
    """The -o values read and checked before anything runs: a `UsageError` for an unknown format,
    a file given twice, two plain FILEs, or a folder that doesn't exist."""
    plain: list[Path] = []
    files: list[tuple[str, Path]] = []
    for value in given:
        name, sep, rest = value.partition("=")
        if sep and name in FORMATS:
            if not rest:
                raise UsageError(f"-o {value}: give the file to write the {name} report to ({name}=FILE)")
            files.append((name, Path(rest)))
        elif sep and name.isidentifier() and name not in FORMATS:
            raise UsageError(f"-o {value}: {name} is not a report format (one of {', '.join(FORMATS)})")
        else:
            plain.append(Path(value))
    if len(plain) > 1:
        raise UsageError(
            f"-o {plain[1]}: one FILE takes the --format report ({plain[0]} does); "
            "give the others as FORMAT=FILE"
        )
    paths = [*plain, *(path for _, path in files)]
    for path in paths:
        if paths.count(path) > 1:
            raise UsageError(f"-o {path}: given twice; each report needs its own file")
        directory = path.parent if str(path.parent) else Path(".")
        if path.is_dir() or not directory.is_dir():
            raise UsageError(f"-o {path}: {'a folder' if path.is_dir() else f'the folder {directory} does not exist'}")
    return _Outputs(fmt, plain[0] if plain else None, tuple(files))


def _colored(color: bool | None, fmt: str, output: Path | None) -> bool:
    """Colour only text, and by default only on a terminal without NO_COLOR (no-color.org)."""
    if fmt != "text":
        return False
    if color is not None:
        return color
    if output is not None or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def _emit(outputs: _Outputs, color: bool | None, render: Callable[[str, bool], str]) -> None:
    """Each report rendered from the one result, then the files written: all of them whole, or
    (a write failing) none of them changed; then standard output."""
    painted = _colored(color, outputs.fmt, outputs.file)
    texts = [(path, render(fmt, False)) for fmt, path in outputs.files]
    main = render(outputs.fmt, painted)
    if outputs.file is not None:
        texts.append((outputs.file, main))
    write_all(texts)
    if outputs.file is None:
        click.echo(main, nl=False, color=painted)


def write_all(texts: list[tuple[Path, str]]) -> None:
    """Write every file so that a reader sees all the old files or all the new ones whole: each
    text to a temporary file beside its target first, then each moved into place. A failure before
    the moves leaves every target as it was (a `UsageError` naming the file)."""
    staged: list[tuple[str, Path]] = []
    for path, text in texts:
        directory = path.parent if str(path.parent) else Path(".")
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
            staged.append((tmp, path))
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            for tmp, _ in staged:
                Path(tmp).unlink(missing_ok=True)
            raise UsageError(f"-o {path}: cannot write the report ({exc}); no report was written") from exc
    for tmp, path in staged:
        os.replace(tmp, path)


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


@dataclass(frozen=True)
class _Given:
    """What the user gives of the current policy: policy files and/or a live role (with its
    boundary), and a boundary file."""

    current: Current | None
    boundary: tuple[PolicyDocument, ...] | None
    boundary_file: Path | None

    def of(self, spec: FunctionSpec | None) -> Current | None:
        """The current policy of a function: the one given, else the role its deployment declares
        (under the --boundary file, when given)."""
        if self.current is not None:
            return self.current
        found = declared(spec) if spec is not None else None
        if found is None or self.boundary is None or self.boundary_file is None:
            return found
        return with_boundary(found, self.boundary, self.boundary_file)


def _given(files: tuple[Path, ...], role: str | None, boundary_file: Path | None) -> _Given:
    currents = [read_policy_file(f) for f in files]
    boundary = read_boundary_file(boundary_file) if boundary_file is not None else None
    if role is not None:
        from policygen.live import read_role

        currents.append(read_role(role))
    given = merge(currents) if currents else None
    if given is not None and boundary is not None and boundary_file is not None:
        if given.boundary is not None:
            raise PolicyError(
                str(boundary_file),
                f"the role has its permissions boundary ({given.boundary_source}); a role has one: "
                "leave --boundary out to compare under the role's own",
            )
        given = with_boundary(given, boundary, boundary_file)
    return _Given(given, boundary, boundary_file)


# -- diff against the current policy --------------------------------------------------------------
@click.command("diff")
@_common
@_CURRENT
@_BOUNDARY
@_ROLE
@_report_options
def diff_command(
    current_files: tuple[Path, ...],
    boundary_file: Path | None,
    current_role: str | None,
    fmt: str,
    outputs: tuple[str, ...],
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
        reports = _outputs(fmt, outputs)
        given = _given(current_files, current_role, boundary_file)
        analysed = _analyse(**analyse)
    except PolicygenError as exc:
        click.echo(f"policygen: error: {exc}", err=True)
        sys.exit(EXIT_ERRORS)
    code = EXIT_ERRORS if analysed.errors else 0
    for name, spec, result in analysed.functions:
        try:
            current = given.of(spec)
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
        try:
            _emit(reports, color, lambda f, painted: _render_diffs(diffs, f, files, painted))
        except PolicygenError as exc:
            click.echo(f"policygen: error: {exc}", err=True)
            code |= EXIT_ERRORS
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
@_BOUNDARY
@_ROLE
@click.option(
    "--max-excess", type=click.IntRange(0), help="Fail when the current policy grants more unneeded actions."
)
@_report_options
def check_command(
    baseline_dir: Path | None,
    current_files: tuple[Path, ...],
    boundary_file: Path | None,
    current_role: str | None,
    max_excess: int | None,
    fmt: str,
    outputs: tuple[str, ...],
    color: bool | None,
    **analyse: Any,
) -> None:
    """The CI gate. Exit code, a bitmask: 0 pass; 1 the code needs a permission the current
    policy lacks (the deploy would fail at run time); 2 bad input; 4 the synthesized policy
    grants access the baseline didn't (approve it with `policygen baseline update`); 8 the
    current policy's unneeded actions are over --max-excess."""
    try:
        reports = _outputs(fmt, outputs)
        given = _given(current_files, current_role, boundary_file)
        baseline = read_baseline(baseline_dir) if baseline_dir is not None else None
        analysed = _analyse(**analyse)
    except PolicygenError as exc:
        click.echo(f"policygen: error: {exc}", err=True)
        sys.exit(Exit.INPUT_ERROR)
    if baseline is None and given.current is None and all(spec is None for _, spec, _ in analysed.functions):
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
            current = given.of(spec)
        except PolicygenError as exc:  # this function's role is unreadable; the others go on
            click.echo(f"policygen: error: {name}: {exc}", err=True)
            code |= Exit.INPUT_ERROR
            continue
        verdicts.append(verdict(name, result, baseline, current, max_excess))
    for v in verdicts:
        code |= v.exit
    anchor = baseline_dir / BASELINE_FILE if baseline_dir else (current_files or (None,))[0]

    def render(fmt: str, painted: bool) -> str:
        if fmt == "markdown":
            return as_markdown(verdicts=verdicts, code=code)
        if fmt == "sarif":
            return as_sarif(verdicts=verdicts, files=analysed.files(anchor))
        return check_json(verdicts, code) if fmt == "json" else check_text(verdicts, code, painted)

    try:
        _emit(reports, color, render)
    except PolicygenError as exc:
        click.echo(f"policygen: error: {exc}", err=True)
        code |= Exit.INPUT_ERROR
    sys.exit(int(code))


def _render_diffs(diffs: list[FunctionDiff], fmt: str, files: dict[str, Files], color: bool) -> str:
    if fmt == "markdown":
        return as_markdown(diffs)
    if fmt == "sarif":
        return as_sarif(diffs, files=files)
    return as_json(diffs) if fmt == "json" else as_text(diffs, color)
