"""The extract stage's output: a compact, picklable model of one Python module.

libcst gives a faithful but heavy tree. The resolver only needs names, attribute chains, calls,
strings, assignments, definitions and imports, so `lower` turns each module into these small
frozen values once (in worker processes, cached by content hash), and the whole-program resolver
runs over them. Anything the resolver cannot use becomes `Opaque`, which it treats as unknown.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Opaque:
    what: str = ""


@dataclass(frozen=True, slots=True)
class Const:
    value: str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Name:
    id: str


@dataclass(frozen=True, slots=True)
class Attr:
    value: Expr
    attr: str
    line: int = 0  # reading a resource's attribute may call AWS (boto3 loads it)


@dataclass(frozen=True, slots=True)
class Subscript:
    value: Expr
    index: Expr


@dataclass(frozen=True, slots=True)
class Call:
    func: Expr
    args: tuple[Expr, ...]
    kwargs: tuple[tuple[str | None, Expr], ...]  # None key: ``**mapping``
    line: int
    star_args: bool = False
    column: int = 0  # 1-based, in characters; 0 when not known


@dataclass(frozen=True, slots=True)
class FString:
    parts: tuple[str | Expr, ...]


@dataclass(frozen=True, slots=True)
class BinOp:
    op: str  # "+" or "%"
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Choice:
    """An expression that evaluates to one of its options (``a or b``, ``a if c else b``)."""

    options: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class DictExpr:
    items: tuple[tuple[Expr | None, Expr], ...]  # None key: ``**other``


@dataclass(frozen=True, slots=True)
class SeqExpr:
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Lambda:
    body: Expr
    params: tuple[Param, ...] = ()


@dataclass(frozen=True, slots=True)
class Comp:
    """A comprehension: ``[elt for target in iter if cond]`` (``key`` set for a dict)."""

    elt: Expr
    key: Expr | None
    generators: tuple[tuple[Expr, Expr], ...]  # (target, iter), outermost first
    conditions: tuple[Expr, ...]


Expr = (
    Opaque
    | Const
    | Name
    | Attr
    | Subscript
    | Call
    | FString
    | BinOp
    | Choice
    | DictExpr
    | SeqExpr
    | Lambda
    | Comp
)


@dataclass(frozen=True, slots=True)
class Assign:
    targets: tuple[Expr, ...]  # Name, Attr, Subscript or SeqExpr of those
    value: Expr
    augmented: bool = False


@dataclass(frozen=True, slots=True)
class ExprStmt:
    expr: Expr


@dataclass(frozen=True, slots=True)
class Return:
    value: Expr


@dataclass(frozen=True, slots=True)
class Global:
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    default: Expr | None
    annotation: str | None = None
    kind: str = "normal"  # normal, star, kwargs


@dataclass(frozen=True, slots=True)
class FunctionDef:
    name: str
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]
    decorators: tuple[Expr, ...]
    line: int


@dataclass(frozen=True, slots=True)
class ClassDef:
    name: str
    bases: tuple[Expr, ...]
    body: tuple[Stmt, ...]
    decorators: tuple[Expr, ...]
    line: int


@dataclass(frozen=True, slots=True)
class Import:
    module: str
    asname: str | None
    line: int


@dataclass(frozen=True, slots=True)
class ImportFrom:
    module: str  # without the leading dots
    level: int
    names: tuple[tuple[str, str | None], ...]  # ("*", None) for a star import
    line: int


@dataclass(frozen=True, slots=True)
class Branches:
    """Bodies of which any may run (if/elif/else, try/except, match, while)."""

    tests: tuple[Expr, ...]
    bodies: tuple[tuple[Stmt, ...], ...]


@dataclass(frozen=True, slots=True)
class For:
    target: Expr
    iter: Expr
    body: tuple[Stmt, ...]


@dataclass(frozen=True, slots=True)
class With:
    items: tuple[tuple[Expr, Expr | None], ...]
    body: tuple[Stmt, ...]


@dataclass(frozen=True, slots=True)
class Dead:
    """Statements that can never run (after ``return``/``raise``/``continue``/``break`` in the
    same block, under ``if __name__ == "__main__":``, ``if TYPE_CHECKING:``, ``if False:``)."""

    body: tuple[Stmt, ...]
    why: str


Stmt = (
    Assign
    | ExprStmt
    | Return
    | Global
    | FunctionDef
    | ClassDef
    | Import
    | ImportFrom
    | Branches
    | For
    | With
    | Dead
)


@dataclass(frozen=True, slots=True)
class ModuleIR:
    """One lowered source file."""

    path: str  # relative to the analysed root, with forward slashes
    name: str  # dotted module name
    is_package: bool
    body: tuple[Stmt, ...]
    lines: int
    # Set when the file was too large to analyse in full: only its top-level names were read
    # (definitions without bodies, imports, assigned names as opaque values), and why.
    names_only: str = ""
    mentions_aws: bool = False  # such a file names boto3/botocore or an AWS library


def _reduce_by_constructor(cls: type) -> None:
    """Pickle as ``cls(*fields)``: frozen, slotted dataclasses otherwise unpickle through
    ``dataclasses._dataclass_setstate``, which made loading the cache the slowest step."""
    names = tuple(f.name for f in dataclasses.fields(cls))

    def __reduce__(self: object) -> tuple[type, tuple[object, ...]]:
        return (cls, tuple(getattr(self, n) for n in names))

    cls.__reduce__ = __reduce__  # type: ignore[method-assign,assignment]


for _cls in (
    Opaque, Const, Name, Attr, Subscript, Call, FString, BinOp, Choice, DictExpr, SeqExpr, Lambda, Comp,
    Assign, ExprStmt, Return, Global, Param, FunctionDef, ClassDef, Import, ImportFrom, Branches, For, With, Dead,
    ModuleIR,
):  # fmt: skip
    _reduce_by_constructor(_cls)
