"""`policygen diff`: the code's needs against the current policy (a thin layer over
`policygen.gate` and `policygen.render.diff`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from policygen.cli import EXIT_ERRORS, _emit
from policygen.errors import PolicygenError, UsageError
from policygen.extract import default_cache_dir
from policygen.gate import FunctionDiff, declared, diff_function, merge, read_policy_file
from policygen.options import Options
from policygen.pipeline import generate as run_generate
from policygen.project import generate_project
from policygen.regions import check_target
from policygen.render.diff import as_json, as_text


# -- diff against the current policy --------------------------------------------------------------
@click.command("diff")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--current",
    "current_files",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The current policy: a policy JSON file (one document or a list; repeatable). "
    "Default: each function's role as its SAM/CloudFormation, Serverless or Terraform files declare it.",
)
@click.option("--function", "function", help="Only this function of a project.")
@click.option("--handler", help="The Lambda handler as MODULE.FUNCTION.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--region", default="*", show_default=True, help="Region for resource ARNs.")
@click.option("--account", default="*", show_default=True, help="Account id for resource ARNs.")
@click.option("--partition", default="aws", show_default=True, help="ARN partition.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the per-file analysis cache.")
@click.option(
    "-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write to FILE (atomically)."
)
def diff_command(
    path: Path,
    current_files: tuple[Path, ...],
    function: str | None,
    handler: str | None,
    fmt: str,
    region: str,
    account: str,
    partition: str,
    no_cache: bool,
    output: Path | None,
) -> None:
    """Compare what the code under PATH needs with the policy it has: missing (denied at run
    time), excess (granted, never needed, most powerful first) and widened permissions.

    Exits 0 when the comparison was made, 2 on bad input (a policy file that is not valid
    JSON or names an unknown action, an unreadable template, a function without a current policy).
    """
    code = 0
    diffs: list[FunctionDiff] = []
    try:
        given = merge([read_policy_file(f) for f in current_files]) if current_files else None
        options = Options(
            target=check_target(partition, region, account),
            handler=handler,
            cache_dir=None if no_cache else default_cache_dir(),
            function=function,
        )
        project = generate_project(path, options)
        if project is None:
            if function is not None:
                raise UsageError(
                    f"--function {function}: {path} has no SAM/CloudFormation template, serverless.yml or Terraform files"
                )
            if given is None:
                raise UsageError(
                    f"{path}: no deployment files declare a role: give the current policy with --current FILE"
                )
            result = run_generate(path, options)
            diffs.append(diff_function(path.resolve().name, result, given))
        else:
            for failure in project.failures:
                click.echo(
                    f"policygen: error: {failure.spec.name}: not compared: {failure.message}", err=True
                )
                code |= EXIT_ERRORS
            for item in project.functions:
                current = given or declared(item.spec)
                if current is None:
                    click.echo(
                        f"policygen: error: {item.spec.name}: {item.spec.source} declares no policy for its role: "
                        "give the current policy with --current FILE",
                        err=True,
                    )
                    code |= EXIT_ERRORS
                    continue
                diffs.append(diff_function(item.spec.name, item.result, current))
    except PolicygenError as exc:
        click.echo(f"policygen: error: {exc}", err=True)
        sys.exit(EXIT_ERRORS)
    _emit(as_json(diffs) if fmt == "json" else as_text(diffs), output)
    if code:
        sys.exit(code)
