"""The command line: a thin click layer over `policygen.generate` and the renderers.

Exit codes (a bitmask, as Fixit's): 0 clean; 1 findings that --strict refuses; 2 input errors
(bad arguments, unreadable files; a policy is still written when the rest could be analysed).
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import click

from policygen import __version__
from policygen.errors import ConfigError, PolicygenError, StrictModeError, UsageError
from policygen.extract import default_cache_dir
from policygen.fit import PolicyKind
from policygen.model import Only
from policygen.options import DeployOptions, Options
from policygen.record.commands import observed_sources
from policygen.record.commands import record as record_command
from policygen.record.commands import verify as verify_command
from policygen.regions import check_target
from policygen.render import Format, RenderOptions, explain, render

if TYPE_CHECKING:
    from policygen.evidence.cloudtrail import CloudTrailSource
    from policygen.model import Result
    from policygen.project import FunctionFailure

EXIT_FINDINGS = 1
EXIT_ERRORS = 2


def parse_env_pairs(pairs: tuple[str, ...], flag: str = "--env") -> dict[str, str]:
    env = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{flag} {pair!r}: expected KEY=VALUE")
        env[key.strip()] = value
    return env


def read_env_file(path: Path) -> dict[str, str]:
    env = {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path}: cannot read the env file ({exc.__class__.__name__}); give a UTF-8 KEY=VALUE file"
        ) from None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :]
        key, sep, value = line.partition("=")
        if not sep or not key.strip().replace("_", "").isalnum():
            raise ConfigError(f"{path}:{number}: expected KEY=VALUE, got {raw.strip()[:60]!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        env[key.strip()] = value
    return env


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader sees the old file or the whole new one."""
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise UsageError(f"-o {path}: the directory {directory} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_DEPLOYMENT_INPUTS = [
    click.option(
        "--env",
        "env_pairs",
        multiple=True,
        metavar="KEY=VALUE",
        help="A deployment environment variable (repeatable).",
    ),
    click.option(
        "--env-file",
        type=click.Path(path_type=Path, dir_okay=False),
        help="KEY=VALUE lines, as a .env file.",
    ),
    click.option(
        "--kms-key",
        "kms_keys",
        multiple=True,
        metavar="ARN",
        help="A customer-managed KMS key that encrypts the function's resources (repeatable): adds the KMS "
        "actions AWS performs on the caller's behalf, held to each service with kms:ViaService.",
    ),
    click.option(
        "--stack-name", help="CloudFormation stack name (for AWS::StackName and generated resource names)."
    ),
    click.option(
        "--parameter-overrides",
        multiple=True,
        metavar="KEY=VALUE",
        help="CloudFormation parameter values (repeatable).",
    ),
    click.option("--stage", help="Serverless Framework stage."),
    click.option(
        "--var", "tf_vars", multiple=True, metavar="NAME=VALUE", help="Terraform variable (repeatable)."
    ),
    click.option(
        "--var-file",
        type=click.Path(path_type=Path, dir_okay=False),
        help='Terraform .tfvars file (NAME = "value" lines).',
    ),
    click.option(
        "--code-only", is_flag=True, help="Ignore deployment files: analyse PATH as one function's code."
    ),
]


def deployment_inputs(f: Callable[..., None]) -> Callable[..., None]:
    """How the code is deployed (its environment, keys, template parameters, stage, Terraform
    variables): the options of every command that analyses code."""
    for option in reversed(_DEPLOYMENT_INPUTS):
        f = option(f)
    return f


@dataclass(frozen=True)
class DeploymentInputs:
    environment: dict[str, str]
    deploy: DeployOptions
    code_only: bool


def deployment_values(
    env_pairs: tuple[str, ...],
    env_file: Path | None,
    stack_name: str | None,
    parameter_overrides: tuple[str, ...],
    stage: str | None,
    tf_vars: tuple[str, ...],
    var_file: Path | None,
    code_only: bool,
) -> DeploymentInputs:
    """`deployment_inputs`' values read (env and var files included); `ConfigError` on bad ones."""
    environment = read_env_file(env_file) if env_file else {}
    environment.update(parse_env_pairs(env_pairs))
    deploy = DeployOptions()
    if not code_only:
        variables = read_tfvars(var_file) if var_file else {}
        variables.update(parse_env_pairs(tf_vars, "--var"))
        deploy = DeployOptions(
            stack_name,
            parse_env_pairs(parameter_overrides, "--parameter-overrides"),
            stage,
            variables,
            region_given=_region_given(),
        )
    return DeploymentInputs(environment, deploy, code_only)


def _region_given() -> bool | None:
    """Whether the running command got ``--region`` (it then wins over the project's region);
    None outside a command that has the option."""
    context = click.get_current_context(silent=True)
    if context is None or "region" not in context.params:
        return None
    source = context.get_parameter_source("region")
    return source is not None and source is not click.core.ParameterSource.DEFAULT


def region_note(region: object) -> None:
    """Which region the ARNs were written for, and from where (stderr)."""
    if region is not None:
        click.echo(f"policygen: {region}", err=True)


class LazyGroup(click.Group):
    """A group some of whose commands are imported only when run (or listed by --help): a trail
    scan need not import the code analysis (libcst, networkx) first."""

    lazy: ClassVar[dict[str, tuple[str, str]]] = {
        "diff": ("policygen.cli_diff", "diff_command"),
        "check": ("policygen.cli_diff", "check_command"),
        "baseline": ("policygen.cli_diff", "baseline_group"),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, attribute = self.lazy[cmd_name]
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="policygen")
def main() -> None:
    """Least-privilege IAM policies for Python AWS Lambda functions, from their code."""


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--handler", help="The Lambda handler as MODULE.FUNCTION (default: the one lambda_handler/handler)."
)
@click.option("--region", default="*", show_default=True, help="Region for resource ARNs.")
@click.option("--account", default="*", show_default=True, help="Account id for resource ARNs.")
@click.option(
    "--partition", default="aws", show_default=True, help="ARN partition (aws, aws-cn, aws-us-gov)."
)
@deployment_inputs
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in Format]),
    default=Format.JSON.value,
    show_default=True,
    help="json: the policy document; json-report: policy with evidence, widened and unresolved items; "
    "explain: prose; terraform, terraform-json, cloudformation, cloudformation-json, sam: paste-ready IaC.",
)
@click.option("--name", help="Policy name for the IaC formats (default: the code directory's name).")
@click.option(
    "--role",
    help="The execution role: a Terraform expression (aws_iam_role.fn.name) or a CloudFormation logical id "
    "(default: a variable / FunctionRole).",
)
@click.option(
    "--policy-type",
    type=click.Choice(["inline", "managed"]),
    default="inline",
    show_default=True,
    help="Which IAM size limit to fit: inline (10,240) or managed (6,144).",
)
@click.option(
    "--explain", "show_explain", is_flag=True, help="Also print why each permission is there (stderr)."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Write to FILE (atomically) instead of stdout; for a project, an existing folder gets one file per function.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Fail (exit 1, no policy) when anything is unresolved or a file cannot be read.",
)
@click.option("--include-unreachable", is_flag=True, help="Also grant calls the handler cannot reach.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the per-file analysis cache.")
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where the per-file cache lives (default: ~/.cache/policygen).",
)
@click.option("--jobs", type=click.IntRange(1, 64), help="Worker processes for parsing (default: CPU count).")
@click.option(
    "--function",
    "function",
    help="Only this function of a SAM/CloudFormation, Serverless or Terraform project.",
)
@click.option(
    "--cloudtrail",
    "cloudtrail",
    metavar="SOURCE",
    help="CloudTrail logs (a folder or file, s3://bucket/prefix/, athena://TABLE?database=DB, lookup-events): "
    "add the calls the function's role made (access history).",
)
@click.option(
    "--trail-role",
    metavar="ARN",
    help="The execution role's ARN whose calls --cloudtrail reads (default: sessions named after each function).",
)
@click.option("--since", help="Start of the --cloudtrail window: a duration before now (90d, 12h) or a date.")
@click.option("--until", help="End of the --cloudtrail window: a duration before now or a date.")
@click.option(
    "--trail-region", "trail_regions", multiple=True, help="Read only these regions' trail folders."
)
@click.option(
    "--only",
    "only",
    type=click.Choice([o.value for o in Only]),
    default=Only.BOTH.value,
    show_default=True,
    help="With --cloudtrail: both grants what the code needs and what the trail shows; observed grants only "
    "what the trail shows the role used; code only what the code and deployment need. What is left out is "
    "listed as unresolved with why.",
)
@click.option(
    "--quiet", is_flag=True, help="No --cloudtrail progress line on stderr (it is shown on a terminal only)."
)
@click.option(
    "--observed",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also grant the calls a test run recorded (`policygen record`), as evidence 'observed in tests'.",
)
def generate(
    path: Path,
    handler: str | None,
    region: str,
    account: str,
    partition: str,
    env_pairs: tuple[str, ...],
    env_file: Path | None,
    fmt: str,
    name: str | None,
    role: str | None,
    policy_type: str,
    show_explain: bool,
    output: Path | None,
    strict: bool,
    include_unreachable: bool,
    no_cache: bool,
    cache_dir: Path | None,
    kms_keys: tuple[str, ...],
    jobs: int | None,
    function: str | None,
    stack_name: str | None,
    parameter_overrides: tuple[str, ...],
    stage: str | None,
    tf_vars: tuple[str, ...],
    var_file: Path | None,
    code_only: bool,
    cloudtrail: str | None,
    trail_role: str | None,
    since: str | None,
    until: str | None,
    trail_regions: tuple[str, ...],
    only: str,
    quiet: bool,
    observed: Path | None,
) -> None:
    """Synthesize the IAM policy the Lambda code under PATH needs.

    PATH is a function's code folder, or a project with a SAM/CloudFormation template,
    serverless.yml or Terraform files: then each function it declares gets its own policy.
    """
    from policygen.pipeline import generate as run_generate
    from policygen.project import generate_project
    from policygen.render.project import combined, file_name, per_function

    try:
        if only != Only.BOTH.value and cloudtrail is None:
            raise UsageError(f"--only {only} narrows a policy by its access history: give --cloudtrail DIR")
        inputs = deployment_values(
            env_pairs, env_file, stack_name, parameter_overrides, stage, tf_vars, var_file, code_only
        )
        target = check_target(partition, region, account)
        fmt_enum = Format(fmt)
        base = RenderOptions(name or path.resolve().name, role)
        to_folder = output is not None and (output.is_dir() or str(output).endswith(os.sep))
        options = Options(
            target=target,
            handler=handler,
            environment=inputs.environment,
            kms_keys=kms_keys,
            include_unreachable=include_unreachable,
            strict=strict,
            cache_dir=None if no_cache else (cache_dir or default_cache_dir()),
            jobs=jobs,
            policy_kind=PolicyKind(policy_type),
            function=function,
            deploy=inputs.deploy,
            sources=trail_sources(
                cloudtrail, trail_role, since, until, trail_regions, jobs, quiet, None if region == "*" else region
            )
            + observed_sources(observed, None if code_only else path),
            only=Only(only),
        )
        project = None if code_only else generate_project(path, options)
        failures: tuple[FunctionFailure, ...] = ()
        if project is not None:
            if role is not None and project.declared > 1:
                raise UsageError(
                    f"--role {role}: names one role, and {project.source} declares {project.declared} "
                    "functions, each with its own role; choose one with --function NAME"
                )
            results = [f.result for f in project.functions]
            region_note(project.region)
            for spec in project.skipped:
                click.echo(f"policygen: {spec.source}: {spec.name}: not analysed: {spec.skipped}", err=True)
            failures = project.failures
            if project.functions and to_folder:
                assert output is not None
                output.mkdir(exist_ok=True)
                notes: list[str] = []
                for function_name, rendered in per_function(project, fmt_enum, base):
                    write_atomic(output / file_name(function_name, fmt_enum), rendered.text)
                    notes.extend(f"{function_name}: {n}" for n in rendered.notes)
                _notes(notes)
            elif project.functions:  # when every function failed there is nothing to write
                rendered = combined(project, fmt_enum, base)
                _emit(rendered.text, output)
                _notes(rendered.notes)
        else:
            if function is not None:
                raise UsageError(
                    f"--function {function}: {path} has no SAM/CloudFormation template, serverless.yml or Terraform files"
                )
            result = run_generate(path, options)
            results = [result]
            rendered = render(result, fmt_enum, base)
            if to_folder:
                assert output is not None
                output.mkdir(exist_ok=True)
                write_atomic(output / file_name(base.name, fmt_enum), rendered.text)
            else:
                _emit(rendered.text, output)
            _notes(rendered.notes)
    except StrictModeError as exc:
        click.echo(f"policygen: {exc}", err=True)
        sys.exit(EXIT_FINDINGS)
    except PolicygenError as exc:
        click.echo(f"policygen: error: {exc}", err=True)
        sys.exit(EXIT_ERRORS)
    for result in results:
        if show_explain:
            click.echo(explain.render(result), err=True, nl=False)
        else:
            _summary(result)
    _newer_botocore_warning(results)
    code = 0
    for failure in failures:
        if failure.strict:
            click.echo(f"policygen: {failure.spec.name}: no policy: {failure.message}", err=True)
            code |= EXIT_FINDINGS
        else:
            click.echo(f"policygen: error: {failure.spec.name}: no policy: {failure.message}", err=True)
            code |= EXIT_ERRORS
    if failures and results:
        click.echo(
            f"policygen: {len(results)} of {len(results) + len(failures)} functions got their policy; "
            f"{len(failures)} did not (above)",
            err=True,
        )
    if any(r.errors for r in results):
        code |= EXIT_ERRORS
    if code:
        sys.exit(code)


def trail_sources(
    cloudtrail: str | None,
    role: str | None,
    since: str | None,
    until: str | None,
    regions: tuple[str, ...],
    jobs: int | None,
    quiet: bool = False,
    api_region: str | None = None,
) -> tuple[CloudTrailSource, ...]:
    """The CloudTrail evidence source ``--cloudtrail`` asks for, if any."""
    if cloudtrail is None:
        if role or since or until or regions:
            raise UsageError(
                "--trail-role/--since/--until/--trail-region read a trail: give --cloudtrail DIR"
            )
        return ()
    if role and (not role.startswith("arn:") or ":role/" not in role):
        raise UsageError(f"--trail-role {role}: expected a role ARN (arn:aws:iam::123456789012:role/name)")
    from policygen.cli_trail import Progress, window_of
    from policygen.evidence.cloudtrail import CloudTrailSource
    from policygen.trail import open_trail

    window = window_of(since, until, regions, datetime.now(UTC))
    shown = not quiet and sys.stderr.isatty()
    trail = open_trail(cloudtrail, jobs=jobs, regions=regions, api_region=api_region)
    return (CloudTrailSource(trail, window, role, lambda: Progress(enabled=shown)),)


def _notes(notes: Iterable[str]) -> None:
    for note in notes:
        click.echo(f"policygen: {note}", err=True)


def _emit(text: str, output: Path | None) -> None:
    if output is not None:
        write_atomic(output, text)
    else:
        click.echo(text, nl=False)


def read_tfvars(path: Path) -> dict[str, str]:
    """String and number values of a .tfvars file (``name = "value"``)."""
    import hcl2

    try:
        document = hcl2.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the var file ({exc.__class__.__name__})") from None
    except Exception:
        raise ConfigError(f"{path}: not a valid .tfvars file") from None
    return {k: str(v).strip('"') for k, v in document.items() if isinstance(v, str | int | float)}


def _newer_botocore_warning(results: list[Result]) -> None:
    """Calls to operations the installed botocore added after the one the mapping data was built
    from: unresolved like any unmapped call, but the remedy is different, so say it once, by name."""
    from policygen import mapping

    newer = mapping.newer_botocore()
    if newer is None:
        return
    calls = sorted(
        {f"{c.service}.{c.method} ({c.location})" for r in results for c in r.analysis.calls if mapping.unknown_to_data(c)}
    )
    if calls:
        click.echo(
            f"policygen: warning: the installed botocore {newer} is newer than botocore "
            f"{mapping.data_botocore()}, which policygen's mapping data was built from; the permissions "
            f"of these calls are unknown (unresolved, nothing granted): {', '.join(calls)}. "
            "Upgrade policygen, or rebuild the data with `make mappings`",
            err=True,
        )


def _summary(result: object) -> None:
    from policygen.model import Result

    assert isinstance(result, Result)
    for error in result.errors:
        click.echo(f"policygen: error: {error} (the rest was analysed)", err=True)
    if result.analysis.empty_policy:
        click.echo(f"policygen: warning: {result.analysis.empty_policy}", err=True)
    if result.widenings:
        click.echo(
            f"policygen: {len(result.widenings)} resource(s) widened with '*'; see --explain", err=True
        )
    if result.unresolved:
        click.echo(f"policygen: {len(result.unresolved)} item(s) unresolved; see --explain", err=True)
    if result.recorded_matches:
        from policygen.render.explain import recorded_match_lines

        for line in recorded_match_lines(result.recorded_matches):
            click.echo(f"policygen: {line}", err=True)


from policygen.cli_trail import trail  # noqa: E402  (it imports helpers from here)

main.add_command(trail)

main.add_command(record_command)
main.add_command(verify_command)
