"""Deployment-aware entry point: a SAM/CloudFormation, Serverless Framework or Terraform project
-> one `Result` per function, each scoped with the names its deployment gives.

One function's problem is that function's problem: a bad handler, a missing code folder or
``--strict`` findings become a `FunctionFailure` naming it, and every other function is still
analysed. A directory with none of those files is analysed as one function (`pipeline.generate`).
Each function is a `Subject` for the evidence sources, run by `pipeline.analyse`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from pathlib import Path

from policygen.compare import Comparison, compare
from policygen.deploy import cloudformation, serverless, terraform
from policygen.deploy.cfn_yaml import MAX_TEMPLATE_BYTES, LineDict, load_template
from policygen.discover import normalize_handler
from policygen.errors import DeploymentError, PolicygenError, StrictModeError, UsageError
from policygen.evidence import Subject, texts
from policygen.model import FunctionSpec, Result, Target, Text
from policygen.options import DeployOptions, Options
from policygen.pipeline import analyse, read_ahead
from policygen.regions import check_target


@dataclass(frozen=True)
class FunctionResult:
    spec: FunctionSpec
    result: Result

    @functools.cached_property
    def comparison(self) -> Comparison | None:
        """The role the deployment declares against what the function needs (computed once, on
        first use: by json-report; `policygen diff`/`check` run the full diff on the same
        current policy)."""
        return compare(self.spec, self.result)


@dataclass(frozen=True)
class FunctionFailure:
    """A function that got no policy, and why (the message names the file and what to do)."""

    spec: FunctionSpec
    message: str
    strict: bool = False  # True: --strict findings; False: an input error


@dataclass(frozen=True)
class Region:
    """The region the ARNs are written for and where it comes from: ``--region``, the project
    (``serverless.yml:7 provider.region``), or neither (``*``, any region); ``stated``: what the
    project states, also when ``--region`` wins over it."""

    name: str
    source: str  # "--region", a place in the project, or "" (the default)
    stated: tuple[str, str] | None = None

    def __str__(self) -> str:
        if self.source == "--region":
            stated = self.stated
            told = f"; the project states {stated[0]} ({stated[1]})" if stated and stated[0] != self.name else ""
            return f"region {self.name}, from --region{told}"
        if self.source:
            return f"region {self.name}, from {self.source} (--region overrides it)"
        return f"region {self.name}: neither --region nor the project names one"


@dataclass(frozen=True)
class ProjectResult:
    kind: str  # sam, serverless, terraform
    source: str  # the deployment file(s) read
    functions: tuple[FunctionResult, ...]
    skipped: tuple[FunctionSpec, ...] = ()  # declared, not analysed: each says why (`FunctionSpec.skipped`)
    failures: tuple[FunctionFailure, ...] = ()
    region: Region | None = None

    @property
    def declared(self) -> int:
        """How many functions were asked for (all the project's, or the one ``--function`` names)."""
        return len(self.functions) + len(self.failures)


def stated_region(root: Path, target: Target, options: DeployOptions) -> tuple[str, str] | None:
    """The region the deployment files under ``root`` state (the files `read_functions` reads),
    with where; None when they state none. ``root`` may be a template file, as for `read_functions`."""
    if root.is_file():
        if root.name in serverless.NAMES:
            return serverless.stated_region(root, target, options.stage, root.parent)
        return cloudformation.stated_region(root.parent)
    if cloudformation.find_template(root) is not None:
        return cloudformation.stated_region(root)
    sls = serverless.find(root)
    if sls is not None:
        return serverless.stated_region(sls, target, options.stage, root)
    if terraform.has_terraform(root):
        return terraform.stated_region(root, target, options.variables or {})
    if _other_templates(root):
        return cloudformation.stated_region(root)
    return None


def project_region(root: Path, target: Target, options: DeployOptions) -> tuple[Target, Region]:
    """The target with the region the ARNs are written for: ``--region`` when given, else the
    one the project states, else the target's (``*``). A stated region that is not one of the
    partition's is a `DeploymentError` naming where it is stated."""
    given = options.region_given if options.region_given is not None else target.region != "*"
    stated = stated_region(root, replace(target, region="*"), options)  # as if no --region
    if given:
        return target, Region(target.region, "--region", stated)
    if stated is None:
        return target, Region(target.region, "")
    try:
        chosen = check_target(target.partition, stated[0], target.account)
    except UsageError as exc:
        raise DeploymentError(f"{stated[1]}: {str(exc).removeprefix('--region ')}") from None
    return chosen, Region(stated[0], stated[1], stated)


def read_functions(
    root: Path, target: Target, options: DeployOptions
) -> tuple[str, str, list[FunctionSpec]] | None:
    """The functions the deployment files under ``root`` declare, or None if there are none.
    ``root`` may also be a template file (``sam deploy -t orders-service.yaml``): its folder is
    then the project's."""
    if root.is_file():
        if root.name in serverless.NAMES:
            return "serverless", root.name, serverless.read(root, target, options.stage, root.parent)
        return "sam", root.name, _template_functions(root, root.parent, target, options)
    if not root.is_dir():
        return None
    template = cloudformation.find_template(root)
    if template is not None:
        return "sam", template.name, _template_functions(template, root, target, options)
    sls = serverless.find(root)
    if sls is not None:
        return "serverless", sls.name, serverless.read(sls, target, options.stage, root)
    if terraform.has_terraform(root):
        specs = terraform.read(root, target, options.variables or {})
        if specs:
            return "terraform", "*.tf", specs
    named = _other_templates(root)
    if len(named) == 1:
        return "sam", named[0].name, _template_functions(named[0], root, target, options)
    if named:
        listed = ", ".join(t.name for t in named)
        raise UsageError(
            f"{root}: has no template.yaml, and {listed} declare Lambda functions: give the one to read "
            f"as PATH (policygen generate {root / named[0].name})"
        )
    return None


_TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
_FUNCTION_TYPE = re.compile(r"AWS::(?:Serverless|Lambda)::Function\b")
_NESTED_TYPES = ("AWS::Serverless::Application", "AWS::CloudFormation::Stack")


def _other_templates(root: Path) -> list[Path]:
    """The CloudFormation templates under another name than template.yaml in ``root`` itself
    (``orders-service.yaml``, ``rotation.yaml``) that declare a function: what ``sam deploy -t``
    or ``aws cloudformation deploy --template-file`` would be given."""
    found = []
    for path in sorted(root.iterdir()):
        if path.suffix.lower() not in _TEMPLATE_SUFFIXES or not path.is_file():
            continue
        try:
            if path.stat().st_size > MAX_TEMPLATE_BYTES:
                continue
            text = path.read_text(errors="replace")
        except OSError:
            continue
        if "Resources" in text and _FUNCTION_TYPE.search(text):
            found.append(path)
    return found


def _template_functions(
    template: Path, root: Path, target: Target, options: DeployOptions, depth: int = 0, prefix: str = ""
) -> list[FunctionSpec]:
    """The functions ``template`` declares and those of the nested applications and stacks it
    deploys from local templates (``Location: api/template.yaml``), named as SAM names them
    (``Api/GetOrdersFunction``) with their code folders relative to ``root``. A nested template
    gets the parameters its parent passes when they are known (a literal, or a parameter of the
    parent with a value); the others keep their defaults, or ``--parameter-overrides``."""
    overrides = dict(options.parameter_overrides or {})
    document = load_template(template)
    nested = _nested(document, template, root, overrides, prefix) if depth < _MAX_NESTING else []
    try:
        specs = cloudformation.read(template, target, None if depth else options.stack_name, overrides, root)
    except DeploymentError as exc:
        # A nested template may hold no function (a table's, a state machine's); the project
        # as a whole must declare one.
        if not (nested or depth) or "declares no AWS::Serverless::Function" not in str(exc):
            raise
        specs = []
    offset = template.parent.resolve().relative_to(root.resolve())
    out = [replace(s, name=prefix + s.name, code_dir=(offset / s.code_dir).as_posix()) for s in specs]
    for child in nested:
        if isinstance(child, FunctionSpec):
            out.append(child)
            continue
        logical, path, passed = child
        child_options = replace(options, parameter_overrides={**overrides, **passed})
        out.extend(_template_functions(path, root, target, child_options, depth + 1, f"{prefix}{logical}/"))
    if not out and not depth:
        raise DeploymentError(
            f"{template.name}: declares no AWS::Serverless::Function or AWS::Lambda::Function, "
            "nor do the nested templates it deploys"
        )
    return out


_MAX_NESTING = 5


def _nested(
    document: LineDict, template: Path, root: Path, overrides: dict[str, str], prefix: str
) -> list[tuple[str, Path, dict[str, str]] | FunctionSpec]:
    """The nested applications and stacks ``document`` deploys: (logical id, local template,
    the parameters passed whose values are known), or, for one whose template is not in the
    project (a URL, the Serverless Application Repository, a path outside it), a spec listing it
    as not analysed."""
    resources = document.get("Resources")
    parameters = document.get("Parameters")
    out: list[tuple[str, Path, dict[str, str]] | FunctionSpec] = []
    if not isinstance(resources, dict):
        return out
    label = template.name
    for logical, resource in resources.items():
        if not isinstance(resource, dict) or resource.get("Type") not in _NESTED_TYPES:
            continue
        properties = resource.get("Properties") or {}
        if not isinstance(properties, dict):
            continue
        location = properties.get("Location", properties.get("TemplateURL"))
        where = f"{label}:{getattr(resource, 'line', 0)}"
        path = _local_template(template, root, location)
        if path is None:
            out.append(
                FunctionSpec(
                    f"{prefix}{logical}",
                    ".",
                    None,
                    (),
                    None,
                    (),
                    where,
                    skipped=f"a nested {resource.get('Type')} whose template ({_shown(location)}) is not a file "
                    "in the project folder: its functions are not analysed (run policygen on that template)",
                )
            )
            continue
        passed = {}
        given = properties.get("Parameters") or {}
        for name, value in given.items() if isinstance(given, dict) else ():
            known = _known_parameter(value, parameters, overrides)
            if known is not None:
                passed[str(name)] = known
        out.append((str(logical), path, passed))
    return out


def _local_template(template: Path, root: Path, location: object) -> Path | None:
    if not isinstance(location, str) or "://" in location or location.startswith("s3:"):
        return None
    path = (template.parent / location).resolve()
    if path.is_dir():
        path = cloudformation.find_template(path) or path
    try:
        path.relative_to(root.resolve())
    except ValueError:
        return None
    return path if path.is_file() else None


def _known_parameter(value: object, parameters: object, overrides: dict[str, str]) -> str | None:
    """A nested template's parameter value as its parent passes it, when known: a literal, or a
    ``!Ref`` to a parent parameter that has an override or a default."""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, dict) and set(value) == {"Ref"} and isinstance(value["Ref"], str):
        name = value["Ref"]
        if name in overrides:
            return overrides[name]
        declared = parameters.get(name) if isinstance(parameters, dict) else None
        default = declared.get("Default") if isinstance(declared, dict) else None
        if isinstance(default, (str, int, float)) and not isinstance(default, bool):
            return str(default)
    return None


def _shown(location: object) -> str:
    return location if isinstance(location, str) else "given by an expression"


def _with_python_handler(spec: FunctionSpec, root: Path) -> FunctionSpec:
    """The spec with its handler in the dotted form, or listed as not analysed when the handler
    is a file of the package that is not Python (``run.sh`` started by an exec wrapper such as the
    Lambda Web Adapter's, ``bootstrap`` of a custom runtime): Lambda runs that file, not a Python
    ``module.function``, so there is no Python entry point to analyse."""
    if not spec.handler or spec.skipped is not None or spec.error is not None:
        return spec
    handler = spec.handler.strip()
    module_path = normalize_handler(handler).rpartition(".")[0].replace(".", "/")
    candidates = {handler} | ({module_path + ".py", module_path + "/__init__.py"} if module_path else set())
    if spec.bundle is not None:
        names = {f.path for f in spec.bundle.files}
        present = {c for c in candidates if c in names}
    else:
        present = {c for c in candidates if (root / spec.code_dir / c).is_file()}
    is_module = bool(present - {handler})
    wrapped = any(name == "AWS_LAMBDA_EXEC_WRAPPER" for name, _ in spec.environment)
    if not is_module and (handler in present or wrapped):
        return replace(
            spec,
            skipped=f"its handler {handler} is not a Python module.function but "
            + ("a file of its code that is not Python" if handler in present else "what its exec wrapper runs")
            + " (a script run by an exec wrapper, or a custom runtime's bootstrap): no Python entry point to analyse",
        )
    return replace(spec, handler=normalize_handler(handler))


def generate_project(path: str | Path, options: Options | None = None) -> ProjectResult | None:
    """Every function the deployment files under ``path`` declare, analysed; None if there are
    no deployment files. ``options.handler`` replaces the handler of the one function analysed
    (the project's only one, or ``options.function``). A function that cannot be analysed is a
    failure in the result, not an exception."""
    options = options or Options()
    given = Path(path)
    if given.is_file() and given.suffix.lower() in _TEMPLATE_SUFFIXES:
        root = given.parent  # a template file: its folder is the project's
    elif given.is_dir():
        root = given
    else:
        return None
    target, region = project_region(given, options.target, options.deploy)
    options = replace(options, target=target)
    found = read_functions(given, options.target, options.deploy)
    if found is None:
        return None
    kind, source, specs = found
    function, handler = options.function, options.handler
    # --handler names the Python entry point itself (the app behind a wrapper script, say).
    specs = [_with_python_handler(s, root) if handler is None else s for s in specs]
    if function is not None:
        chosen = [s for s in specs if function in (s.name, s.name.split(".")[-1], s.name.split("/")[-1])]
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
    subjects = {i: subject(root, s, options) for i, s in enumerate(specs) if s.skipped is None and s.error is None}
    read_ahead(list(subjects.values()), options)  # a trail is read once for every function
    for i, spec in enumerate(specs):
        if spec.skipped is not None:
            continue
        if spec.error is not None:
            failures.append(FunctionFailure(spec, spec.error))
            continue
        try:
            result = analyse(subjects[i], options)
        except StrictModeError as exc:
            failures.append(FunctionFailure(spec, f"{spec.source}: {exc}", strict=True))
            continue
        except PolicygenError as exc:
            failures.append(FunctionFailure(spec, f"{spec.source}: {exc}"))
            continue
        results.append(FunctionResult(spec, result))
    return ProjectResult(kind, source, tuple(results), skipped, tuple(failures), region)


def subject(root: Path, spec: FunctionSpec, options: Options) -> Subject:
    """What the evidence sources are asked about for ``spec``: its code, handler, environment
    (the deployment file's, under the options'), the keys of both and the deployment's facts."""
    environment: dict[str, str | tuple[Text, ...]] = dict(spec.environment)
    environment.update(options.environment)
    return Subject(
        name=spec.name,
        code=spec.bundle or root / spec.code_dir,
        handler=spec.handler,
        environment=texts(environment),
        target=options.target,
        kms_keys=tuple(spec.kms_keys) + options.kms_keys,
        triggers=spec.triggers,
        deployment=spec,
    )
