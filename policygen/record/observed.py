"""The recorded calls (record stage): the values and their versioned JSON file.

`policygen record` writes one file (``.policygen/observed.json`` by convention); ``generate
--observed`` and ``verify`` read it. The file is validated on reading: a wrong kind, version or
shape is a `RecordingError` naming the file and the call, never a traceback.

File format, version 1::

    {"format": "policygen-observed", "version": 1,
     "command": ["pytest", "tests/"], "exit_code": 0,
     "roots": ["fn"],                      # the analysed code folders (relative to the run's cwd)
     "calls": [{"service": "s3", "operation": "PutObject", "method": "put_object",
                "region": "us-east-1", "parameters": {"Bucket": "b", "Key": "k"},
                "origin": "function" | "setup", "test": "tests/test_x.py::test_a",
                "site": {"file": "fn/app.py", "line": 12, "function": "save"} | null,
                "stack": [<site>, ...], "count": 2}, ...]}

``origin`` is ``function`` when a frame of the analysed code is on the stack (``site`` is the
innermost one), ``setup`` otherwise (fixtures and test bodies talking to AWS themselves).
Identical calls are merged with a ``count``, and calls are sorted, so a rerun writes the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policygen.errors import PolicygenError

FORMAT = "policygen-observed"
VERSION = 1
FUNCTION = "function"
SETUP = "setup"


class RecordingError(PolicygenError):
    """A recording file is unreadable or not in the format this version reads."""


@dataclass(frozen=True, order=True)
class Frame:
    file: str  # posix path, relative to the run's cwd when under it
    line: int
    function: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line} ({self.function})"


@dataclass(frozen=True, order=True)
class RecordedCall:
    service: str  # boto3 client name
    operation: str  # API operation, "PutObject"
    method: str  # client method, "put_object"
    region: str | None
    parameters: tuple[tuple[str, str | tuple[str, ...]], ...]  # resource-naming parameters only
    origin: str  # FUNCTION or SETUP
    test: str | None  # pytest's node id, when pytest ran it
    site: Frame | None
    stack: tuple[Frame, ...]
    count: int = 1

    @property
    def label(self) -> str:
        return f"{self.service}.{self.method}"


@dataclass(frozen=True)
class Recording:
    command: tuple[str, ...]
    exit_code: int
    roots: tuple[str, ...]
    calls: tuple[RecordedCall, ...]
    # about the run, for its report (not in the file): the Python processes that started the
    # recorder (those that could import botocore), and what policygen did to the command
    processes: int = field(default=0, compare=False)
    botocore_processes: int = field(default=0, compare=False)
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def function_calls(self) -> tuple[RecordedCall, ...]:
        return tuple(c for c in self.calls if c.origin == FUNCTION)


def _frame_json(frame: Frame) -> dict[str, Any]:
    return {"file": frame.file, "line": frame.line, "function": frame.function}


def to_json(recording: Recording) -> str:
    calls = []
    for call in recording.calls:
        calls.append(
            {
                "service": call.service,
                "operation": call.operation,
                "method": call.method,
                "region": call.region,
                "parameters": {k: list(v) if isinstance(v, tuple) else v for k, v in call.parameters},
                "origin": call.origin,
                "test": call.test,
                "site": _frame_json(call.site) if call.site else None,
                "stack": [_frame_json(f) for f in call.stack],
                "count": call.count,
            }
        )
    document = {
        "format": FORMAT,
        "version": VERSION,
        "command": list(recording.command),
        "exit_code": recording.exit_code,
        "roots": list(recording.roots),
        "calls": calls,
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def _require(value: Any, kind: type | tuple[type, ...], where: str, what: str) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise RecordingError(f"{where}: {what} is missing or of the wrong type; record the tests again")
    return value


def _frame(value: Any, where: str) -> Frame:
    _require(value, dict, where, "a call site")
    return Frame(
        _require(value.get("file"), str, where, "'file'"),
        _require(value.get("line"), int, where, "'line'"),
        _require(value.get("function"), str, where, "'function'"),
    )


def _parameter(value: Any, where: str) -> str | tuple[str, ...]:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise RecordingError(f"{where}: a parameter value must be a string or a list of strings")


def _call(value: Any, where: str) -> RecordedCall:
    _require(value, dict, where, "the call")
    parameters = _require(value.get("parameters", {}), dict, where, "'parameters'")
    origin = value.get("origin")
    if origin not in (FUNCTION, SETUP):
        raise RecordingError(f"{where}: 'origin' must be {FUNCTION!r} or {SETUP!r}")
    site = value.get("site")
    return RecordedCall(
        service=_require(value.get("service"), str, where, "'service'"),
        operation=_require(value.get("operation"), str, where, "'operation'"),
        method=_require(value.get("method"), str, where, "'method'"),
        region=_require(value.get("region"), (str, type(None)), where, "'region'"),
        parameters=tuple(sorted((str(k), _parameter(v, f"{where}: {k}")) for k, v in parameters.items())),
        origin=origin,
        test=_require(value.get("test"), (str, type(None)), where, "'test'"),
        site=None if site is None else _frame(site, f"{where}: site"),
        stack=tuple(
            _frame(f, f"{where}: stack") for f in _require(value.get("stack", []), list, where, "'stack'")
        ),
        count=_require(value.get("count", 1), int, where, "'count'"),
    )


def parse(text: str, source: str) -> Recording:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordingError(
            f"{source}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}); record the tests again"
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise RecordingError(f'{source}: not a policygen recording (no "format": "{FORMAT}")')
    version = document.get("version")
    if version != VERSION:
        raise RecordingError(
            f"{source}: recording format version {version!r}; this policygen reads version {VERSION}: "
            "record the tests again with this version"
        )
    calls = _require(document.get("calls"), list, source, "'calls'")
    return Recording(
        command=tuple(str(c) for c in _require(document.get("command", []), list, source, "'command'")),
        exit_code=_require(document.get("exit_code", 0), int, source, "'exit_code'"),
        roots=tuple(str(r) for r in _require(document.get("roots", []), list, source, "'roots'")),
        calls=tuple(_call(c, f"{source}: calls[{i}]") for i, c in enumerate(calls)),
    )


def read(path: Path) -> Recording:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordingError(
            f"{path}: cannot read the recording ({exc.__class__.__name__}); "
            "create it with `policygen record --out FILE -- <test command>`"
        ) from None
    return parse(text, str(path))
