"""Abstract values the resolver computes for expressions.

An expression evaluates to a `Values` set: every value it may take. Strings are `Str` over a
partially known `Text`; AWS SDK objects (sessions, clients, resources, collections, paginators,
waiters) carry what is known of them; project functions, classes and instances are references the
resolver follows. Anything else is `Unknown`, with a reason the user can read.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, is_dataclass

from policygen.model import Hole, Text

MAX_ALTERNATIVES = 12
MAX_STRUCTURES = 4  # dict or list shapes one name may hold before they are merged into one
MAX_UNKNOWNS = 4  # distinct reasons a value may be unknown for before they read as one

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
    params: tuple[object, ...] = ()  # ir.Param
    captured: tuple[tuple[str, Values], ...] = ()  # the enclosing function's names it reads


@dataclass(frozen=True)
class PartialV:
    """``functools.partial(func, *args, **kwargs)``: a callable with arguments already given."""

    func: Value
    args: tuple[Values, ...] = ()
    kwargs: tuple[tuple[str, Values], ...] = ()


@dataclass(frozen=True)
class SessionV:
    region: Text | None = None
    inferred: bool = False  # ``<untraceable>.client("s3")``: taken for a boto3 session
    principal: str | None = None  # made from other credentials: whose (see `CredentialsV`)


@dataclass(frozen=True)
class ClientV:
    service: str | None  # None: computed at run time
    region: Text | None = None
    principal: str | None = None


@dataclass(frozen=True)
class ResourceV:
    service: str
    type: str  # "" for the service resource
    identifiers: tuple[tuple[str, Values], ...] = ()
    loaded: bool = False  # its data came with the response that made it: reading attributes calls nothing
    principal: str | None = None


@dataclass(frozen=True)
class CredentialsV:
    """Credentials of another principal (``sts.assume_role(...)["Credentials"]``, or any of its
    keys): clients made from them act as that principal, not as the function's role."""

    principal: str  # the role ARN pattern, or OTHER_CREDENTIALS


@dataclass(frozen=True)
class CollectionV:
    owner: ResourceV
    name: str
    request: tuple[tuple[str, Values], ...] = ()  # what .filter() passed: the items it can yield


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
class WrapperV:
    """An object of a library that calls AWS for the code (``SecretCache()``, a PynamoDB model),
    with the configuration its calls are scoped by (mappings/wrappers.yaml)."""

    kind: str  # the table's class entry
    config: tuple[tuple[str, Values], ...] = ()
    models: tuple[FuncKey, ...] = ()  # the project classes it stands for (a PynamoDB model)


@dataclass(frozen=True)
class SdkMethod:
    """An attribute of an SDK object, waiting to be called: ``s3.get_object``."""

    receiver: Value
    name: str
    passed: bool = False  # handed to a helper (``retry(client.put_object, Bucket=...)``): recorded there
    # Named by a name computed at run time (``getattr(s3, f"{mode}_object")`` with ``mode`` one of
    # a few known strings): every method that name can be, each granted and reported as a widening.
    computed: tuple[str, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class DynamicSdkMethod:
    """``getattr(s3, f"{mode}_object")``: a method of an SDK object whose name is computed at run
    time. Calling it is reported as unresolved (which operation runs is unknown), never granted."""

    receiver: Value
    name: Text


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
    | PartialV
    | SessionV
    | ClientV
    | ResourceV
    | CollectionV
    | PaginatorV
    | WaiterV
    | BatchWriterV
    | WrapperV
    | SdkMethod
    | DynamicSdkMethod
    | CredentialsV
)
Values = frozenset[Value]

EMPTY: Values = frozenset()
MANY_UNKNOWNS = Unknown("one of several values the analysis cannot see")
OTHER_CREDENTIALS = "other credentials"


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
    dicts = [v for v in merged if isinstance(v, DictV)]
    if len(dicts) > MAX_STRUCTURES:
        # Many shapes of one dict (a **kwargs built in many places): one dict with every entry.
        entries: dict[Value, set[Value]] = {}
        for d in sorted(dicts, key=lambda d: [str(text_of(k)) for k, _ in d.items]):  # a stable cut
            for key, values in d.items:
                entries.setdefault(key, set()).update(values)
        merged = {v for v in merged if not isinstance(v, DictV)}
        items = tuple((k, frozenset(vs)) for k, vs in list(entries.items())[:MAX_ITEMS])
        merged.add(DictV(items, all(d.complete for d in dicts) and len(entries) <= MAX_ITEMS))
    seqs = [v for v in merged if isinstance(v, SeqV)]
    if len(seqs) > MAX_STRUCTURES:
        elements: set[Value] = {e for s in seqs for values in s.items for e in values}
        merged = {v for v in merged if not isinstance(v, SeqV)}
        merged.add(SeqV((frozenset(elements),)))
    unknowns = [v for v in merged if isinstance(v, Unknown)]
    if len(unknowns) > MAX_UNKNOWNS or (len(unknowns) > 1 and MANY_UNKNOWNS in merged):
        # Subscripts of unknowns (``x['a']['b']``) would otherwise multiply reasons without end;
        # what any of them is stays unknown, said once.
        merged = {v for v in merged if not isinstance(v, Unknown)}
        merged.add(MANY_UNKNOWNS)
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


MAX_NESTING = 3
MAX_ITEMS = 16


@functools.lru_cache(maxsize=65536)
def bounded(value: Value, depth: int = 0) -> Value:
    """``value`` with dicts and sequences cut at `MAX_NESTING` levels and `MAX_ITEMS` entries:
    recursive code that builds structures would otherwise grow values without end."""
    if isinstance(value, DictV):
        if depth >= MAX_NESTING:
            return Unknown("a deeply nested structure")
        items = tuple((k, frozenset(bounded(v, depth + 1) for v in vs)) for k, vs in value.items[:MAX_ITEMS])
        return DictV(items, value.complete and len(value.items) <= MAX_ITEMS)
    if isinstance(value, SeqV):
        if depth >= MAX_NESTING:
            return Unknown("a deeply nested structure")
        return SeqV(tuple(frozenset(bounded(v, depth + 1) for v in vs) for vs in value.items[:MAX_ITEMS]))
    return value


def bound_all(values: Values) -> Values:
    if not any(isinstance(v, DictV | SeqV) for v in values):
        return values
    return frozenset(bounded(v) for v in values)


def stable_text(value: object, depth: int = -1) -> str:
    """``value`` written out the same way in every run: `repr` prints a set's members in hash
    order, which changes with PYTHONHASHSEED; here they are sorted. Below ``depth`` levels
    (negative: no limit) a set or tuple is written as its size and a value as its type, so a
    shallow text costs little however large the value."""
    if isinstance(value, frozenset):
        if depth == 0:
            return f"{{{len(value)}}}"
        return "{" + ",".join(sorted(stable_text(v, depth - 1) for v in value)) + "}"
    if isinstance(value, tuple):
        if depth == 0:
            return f"({len(value)})"
        return "(" + ",".join(stable_text(v, depth - 1) for v in value) + ")"
    if isinstance(value, Text):
        return repr(str(value))
    if is_dataclass(value) and not isinstance(value, type):
        name = type(value).__name__
        if depth == 0:
            return name
        return name + "(" + ",".join(stable_text(getattr(value, f), depth - 1) for f in _field_names(type(value))) + ")"
    return repr(value)


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


SHALLOW = 3  # levels a first ordering looks at


def in_stable_order(values: Iterable[Value], matters: Callable[[Value], bool] = lambda v: True) -> list[Value]:
    """``values`` in an order that is the same in every run whatever the hash seed, computed
    cheaply: first by a shallow `stable_text`; only values whose shallow texts tie, and for which
    the order ``matters``, are ordered by their whole text. A value whose order does not matter
    (a call with no effect beyond its result) keeps the cheap order, ties included."""
    keyed = sorted(((stable_text(v, SHALLOW), v) for v in values), key=lambda pair: pair[0])
    out: list[Value] = []
    start = 0
    while start < len(keyed):
        end = start + 1
        while end < len(keyed) and keyed[end][0] == keyed[start][0]:
            end += 1
        group = [v for _, v in keyed[start:end]]
        if len(group) > 1 and any(matters(v) for v in group):
            group.sort(key=stable_text)
        out.extend(group)
        start = end
    return out
