"""Recorded calls in a project (SAM/CloudFormation, Serverless, Terraform): whose call is whose.

A recorded call belongs to the function whose code folder holds its call site. Functions sharing
one folder (SAM's ``CodeUri: src/`` with one handler each) are told apart by the stack: a call
made under a function's handler (its ``module.function`` frame is on the stack) is that
function's alone. A call made in a shared folder with no handler on its stack (a test calling a
helper directly) belongs to every function of that folder: `shared` says so, for the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from policygen.discover import normalize_handler
from policygen.errors import UsageError
from policygen.model import Target
from policygen.options import DeployOptions
from policygen.record.observed import RecordedCall

Entry = tuple[str, str]  # (the handler module's resolved file, the handler function's name)


@dataclass(frozen=True)
class FunctionCode:
    """One function of a project, as recording needs it: its name, code folder and handler."""

    name: str
    code: Path
    entry: Entry | None


def entry_of(code: Path, handler: str | None) -> Entry | None:
    """The frame Lambda enters ``code`` by: the handler's module file and function."""
    if not handler or "." not in handler:
        return None
    module, _, function = normalize_handler(handler).rpartition(".")
    base = code / module.replace(".", "/")
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return (str(candidate.resolve()), function)
    return None


def functions(root: Path, function: str | None = None) -> tuple[FunctionCode, ...] | None:
    """The functions the deployment files under ``root`` declare whose code is a folder (all, or
    the one ``function`` names); None when ``root`` is not a project."""
    from policygen.project import read_functions

    if not root.is_dir():
        return None
    found = read_functions(root, Target(), DeployOptions())
    if found is None:
        return None
    _, source, specs = found
    if function is not None:
        chosen = [s for s in specs if function in (s.name, s.name.split(".")[-1])]
        if not chosen:
            names = ", ".join(s.name for s in specs)
            raise UsageError(f"--function {function}: {source} declares no such function (it has {names})")
        specs = chosen
    out = []
    for spec in specs:
        if spec.bundle is not None or spec.skipped is not None or spec.error is not None:
            continue
        code = (root / spec.code_dir).resolve()
        if code.is_dir():
            out.append(FunctionCode(spec.name, code, entry_of(code, spec.handler)))
    if not out:
        raise UsageError(f"{source}: no function with a code folder to record (--function chooses one)")
    return tuple(out)


def stack_entries(call: RecordedCall, cwd: Path, entries: frozenset[Entry]) -> set[Entry]:
    return {e for e in ((str((cwd / f.file).resolve()), f.function) for f in call.stack) if e in entries}


def attributed(
    call: RecordedCall, cwd: Path, code: Path, own: Entry | None, entries: frozenset[Entry]
) -> bool:
    """Whether ``call`` is the call of the function with code folder ``code`` and handler ``own``
    (``entries``: every handler of the project)."""
    if call.site is None:
        return False
    site = (cwd / call.site.file).resolve()
    if code.resolve() not in site.parents:
        return False
    on_stack = stack_entries(call, cwd, entries)
    if on_stack and own is not None:
        return own in on_stack
    return True


def entries_of(found: Sequence[FunctionCode]) -> frozenset[Entry]:
    return frozenset(f.entry for f in found if f.entry is not None)
