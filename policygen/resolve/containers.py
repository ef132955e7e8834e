"""Lists and dicts the code builds up step by step, for the resolver.

Request items are rarely written inline: a handler appends ``{"Update": ...}`` items in a loop,
extends a list of entries, sets ``request[table] = [...]`` or groups with ``setdefault``, then
passes the result as ``TransactItems=``/``Entries=``/``RequestItems=``. These pure functions give
the value a list or dict holds after such a step; the interpreter decides where it is stored.
Each element is kept once (appending the same element again changes nothing), so values built in
loops and re-evaluated to a fixed point stay bounded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from policygen.model import Hole, Text
from policygen.resolve.values import EMPTY, DictV, Other, SeqV, Str, Value, Values, one, text_of, union

LIST_METHODS = {"append", "add", "insert", "extend"}
DICT_METHODS = {"setdefault"}
MUTATORS = LIST_METHODS | DICT_METHODS | {"update"}  # set.update and dict.update

Iterate = Callable[[Values], Values]
EMPTY_STRUCTURES: Values = frozenset((SeqV(()), DictV(())))  # what a change is measured against


def appended(seq: SeqV, elements: tuple[Values, ...]) -> SeqV:
    items = list(seq.items)
    for element in elements:
        if element and element not in items:
            items.append(element)
    return SeqV(tuple(items))


def concatenated(left: Values, right: Values, iterate: Iterate) -> Values:
    """``left + right`` (``items += more``) where either side is a list."""
    out: set[Value] = set()
    for a in left:
        for b in right:
            if isinstance(a, SeqV) and isinstance(b, SeqV):
                out.add(appended(a, b.items))
            elif isinstance(a, SeqV):
                out.add(appended(a, (iterate(one(b)),)))
            elif isinstance(b, SeqV):
                out.add(appended(SeqV((iterate(one(a)),)), b.items))
    return frozenset(out)


def entry(values: Values, keys: Values) -> Values:
    """The values the dicts hold under ``keys`` (nothing where they hold none)."""
    return union(*(v for d in values if isinstance(d, DictV) for k, v in d.items if k in keys))


def with_items(values: Values, keys: Values, item: Values) -> Values:
    """``d[key] = item`` (or ``lst[i] = item``) on each dict or list of ``values``."""
    out: set[Value] = set()
    for value in values:
        if isinstance(value, DictV):
            out.add(_dict_set(value, keys, item))
        elif isinstance(value, SeqV):
            out.add(appended(value, (item,)))
        else:
            out.add(value)
    return frozenset(out)


def _dict_set(value: DictV, keys: Values, item: Values) -> DictV:
    items = list(value.items)
    complete = value.complete
    for key in sorted(keys, key=lambda k: str(text_of(k))):
        if not (isinstance(key, Str | Other)) or text_of(key).known is None:
            # A key computed at run time (``request[table_name] = ...``): the entry is kept under
            # a key that reads as unknown text, and the dict no longer lists every key.
            key = Str(Text((Hole("a key computed at run time"),)))
            complete = False
        if (key, item) not in items:
            items.append((key, item))
    return DictV(tuple(items), complete)


def mutated(
    values: Values,
    method: str,
    args: tuple[Values, ...],
    kwargs: Mapping[str | None, Values],
    iterate: Iterate,
) -> Values:
    """The lists and dicts of ``values`` after ``.method(*args, **kwargs)``."""
    out: set[Value] = set()
    for value in values:
        if isinstance(value, SeqV) and method in {"append", "add", "insert"} and args:
            out.add(appended(value, (args[-1],)))
        elif isinstance(value, SeqV) and method in {"extend", "update"} and args:
            out.update(concatenated(one(value), args[0], iterate))
        elif isinstance(value, DictV) and method == "update":
            updated = value
            for other in args[0] if args else EMPTY:
                if isinstance(other, DictV):
                    for key, item in other.items:
                        updated = _dict_set(updated, one(key), item)
                    if not other.complete:
                        updated = DictV(updated.items, False)
                else:
                    updated = DictV(updated.items, False)
            for name, item in kwargs.items():
                updated = (
                    _dict_set(updated, one(Str(Text.of(name))), item)
                    if name is not None
                    else DictV(updated.items, False)
                )
            out.add(updated)
        elif isinstance(value, DictV) and method == "setdefault" and args:
            present = entry(one(value), args[0])
            default = args[1] if len(args) > 1 else one(Other(None))
            out.add(value if present else _dict_set(value, args[0], default))
        else:
            out.add(value)
    return frozenset(out)


def merged(values: Values, added: Values) -> Values:
    """Each list and dict of ``values`` with what a callee added to it (``added``: that change
    applied to an empty list or dict)."""
    out: set[Value] = set()
    for value in values:
        if isinstance(value, SeqV):
            out.update(appended(value, a.items) for a in added if isinstance(a, SeqV) and a.items)
        elif isinstance(value, DictV):
            for a in added:
                if isinstance(a, DictV) and (a.items or not a.complete):
                    updated = value
                    for key, item in a.items:
                        updated = _dict_set(updated, one(key), item)
                    out.add(updated if a.complete else DictV(updated.items, False))
        out.add(value)
    return frozenset(out)
