"""Code evidence: the static analysis of a function's Python.

    discover -> extract -> resolve -> map (rules, mapping) -> scope

Consumes a `Subject` (its code folder or bundle, handler, environment, triggers, KMS keys,
target); produces `CodeFindings`: permissions whose `Evidence` (kind ``code``) is the call's
source position, widenings, unresolved items, unreadable files, and the `Analysis` (calls found,
files read) and the calls the handler cannot reach. Nothing here prints or exits.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import networkx as nx

from policygen.discover import HANDLER_NAMES, Discovery, SourceFile, discover
from policygen.errors import UsageError
from policygen.evidence import Findings, Subject
from policygen.extract import extract, ir
from policygen.mapping import Unmapped
from policygen.model import (
    Analysis,
    CodeBundle,
    EvidenceKind,
    Excluded,
    FileError,
    Location,
    OtherPrincipal,
    Permission,
    SdkCall,
    Target,
    Text,
    Trigger,
    Unresolved,
    Widening,
)
from policygen.resolve.event import event_value
from policygen.resolve.interpreter import MODULE_SCOPE, UNREACHABLE_SUFFIX, Program
from policygen.rules import ProgramContext, program_context, requirements
from policygen.scope import scope
from policygen.synthesize import merge_permissions, synthesize


@dataclass(frozen=True)
class CodeFindings:
    """The code source's `Findings`, with what only it knows: the analysis and unreachable calls."""

    findings: Findings
    analysis: Analysis
    unreachable: tuple[SdkCall, ...]  # calls the handler cannot reach (granted only when asked)
    other_principals: tuple[OtherPrincipal, ...] = ()  # calls made with other credentials


@dataclass(frozen=True)
class CodeSource:
    """The static analysis as an evidence source. ``include_unreachable`` grants the calls the
    handler cannot reach; ``cache_dir`` and ``jobs`` tune the extract stage."""

    include_unreachable: bool = False
    cache_dir: Path | None = None
    jobs: int | None = None

    @property
    def kind(self) -> EvidenceKind:
        return EvidenceKind.CODE

    def collect(self, subject: Subject) -> Findings:
        return self.analyse(subject).findings

    def analyse(self, subject: Subject) -> CodeFindings:
        root = subject.code
        found = _admit_handler(discover(root), subject.handler)
        if not found.sources:
            raise UsageError(f"{root}: no Python files found; give the folder that holds the function's code")
        with _no_cyclic_gc():
            return _analyse(
                root,
                found,
                subject.handler,
                subject.environment,
                subject.target,
                self.include_unreachable,
                self.cache_dir,
                self.jobs,
                subject.kms_keys,
                subject.triggers,
            )


def _admit_handler(found: Discovery, handler: str | None) -> Discovery:
    """Tests and setup.py are set aside, unless the handler is one of them (a function deployed
    from ``test_lambda.py``) or they are all the folder holds."""
    if not found.set_aside:
        return found
    if not found.sources:
        admitted = found.set_aside
    elif handler:
        module = handler.rpartition(".")[0]
        admitted = tuple(s for s in found.set_aside if s.module == module or s.module.endswith("." + module))
    else:
        return found
    paths = {s.path for s in admitted}
    return Discovery(
        tuple(sorted(found.sources + admitted, key=lambda s: s.path)),
        tuple(e for e in found.excluded if e.path not in paths),
        tuple(s for s in found.set_aside if s.path not in paths),
    )


def _analyse(
    root: Path | CodeBundle,
    found: Discovery,
    handler: str | None,
    environment: Mapping[str, tuple[Text, ...]],
    target: Target,
    include_unreachable: bool,
    cache_dir: Path | None,
    jobs: int | None,
    kms_keys: tuple[str, ...],
    triggers: tuple[Trigger, ...],
) -> CodeFindings:
    sources = found.sources
    outcomes = extract(sources, cache_dir=cache_dir, jobs=jobs)
    modules = {o.name: o for o in outcomes if isinstance(o, ir.ModuleIR)}
    errors = tuple(sorted((o for o in outcomes if isinstance(o, FileError)), key=lambda e: (e.path, e.line)))
    handler_module, handler_function = _find_handler(root, modules, handler, _unparsed(sources, errors))
    event = event_value(triggers, target.partition)
    arguments = {}
    if event is not None and handler_module and handler_function:
        arguments[(handler_module, handler_function)] = (event,)  # the handler's first parameter
    entries = [(handler_module, handler_function)] if handler_module and handler_function else []
    resolution = Program(modules, environment, arguments, entries).run()

    reachable = _reachable(resolution.graph, handler_module, handler_function)
    calls: list[SdkCall] = []
    unreachable: list[SdkCall] = []
    for call, where in resolution.calls:
        if _reaches(reachable, where):
            calls.append(call)
        else:
            unreachable.append(call)
    # A call the handler reaches is not also listed as unreachable because a local runner or a
    # script reaches it too.
    reached = {(c.location, c.label) for c in calls}
    unreachable = [c for c in unreachable if (c.location, c.label) not in reached]
    unresolved = [
        u for u, where in resolution.unresolved if _reaches(reachable, where) or include_unreachable
    ]
    partial = sorted((m for m in modules.values() if m.names_only), key=lambda m: m.path)
    unresolved.extend(
        Unresolved(
            f"{m.names_only}; it names boto3, botocore or an AWS library, so AWS calls made inside it are "
            "not found: split the module, or check its calls by hand",
            Location(m.path, 1),
        )
        for m in partial
        if m.mentions_aws
    )
    excluded = found.excluded + tuple(Excluded(m.path, m.names_only) for m in partial if not m.mentions_aws)
    if resolution.exhausted:
        unresolved.append(
            Unresolved(
                f"the analysis stopped at its evaluation budget with {resolution.exhausted} function(s) still to "
                "revisit: calls found are granted, values that would have flowed further may be missing",
                Location(str(root), 0),
            )
        )
    if include_unreachable:
        calls.extend(unreachable)

    context = program_context(calls)
    own = [c for c in calls if c.principal is None]
    permissions, widenings = _permissions(own, kms_keys, target, context, unresolved)
    others = []
    for principal in sorted({c.principal for c in calls if c.principal is not None}):
        made_as = [c for c in calls if c.principal == principal]
        needed, widened = _permissions(
            made_as, kms_keys, _principal_target(principal, target), context, unresolved
        )
        merged = merge_permissions(needed)
        others.append(
            OtherPrincipal(principal, tuple(made_as), synthesize(merged), merged, tuple(sorted(set(widened))))
        )
    empty_policy = _empty_policy(
        own, unreachable, permissions, include_unreachable, handler_module, handler_function
    )
    if empty_policy is not None:
        handler_ir = modules[handler_module] if handler_module else None
        unresolved.append(
            Unresolved(
                empty_policy,
                Location(handler_ir.path, _line_of(handler_ir, handler_function))
                if handler_ir
                else Location(str(root), 0),
            )
        )
    analysis = Analysis(
        str(root),
        f"{handler_module}.{handler_function}" if handler_module else None,
        tuple(calls),
        tuple(unresolved),
        errors,
        len(sources),
        sum(m.lines for m in modules.values()),
        excluded,
        empty_policy,
    )
    return CodeFindings(
        Findings(tuple(permissions), tuple(widenings), tuple(unresolved), errors),
        analysis,
        tuple(unreachable) if not include_unreachable else (),
        tuple(others),
    )


def _principal_target(principal: str, target: Target) -> Target:
    """A role in another account works on that account's resources: its ARNs name it."""
    parts = principal.split(":")
    if len(parts) >= 6 and parts[0] == "arn" and parts[2] == "iam" and parts[4].isdigit():
        return replace(target, account=parts[4])
    return target


def _permissions(
    calls: list[SdkCall],
    kms_keys: tuple[str, ...],
    target: Target,
    context: ProgramContext,
    unresolved: list[Unresolved],
) -> tuple[list[Permission], list[Widening]]:
    """What ``calls`` need, scoped; what cannot be mapped goes to ``unresolved``."""
    permissions: list[Permission] = []
    widenings: list[Widening] = []
    for call in calls:
        outcome = requirements(call, kms_keys, target.region, context)
        if isinstance(outcome, Unmapped):
            unresolved.append(Unresolved(outcome.reason, call.location, call.label))
            continue
        unresolved.extend(outcome.notes)
        for requirement in outcome.requirements:
            scoped = scope(requirement.call, requirement.need, target, requirement.conditions)
            permissions.extend(scoped.permissions)
            widenings.extend(scoped.widenings)
            if call.computed_from:
                reason = (
                    f"the method is named at run time: one of {', '.join(call.computed_from)}; "
                    "each is granted, though one run calls only one"
                )
                widenings.extend(
                    Widening(p.action, p.resource, reason, call.location) for p in scoped.permissions
                )
    return permissions, widenings


def _empty_policy(
    calls: list[SdkCall],
    unreachable: list[SdkCall],
    permissions: list[Permission],
    include_unreachable: bool,
    module: str | None,
    function: str | None,
) -> str | None:
    """Why the code's own policy is empty although it visibly calls AWS, or None: an empty policy
    is then a defect of the analysis or of its input, never a result to hand out silently."""
    if permissions:
        return None
    if calls:
        first = min(calls, key=lambda c: c.location)
        return (
            f"the code makes {len(calls)} AWS call(s) (first {first.label} at {first.location}) but none maps "
            "to a permission: the policy grants nothing for them; see the unresolved items"
        )
    if unreachable and not include_unreachable:
        first = min(unreachable, key=lambda c: c.location)
        return (
            f"none of the code's {len(unreachable)} AWS call(s) (first {first.label} at {first.location}) is "
            f"reachable from the handler {module}.{function}: the policy is empty; check the handler "
            "(--handler MODULE.FUNCTION) or grant them with --include-unreachable"
        )
    return None


def _line_of(module: ir.ModuleIR, function: str | None) -> int:
    return next((s.line for s in module.body if isinstance(s, ir.FunctionDef) and s.name == function), 0)


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """The IR and the resolver's values are millions of small acyclic objects: the cyclic
    collector's passes over them cost a third of a warm run and free nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _unparsed(sources: tuple[SourceFile, ...], errors: tuple[FileError, ...]) -> dict[str, FileError]:
    """Module name -> why its file could not be analysed (a syntax error, not UTF-8...)."""
    by_path = {e.path: e for e in errors}
    return {s.module: by_path[s.path] for s in sources if s.path in by_path}


def _find_handler(
    root: Path | CodeBundle,
    modules: Mapping[str, ir.ModuleIR],
    handler: str | None,
    unparsed: Mapping[str, FileError],
) -> tuple[str | None, str | None]:
    def defines(module: ir.ModuleIR, name: str) -> bool:
        return any(isinstance(s, ir.FunctionDef) and s.name == name for s in module.body)

    if handler:
        module_name, _, function = handler.rpartition(".")
        if module_name not in modules and module_name not in unparsed:
            # A code folder that is a package: its modules carry its name.
            module_name = next(
                (m for m in (*modules, *unparsed) if m.endswith("." + module_name)), module_name
            )
        if not module_name or not function:
            raise UsageError(
                f"--handler {handler}: expected MODULE.FUNCTION, as in Lambda's handler setting (app.lambda_handler)"
            )
        module = modules.get(module_name)
        if module is None and module_name in unparsed:
            # The file is there but does not parse: say that, not that the module is missing.
            raise UsageError(
                f"{unparsed[module_name]}; it holds the handler {handler} (code under {root}), so this function cannot be "
                "analysed: fix the file and run again"
            )
        if module is None:
            raise UsageError(
                f"--handler {handler}: no module {module_name} under {root} (looked for {module_name.replace('.', '/')}.py)"
            )
        if not defines(module, function):
            raise UsageError(
                f"{module.path}: defines no top-level function {function}() (from --handler {handler})"
            )
        return module_name, function
    candidates = [
        (m.name, n)
        for m in sorted(modules.values(), key=lambda m: m.path)
        for n in HANDLER_NAMES
        if defines(m, n)
    ]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        return None, None  # no handler: every function counts as reachable
    listed = ", ".join(f"{m}.{f}" for m, f in candidates)
    raise UsageError(
        f"{root}: several possible handlers ({listed}); choose one with --handler MODULE.FUNCTION"
    )


def _reaches(reachable: set[tuple[str, str]] | None, where: tuple[str, str]) -> bool:
    """Whether the handler reaches code recorded under ``where`` (statements that never run
    are never reached, with or without a handler)."""
    if where[1].endswith(UNREACHABLE_SUFFIX):
        return False
    return reachable is None or where in reachable


def _reachable(graph: nx.DiGraph, module: str | None, function: str | None) -> set[tuple[str, str]] | None:
    if module is None or function is None:
        return None
    roots = [(module, MODULE_SCOPE), (module, function)]
    seen: set[tuple[str, str]] = set()
    for root in roots:
        if root in graph:
            seen.add(root)
            seen.update(nx.descendants(graph, root))
    return seen
