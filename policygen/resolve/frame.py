"""What the SDK and library models (`sdk.py`, `wrappers.py`) need from the interpreter.

The interpreter (`interpreter.Frame`) evaluates the code and calls into `sdk` and `wrappers` when
a value is boto3's or a modelled library's; they call back through this small protocol to record
calls and unresolved items, read the environment and read class bodies. `Frame` implements it;
nothing here imports the interpreter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from policygen.extract import ir
from policygen.model import CallKind, Location, Text
from policygen.resolve.values import FuncKey, Values


class ClassBody(Protocol):
    """A class of the analysed code, as the interpreter collected it."""

    @property
    def node(self) -> ir.ClassDef: ...

    @property
    def module(self) -> str: ...

    @property
    def body_names(self) -> Mapping[str, Values]: ...


class Site(Protocol):
    """The frame evaluating the code where an SDK or library value is used."""

    @property
    def path(self) -> str: ...  # the file as the user finds it, for locations

    @property
    def current_line(self) -> int: ...

    @property
    def current_column(self) -> int: ...  # of the call on current_line (1-based; 0: not known)

    @property
    def classes(self) -> Mapping[FuncKey, ClassBody]: ...

    def record(
        self,
        service: str | None,
        method: str,
        kwargs: Mapping[str, Values],
        location: Location,
        kind: CallKind,
        note: str = "",
        region: Text | None = None,
        principal: str | None = None,
    ) -> None:
        """One AWS call the code makes (``service`` None: computed at run time, unresolved;
        ``principal``: made with other credentials, whose)."""

    def unresolved_here(self, reason: str, location: Location, detail: str = "") -> None: ...

    def environ(self, keys: Values, default: Values | None, required: bool) -> Values:
        """``os.environ[key]`` / ``os.getenv(key, default)``: the deployment's values."""

    def mro(self, cls: FuncKey) -> list[FuncKey]: ...

    def eval(self, expr: ir.Expr) -> Values: ...

    def class_reader(self, module: str) -> Site:
        """A frame that evaluates class-body expressions of ``module`` (base classes, ``Meta``)."""
