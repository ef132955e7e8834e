"""Run a test command with the recorder installed and collect what it saw (record stage, parent side).

Consumes a command line and the analysed code folders; produces a `Recording`. The child gets a
temporary folder first on ``PYTHONPATH`` holding ``sitecustomize.py`` (which chains to any
``sitecustomize`` already there) and the recorder `policygen.record.hook`; nothing of the user's
code or environment is edited. When the command itself starts Python with ``-S``, ``-E`` or ``-I``
(which skip ``PYTHONPATH``/``sitecustomize``), it is started through a bootstrap that installs the
recorder first (`policygen.record.launch`); interpreters started so deeper down are not recorded,
and the `Recording` counts the processes that did start the recorder, so the CLI can say so.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from policygen.errors import UsageError
from policygen.record import hook, launch
from policygen.record.observed import FUNCTION, SETUP, Frame, RecordedCall, Recording, RecordingError


def _display(path: str, cwd: Path) -> str:
    try:
        return Path(path).relative_to(cwd.resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


def _frame(raw: dict[str, Any], cwd: Path) -> Frame:
    return Frame(_display(str(raw["file"]), cwd), int(raw["line"]), str(raw["function"]))


def _test_id(raw: Any) -> str | None:
    if not isinstance(raw, str):
        return None
    node, _, _phase = raw.rpartition(" (")  # pytest appends " (setup)", " (call)", " (teardown)"
    return node or raw


def call_of(raw: dict[str, Any], cwd: Path) -> RecordedCall:
    """One call as the recorder wrote it (a JSON line), its paths relative to ``cwd``."""
    stack = tuple(_frame(f, cwd) for f in raw.get("frames", []))
    parameters = []
    for name, value in sorted(raw.get("parameters", {}).items()):
        parameters.append((name, tuple(value) if isinstance(value, list) else str(value)))
    return RecordedCall(
        service=str(raw["service"]),
        operation=str(raw["operation"]),
        method=str(raw["method"]),
        region=raw.get("region"),
        parameters=tuple(parameters),
        origin=FUNCTION if stack else SETUP,
        test=_test_id(raw.get("test")),
        site=stack[0] if stack else None,
        stack=stack,
    )


def _order(call: RecordedCall) -> tuple[object, ...]:
    """Sort key: the region and the test may be None (a call made while pytest collects, a client
    without a region), which does not compare with text."""
    site = (call.site.file, call.site.line, call.site.function) if call.site else ("", 0, "")
    stack = tuple((f.file, f.line, f.function) for f in call.stack)
    return (
        call.service,
        call.operation,
        call.region or "",
        call.parameters,
        call.origin,
        call.test or "",
        site,
        stack,
    )


def collect(lines: str, cwd: Path, source: str) -> tuple[RecordedCall, ...]:
    """The calls in the recorder's JSON lines, identical ones merged (with their count) and sorted."""
    counts: Counter[RecordedCall] = Counter()
    for number, line in enumerate(lines.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            if not isinstance(raw, dict) or "service" not in raw:
                continue  # a verdict line (verify), not a call
            call = call_of(raw, cwd)
        except (ValueError, KeyError, TypeError) as exc:
            raise RecordingError(f"{source}:{number}: a recorded call is unreadable ({exc})") from None
        counts[call] += 1
    out = []
    for call, count in sorted(counts.items(), key=lambda item: _order(item[0])):
        out.append(replace(call, count=count))
    return tuple(out)


class Session(Protocol):
    """What `verify` adds to a recording run (`policygen.record.enforce.VerifySession`)."""

    def start(self, folder: Path, cwd: Path) -> dict[str, str]:
        """Set up in the run's private folder; the environment variables the child gets."""
        ...

    def stop(self, lines: str, cwd: Path) -> None:
        """The run is over: read what the child wrote besides its calls."""
        ...


def record(
    command: Sequence[str],
    roots: Sequence[Path],
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    session: Session | None = None,
) -> Recording:
    """Run ``command`` (its output goes to this process's stdout/stderr) and return every botocore
    call its Python processes made. The command's failure is recorded, not raised: failing tests
    still show which calls they made. ``session`` (verify) judges the calls during the run."""
    if not command:
        raise UsageError(
            "no command to run: give it after `--`, e.g. `policygen record --out FILE -- pytest`"
        )
    where = (cwd or Path.cwd()).resolve()
    for root in roots:
        if not root.is_dir():
            raise UsageError(f"--package {root}: not a directory; give the function's code folder")
    environment = dict(os.environ if env is None else env)
    with tempfile.TemporaryDirectory(prefix="policygen-record-") as tmp:
        folder = Path(tmp)
        package = resources.files("policygen.record")
        (folder / "_policygen_record_hook.py").write_text(
            package.joinpath("hook.py").read_text(encoding="utf-8"), encoding="utf-8"
        )
        (folder / "sitecustomize.py").write_text(
            package.joinpath("sitecustomize.py").read_text(encoding="utf-8"), encoding="utf-8"
        )
        calls_file = folder / "calls.jsonl"
        calls_file.touch()
        existing = environment.get("PYTHONPATH")
        environment["PYTHONPATH"] = tmp + (os.pathsep + existing if existing else "")
        environment[hook.RECORD_FILE] = str(calls_file)
        environment[hook.ROOTS] = os.pathsep.join(str(r.resolve()) for r in roots)
        for name in (hook.SOCKET, hook.POLICY):  # only verify's own session sets these
            environment.pop(name, None)
        if session is not None:
            environment.update(session.start(folder, where))
        lines = ""
        notes: tuple[str, ...] = ()
        started = launch.parse(command)
        run = list(command)
        if started is not None:
            run = list(started.command(folder))
            notes = (
                f"{Path(command[0]).name} was started with {', '.join(started.skipping)}, which skips the "
                "start-up hook: policygen started it through a bootstrap that installs the recorder first "
                "(your options are kept)",
            )
        try:
            completed = subprocess.run(run, cwd=where, env=environment, check=False)
        except OSError as exc:
            raise UsageError(
                f"cannot run {command[0]!r}: {exc.strerror or exc}; check the command after `--`"
            ) from None
        finally:
            lines = calls_file.read_text(encoding="utf-8")
            if session is not None:
                session.stop(lines, where)
        calls = collect(lines, where, str(calls_file))
    processes = _processes(lines)
    return Recording(
        command=tuple(command),
        exit_code=completed.returncode,
        roots=tuple(_display(str(r.resolve()), where) for r in roots),
        calls=calls,
        processes=len(processes),
        botocore_processes=sum(processes.values()),
        notes=notes,
    )


def _processes(lines: str) -> dict[int, bool]:
    """The processes that started the recorder: pid -> whether it could import botocore."""
    seen: dict[int, bool] = {}
    for line in lines.splitlines():
        try:
            raw = json.loads(line)
        except ValueError:
            continue
        if isinstance(raw, dict) and isinstance(raw.get("process"), int):
            seen[raw["process"]] = seen.get(raw["process"], False) or raw.get("botocore") is True
    return seen
