"""Deployment-aware entry point: a SAM/CloudFormation, Serverless Framework or Terraform project
-> one `Result` per function, each scoped with the names its deployment gives.

One function's problem is that function's problem: a bad handler, a missing code folder or
``--strict`` findings become a `FunctionFailure` naming it, and every other function is still
analysed. A directory with none of those files is analysed as one function (`pipeline.generate`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from policygen.deploy import cloudformation, serverless, terraform
from policygen.discover import normalize_handler
from policygen.errors import DeploymentError, PolicygenError, StrictModeError, UsageError
from policygen.model import FunctionSpec, Result, Target, Text
from policygen.options import DeployOptions
from policygen.pipeline import generate


@dataclass(frozen=True)
class FunctionResult:
    spec: FunctionSpec
    result: Result


@dataclass(frozen=True)
class FunctionFailure:
    """A function that got no policy, and why (the message names the file and what to do)."""

    spec: FunctionSpec
    message: str
    strict: bool = False  # True: --strict findings; False: an input error


@dataclass(frozen=True)
class ProjectResult:
    kind: str  # sam, serverless, terraform
    source: str  # the deployment file(s) read
    functions: tuple[FunctionResult, ...]
    skipped: tuple[FunctionSpec, ...] = ()  # declared, not analysed: each says why (`FunctionSpec.skipped`)
    failures: tuple[FunctionFailure, ...] = ()

    @property
    def declared(self) -> int:
        """How many functions were asked for (all the project's, or the one ``--function`` names)."""
        return len(self.functions) + len(self.failures)


def read_functions(
    root: Path, target: Target, options: DeployOptions
) -> tuple[str, str, list[FunctionSpec]] | None:
    """The functions the deployment files under ``root`` declare, or None if there are none."""
    template = cloudformation.find_template(root)
    if template is not None:
        specs = cloudformation.read(template, target, options.stack_name, options.parameter_overrides, root)
        return "sam", template.name, specs
    sls = serverless.find(root)
    if sls is not None:
        return "serverless", sls.name, serverless.read(sls, target, options.stage, root)
    if terraform.has_terraform(root):
        specs = terraform.read(root, target, options.variables or {})
        if specs:
            return "terraform", "*.tf", specs
    return None


def generate_project(
    path: str | Path,
    *,
    function: str | None = None,
    handler: str | None = None,
    environment: Mapping[str, str] | None = None,
    target: Target | None = None,
    options: DeployOptions | None = None,
    kms_keys: tuple[str, ...] = (),
    **kwargs: Any,
) -> ProjectResult | None:
    """Every function the deployment files under ``path`` declare, analysed; None if there are
    no deployment files. ``handler`` replaces the handler of the one function analysed (the
    project's only one, or ``function``). A function that cannot be analysed is a failure in the
    result, not an exception. ``kwargs`` go to `pipeline.generate` for each function."""
    root = Path(path)
    if not root.is_dir():
        return None
    target = target or Target()
    found = read_functions(root, target, options or DeployOptions())
    if found is None:
        return None
    kind, source, specs = found
    specs = [replace(s, handler=normalize_handler(s.handler)) if s.handler else s for s in specs]
    if function is not None:
        chosen = [s for s in specs if function in (s.name, s.name.split(".")[-1])]
        if not chosen:
            names = ", ".join(s.name for s in specs)
            raise UsageError(f"--function {function}: {source} declares no such function (it has {names})")
        specs = chosen
    skipped = tuple(s for s in specs if s.skipped is not None)
    if len(skipped) == len(specs):
        listed = "; ".join(f"{s.name}: {s.skipped}" for s in skipped)
        raise DeploymentError(f"{source}: no function whose code policygen can analyse ({listed})")
    if handler is not None:
        analysable = [s for s in specs if s.skipped is None]
        if len(analysable) != 1:
            names = ", ".join(s.name for s in analysable)
            raise UsageError(
                f"--handler {handler}: {source} declares {len(analysable)} functions ({names}); "
                "say whose handler it replaces with --function NAME"
            )
        specs = [replace(analysable[0], handler=normalize_handler(handler))]
    results = []
    failures = []
    for spec in specs:
        if spec.skipped is not None:
            continue
        if spec.error is not None:
            failures.append(FunctionFailure(spec, spec.error))
            continue
        env: dict[str, str | tuple[Text, ...]] = dict(spec.environment)
        env.update(environment or {})
        try:
            result = generate(
                spec.bundle or root / spec.code_dir,
                handler=spec.handler,
                environment=env,
                target=target,
                kms_keys=tuple(spec.kms_keys) + kms_keys,
                platform=spec.platform,
                platform_widenings=spec.platform_widenings,
                triggers=spec.triggers,
                **kwargs,
            )
        except StrictModeError as exc:
            failures.append(FunctionFailure(spec, f"{spec.source}: {exc}", strict=True))
            continue
        except PolicygenError as exc:
            failures.append(FunctionFailure(spec, f"{spec.source}: {exc}"))
            continue
        results.append(FunctionResult(spec, result))
    return ProjectResult(kind, source, tuple(results), skipped, tuple(failures))
