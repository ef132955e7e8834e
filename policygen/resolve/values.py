"""Abstract values the resolver computes for expressions.

An expression evaluates to a `Values` set: every value it may take. Strings are `Str` over a
partially known `Text`; AWS SDK objects (sessions, clients, resources, collections, paginators,
waiters) carry what is known of them; project functions, classes and instances are references the
resolver follows. Anything else is `Unknown`, with a reason the user can read.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from policygen.model import Hole, Text

MAX_ALTERNATIVES = 12

FuncKey = tuple[str, str]  # (module, qualified name)


@dataclass(frozen=True)
class Unknown:
    reason: str


@dataclass(frozen=True)
class Str:
    text: Text


@dataclass(frozen=True)
class Other:
    """A non-string literal (int, bool, None)."""

    value: int | float | bool | None


@dataclass(frozen=True)
class DictV:
    items: tuple[tuple[Value, Values], ...]
    complete: bool = True


@dataclass(frozen=True)
class SeqV:
    items: tuple[Values, ...]


@dataclass(frozen=True)
class External:
    """A name from outside the project: ``boto3``, ``boto3.client``, ``os.environ``."""

    qualname: str


@dataclass(frozen=True)
class ModuleRef:
    name: str


@dataclass(frozen=True)
class FuncRef:
    key: FuncKey


@dataclass(frozen=True)
class ClassRef:
    key: FuncKey


@dataclass(frozen=True)
class Instance:
    cls: FuncKey


@dataclass(frozen=True)
class BoundMethod:
    receiver: Value
    func: FuncKey


@dataclass(frozen=True)
class LambdaV:
    body: object  # ir.Expr
    module: str


@dataclass(frozen=True)
class SessionV:
    region: Text | None = None
    inferred: bool = False  # ``<untraceable>.client("s3")``: taken for a boto3 session


@dataclass(frozen=True)
class ClientV:
    service: str | None  # None: computed at run time
    region: Text | None = None


@dataclass(frozen=True)
class ResourceV:
    service: str
    type: str  # "" for the service resource
    identifiers: tuple[tuple[str, Values], ...] = ()


@dataclass(frozen=True)
class CollectionV:
    owner: ResourceV
    name: str


@dataclass(frozen=True)
class PaginatorV:
    client: ClientV
    method: str


@dataclass(frozen=True)
class WaiterV:
    client: ClientV
    waiter: str


@dataclass(frozen=True)
class BatchWriterV:
    table: ResourceV


@dataclass(frozen=True)
class SdkMethod:
    """An attribute of an SDK object, waiting to be called: ``s3.get_object``."""

    receiver: Value
    name: str
    passed: bool = False  # handed to a helper (``retry(client.put_object, Bucket=...)``): recorded there


Value = (
    Unknown
    | Str
    | Other
    | DictV
    | SeqV
    | External
    | ModuleRef
    | FuncRef
    | ClassRef
    | Instance
    | BoundMethod
    | LambdaV
    | SessionV
    | ClientV
    | ResourceV
    | CollectionV
    | PaginatorV
    | WaiterV
    | BatchWriterV
    | SdkMethod
)
Values = frozenset[Value]

EMPTY: Values = frozenset()


@functools.lru_cache(maxsize=65536)
def one(value: Value) -> Values:
    return frozenset((value,))


@functools.lru_cache(maxsize=16384)
def unknown(reason: str) -> Values:
    return one(Unknown(reason))


def union(*sets: Values) -> Values:
    if len(sets) == 1:
        return sets[0]
    if len(sets) == 2:
        # The common case on the hot path: one side empty, or one side already holding the other.
        first, second = sets
        if not second or second <= first:
            return first
        if not first or first <= second:
            return second
    merged: set[Value] = set()
    for values in sets:
        merged.update(values)
    if len(merged) > MAX_ALTERNATIVES:
        strings = [v for v in merged if isinstance(v, Str)]
        if strings:  # too many spellings: keep the objects, widen the strings
            merged = {v for v in merged if not isinstance(v, Str)}
            merged.add(Str(Text.unknown("one of many values")))
    return frozenset(merged)


def text_of(value: Value) -> Text:
    """The string this value stands for, as far as it is known."""
    if isinstance(value, Str):
        return value.text
    if isinstance(value, Other) and value.value is not None and not isinstance(value.value, bool):
        return Text.of(str(value.value))
    if isinstance(value, Unknown):
        return Text((Hole(value.reason),))
    return Text((Hole("a value the analysis cannot read as text"),))


def texts(values: Values) -> tuple[Text, ...]:
    """Each distinct string alternative, in a stable order."""
    seen = {text_of(v) for v in values if not (isinstance(v, Other) and v.value is None)}
    if not seen:
        return (Text((Hole("no value"),)),)
    return tuple(sorted(seen, key=str))
