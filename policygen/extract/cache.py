"""The per-file analysis cache's format: JSON that can only rebuild the extract stage's own
values. A cache directory is writable by whoever runs the analysis (or, in CI, by a pull
request's code): unlike pickle, reading this can't run anything. Each entry is versioned and
validated on load: the known IR classes only, each with its exact number of fields, and JSON
values of the expected kinds; anything else is a cache miss, never an error."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from policygen.extract import ir
from policygen.model import FileError

_CLASSES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        ir.Opaque, ir.Const, ir.Name, ir.Attr, ir.Subscript, ir.Call, ir.FString, ir.BinOp, ir.Choice,
        ir.DictExpr, ir.SeqExpr, ir.Lambda, ir.Assign, ir.ExprStmt, ir.Return, ir.Global, ir.Param,
        ir.FunctionDef, ir.ClassDef, ir.Import, ir.ImportFrom, ir.Branches, ir.For, ir.With, ir.Dead,
        ir.ModuleIR, FileError,
    )
}  # fmt: skip
_FIELDS = {name: tuple(f.name for f in dataclasses.fields(cls)) for name, cls in _CLASSES.items()}


class Invalid(Exception):
    """A cache entry that is not one this version wrote."""


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    name = type(value).__name__
    if _CLASSES.get(name) is type(value):
        return {"_": name, "f": [_encode(getattr(value, f)) for f in _FIELDS[name]]}
    raise TypeError(f"not a cacheable value: {type(value).__name__}")


def _decode(raw: Any) -> Any:
    if raw is None or isinstance(raw, bool | int | float | str):
        return raw
    if isinstance(raw, list):
        return tuple(_decode(v) for v in raw)
    if isinstance(raw, dict) and set(raw) == {"_", "f"}:
        name, fields = raw["_"], raw["f"]
        if (
            isinstance(name, str)
            and name in _CLASSES
            and isinstance(fields, list)
            and len(fields) == len(_FIELDS[name])
        ):
            return _CLASSES[name](*(_decode(v) for v in fields))
    raise Invalid("not a value the extract stage writes")


def dumps(value: ir.ModuleIR | FileError, version: str) -> bytes:
    return json.dumps({"format": version, "value": _encode(value)}, separators=(",", ":")).encode()


def loads(data: bytes, version: str) -> ir.ModuleIR | FileError | None:
    """The cached value, or None when the entry is not valid for this ``version``."""
    try:
        raw = json.loads(data)
        if not isinstance(raw, dict) or raw.get("format") != version:
            return None
        value = _decode(raw.get("value"))
    except (ValueError, Invalid, TypeError, RecursionError):
        return None
    return value if isinstance(value, ir.ModuleIR | FileError) else None
