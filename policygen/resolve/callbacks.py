"""Functions the standard library calls for the code, for the resolver.

``functools.partial(s3.put_object, Bucket=b)``, ``executor.map(fetch, keys)``,
``executor.submit(fn, *args)``, ``threading.Thread(target=fn, args=...)``, ``map(fn, items)``,
``asyncio.to_thread(fn, ...)`` and ``loop.run_in_executor(None, fn, ...)`` all call a function
of the code's (or an SDK method) with arguments the call names. The resolver calls it there, with
those arguments, so what it does is analysed as if it were called directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from policygen.resolve.values import (
    EMPTY,
    BoundMethod,
    DictV,
    External,
    FuncRef,
    LambdaV,
    PartialV,
    SdkMethod,
    SeqV,
    Values,
    one,
    text_of,
    union,
    unknown,
)

if TYPE_CHECKING:
    from policygen.resolve.interpreter import Frame

EXECUTOR = "concurrent.futures.Executor"  # what every pool below stands for
EVENT_LOOP = "asyncio.AbstractEventLoop"
EXECUTOR_FACTORIES = {
    "concurrent.futures.ThreadPoolExecutor",
    "concurrent.futures.ProcessPoolExecutor",
    "concurrent.futures.thread.ThreadPoolExecutor",
    "concurrent.futures.process.ProcessPoolExecutor",
    "multiprocessing.Pool",
    "multiprocessing.pool.Pool",
    "multiprocessing.pool.ThreadPool",
    "multiprocessing.dummy.Pool",
}
LOOP_FACTORIES = {"asyncio.get_event_loop", "asyncio.get_running_loop", "asyncio.new_event_loop"}
# Methods that run their first argument over the elements of the others, or once with the rest.
MAPPING_METHODS = {"map", "imap", "imap_unordered", "map_async"}
SUBMITTING_METHODS = {"submit", "apply", "apply_async"}
CALLABLE = (FuncRef, BoundMethod, LambdaV, PartialV, SdkMethod)


def call_external(
    frame: Frame, qualname: str, args: tuple[Values, ...], kwargs: Mapping[str | None, Values], line: int
) -> Values | None:
    if qualname == "functools.partial" and args:
        bound = tuple((k, v) for k, v in sorted(kwargs.items()) if k is not None)
        return frozenset(PartialV(f, args[1:], bound) for f in args[0] if isinstance(f, CALLABLE))
    if qualname in EXECUTOR_FACTORIES:
        return one(External(EXECUTOR))
    if qualname in LOOP_FACTORIES:
        return one(External(EVENT_LOOP))
    owner, _, method = qualname.rpartition(".")
    if owner == EXECUTOR:
        return executor_call(frame, method, args, kwargs, line)
    if qualname in {"builtins.map", "builtins.filter"} and args:
        results = frame.call_values(args[0], tuple(frame.iterate(a) for a in args[1:]), {}, line)
        return one(SeqV((results if qualname == "builtins.map" else frame.iterate(args[1]),)))
    if qualname in {"threading.Thread", "threading.Timer", "multiprocessing.Process"}:
        target = kwargs.get("target", EMPTY) or (args[1] if qualname == "threading.Timer" and len(args) > 1 else EMPTY)
        given = kwargs.get("args", EMPTY) or (args[2] if qualname == "threading.Timer" and len(args) > 2 else EMPTY)
        run_callback(frame, target, _positional(given), _keywords(kwargs.get("kwargs", EMPTY)), line)
        return unknown("a thread")
    if qualname == "asyncio.to_thread" and args:
        return run_callback(frame, args[0], args[1:], kwargs, line)
    if qualname == f"{EVENT_LOOP}.run_in_executor" and len(args) > 1:
        return run_callback(frame, args[1], args[2:], {}, line)
    return None


def executor_call(
    frame: Frame, method: str, args: tuple[Values, ...], kwargs: Mapping[str | None, Values], line: int
) -> Values | None:
    """``pool.map(fn, items)`` / ``pool.submit(fn, *args, **kwargs)`` on an executor, or on an
    object the analysis cannot trace whose argument is a function of the code's."""
    if not args:
        return None
    if method in MAPPING_METHODS:
        elements = tuple(frame.iterate(a) for a in args[1:])
        return one(SeqV((run_callback(frame, args[0], elements, {}, line),)))
    if method in {"starmap", "starmap_async"} and len(args) > 1:
        rows = frame.iterate(args[1])
        return one(SeqV((run_callback(frame, args[0], _positional(rows), {}, line),)))
    if method in SUBMITTING_METHODS:
        if method in {"apply", "apply_async"}:  # multiprocessing: apply(fn, args, kwds)
            positional = _positional(args[1]) if len(args) > 1 else ()
            keywords = _keywords(args[2] if len(args) > 2 else kwargs.get("kwds", EMPTY))
            run_callback(frame, args[0], positional, keywords, line)
        else:
            run_callback(frame, args[0], args[1:], kwargs, line)
        return unknown("a future")
    return None


def run_callback(
    frame: Frame, funcs: Values, args: tuple[Values, ...], kwargs: Mapping[str | None, Values], line: int
) -> Values:
    callables = frozenset(f for f in funcs if isinstance(f, CALLABLE))
    if not callables:
        return unknown("the result of a function the analysis cannot see")
    frame.referenced(callables)
    return frame.call_values(callables, args, dict(kwargs), line)


def _positional(values: Values) -> tuple[Values, ...]:
    """``args=(a, b)`` as positional arguments (unknown ones: none the analysis can give)."""
    seqs = [v for v in values if isinstance(v, SeqV)]
    if len(seqs) != 1:
        width = max((len(s.items) for s in seqs), default=0)
        return tuple(union(*(s.items[i] for s in seqs if i < len(s.items))) for i in range(width))
    return seqs[0].items


def _keywords(values: Values) -> dict[str | None, Values]:
    out: dict[str | None, Values] = {}
    for value in values:
        if isinstance(value, DictV):
            for key, item in value.items:
                name = text_of(key).known
                if name is not None:
                    out[name] = union(out.get(name, EMPTY), item)
    return out


def call_unmodelled(frame: Frame, args: tuple[Values, ...], kwargs: Mapping[str | None, Values], line: int) -> None:
    """Lambdas and partials handed to a library the analysis does not model (a retry helper,
    ``sorted(key=...)``) are called by it: their bodies are analysed with unknown arguments."""
    for values in (*args, *kwargs.values()):
        for value in values:
            if isinstance(value, LambdaV | PartialV):
                frame.call_values(one(value), (), {}, line)
