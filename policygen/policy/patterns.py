"""IAM's patterns: action globs (case-insensitive) and ARN patterns (case-sensitive), matched
against concrete values and compared by language containment, never by sampling.

ARN patterns follow IAM: ``*`` is any run of characters and ``?`` any one character; in the
partition, service, region and account segments neither crosses a ``:``; in the resource part
(after the fifth ``:``) they match anything. Within `generated_names` (a comparison with the role
a template declares), a ``*`` right after one of the given name prefixes stands for the part of a
physical name CloudFormation generates (``table/shop-Orders-*``): one name, so it crosses
neither ``/`` nor ``:``, and ``table/shop-Orders-*/index/*`` is then more than the table. ``${*}``, ``${?}`` and ``${$}`` are the literal
characters. Any other ``${...}`` is a policy variable whose value depends on the request: it is
read either *narrow* (matches nothing: the grant can't be relied on) or *wide* (matches any run,
like ``*``: whatever it may cover), as the caller's conservative view needs. In a 2008-10-17
document ``${`` is literal text.

Containment of boolean combinations of patterns (``Resource`` unions, ``NotResource``
complements, ``Deny`` differences) is decided exactly by exploring the product of the patterns'
automata over an abstract alphabet: the characters the patterns name, ``:``, and one stand-in for
every other character.
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
import functools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass


class Token(enum.Enum):
    ANY_ONE = "?"  # any one character (not ':' inside the first five ARN segments)
    ANY_RUN = "*"  # any run of characters (same rule)
    VARIABLE = "${}"  # a policy variable: narrow or wide by the caller's view
    ANY_NAME = "*/"  # the generated part of a physical name: any run without '/' or ':'


class VariableView(enum.Enum):
    NARROW = "narrow"  # a variable matches nothing
    WIDE = "wide"  # a variable matches any run, like '*'


# A token: a literal character, or (Token, crosses_colon).
Part = str | tuple[Token, bool]

_OTHER = "\x00"  # the abstract alphabet's stand-in for every character no pattern names
_ESCAPES = {"*": "*", "?": "?", "$": "$"}


@dataclass(frozen=True)
class ResourcePattern:
    text: str
    parts: tuple[Part, ...]

    @property
    def has_variables(self) -> bool:
        return any(isinstance(p, tuple) and p[0] is Token.VARIABLE for p in self.parts)


_GENERATED: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar("generated", default=frozenset())
_NAME_STARTS = ("/", ":", "*")  # what may come before a generated name: a separator, the stack's '*'


@contextlib.contextmanager
def generated_names(prefixes: Iterable[str]) -> Iterator[None]:
    """Within: a ``*`` right after one of ``prefixes`` (the known start of a physical name
    CloudFormation generates, ``shop-Orders-``), where that prefix starts a segment, is the
    generated rest of that one name (`Token.ANY_NAME`)."""
    token = _GENERATED.set(frozenset(p for p in prefixes if p))
    try:
        yield
    finally:
        _GENERATED.reset(token)


def active_generated_names() -> frozenset[str]:
    """The prefixes `generated_names` set (for callers that cache what patterns decide)."""
    return _GENERATED.get()


def resource_pattern(text: str, variables: bool = True) -> ResourcePattern:
    """Tokens of an ARN pattern. ``variables``: the document is version 2012-10-17."""
    return _resource_pattern(text, variables, _GENERATED.get())


def _generated_at(text: str, i: int, names: frozenset[str]) -> bool:
    for prefix in names:
        start = i - len(prefix)
        if start >= 0 and text.startswith(prefix, start) and (start == 0 or text[start - 1] in _NAME_STARTS):
            return True
    return False


@functools.lru_cache(maxsize=4096)
def _resource_pattern(text: str, variables: bool, names: frozenset[str]) -> ResourcePattern:
    parts: list[Part] = []
    colons = 0
    arn = text.startswith("arn:")
    i = 0
    while i < len(text):
        crosses = not arn or colons >= 5
        char = text[i]
        if char == "*" and names and _generated_at(text, i, names):
            parts.append((Token.ANY_NAME, False))
            i += 1
            continue
        if variables and text.startswith("${", i):
            end = text.find("}", i + 2)
            if end != -1:
                name = text[i + 2 : end]
                if name in _ESCAPES:
                    parts.append(_ESCAPES[name])
                else:
                    parts.append((Token.VARIABLE, crosses))
                i = end + 1
                continue
        if char == "*":
            if not (parts and parts[-1] == (Token.ANY_RUN, crosses)):  # '**' is '*'
                parts.append((Token.ANY_RUN, crosses))
        elif char == "?":
            parts.append((Token.ANY_ONE, crosses))
        else:
            if char == ":":
                colons += 1
            parts.append(char)
        i += 1
    return ResourcePattern(text, tuple(parts))


# -- automata -------------------------------------------------------------------------------------
def _resolved(parts: tuple[Part, ...], view: VariableView) -> tuple[Part, ...] | None:
    """The parts with variables read in ``view``; None when the pattern matches nothing."""
    out: list[Part] = []
    for part in parts:
        if isinstance(part, tuple) and part[0] is Token.VARIABLE:
            if view is VariableView.NARROW:
                return None
            part = (Token.ANY_RUN, part[1])
        out.append(part)
    return tuple(out)


class _Automaton:
    """Nondeterministic automaton of one pattern: state i is 'before part i'."""

    def __init__(self, parts: tuple[Part, ...] | None) -> None:
        self.parts = parts

    def closure(self, states: frozenset[int]) -> frozenset[int]:
        if self.parts is None:
            return frozenset()
        out = set(states)
        todo = list(states)
        while todo:
            state = todo.pop()
            if state < len(self.parts) and isinstance(self.parts[state], tuple):
                token = self.parts[state]
                assert isinstance(token, tuple)
                if token[0] in (Token.ANY_RUN, Token.ANY_NAME) and state + 1 not in out:
                    out.add(state + 1)
                    todo.append(state + 1)
        return frozenset(out)

    def start(self) -> frozenset[int]:
        return self.closure(frozenset((0,))) if self.parts is not None else frozenset()

    def step(self, states: frozenset[int], char: str) -> frozenset[int]:
        if self.parts is None:
            return frozenset()
        out = set()
        for state in states:
            if state >= len(self.parts):
                continue
            part = self.parts[state]
            if isinstance(part, str):
                if part == char:
                    out.add(state + 1)
                continue
            token, crosses = part
            if (char == ":" and not crosses) or (char == "/" and token is Token.ANY_NAME):
                continue
            out.add(state + 1 if token is Token.ANY_ONE else state)
        return self.closure(frozenset(out))

    def accepts(self, states: frozenset[int]) -> bool:
        return self.parts is not None and len(self.parts) in states

    def future(self, states: frozenset[int]) -> bool | None:
        """False: no continuation matches; True: every continuation does; None: it depends."""
        if not states or self.parts is None:
            return False
        for state in states:
            rest = self.parts[state:]
            if rest and all(p == (Token.ANY_RUN, True) for p in rest):  # the end alone matches only ""
                return True
        return None


def matches(pattern: ResourcePattern, value: str, view: VariableView) -> bool:
    """Does the concrete resource ``value`` match ``pattern`` (case-sensitive, as IAM)."""
    automaton = _Automaton(_resolved(pattern.parts, view))
    states = automaton.start()
    for char in value:
        states = automaton.step(states, char)
        if not states:
            return False
    return automaton.accepts(states)


def _named(parts: tuple[Part, ...]) -> frozenset[str]:
    named = frozenset(p for p in parts if isinstance(p, str))
    if any(isinstance(p, tuple) and p[0] is Token.ANY_NAME for p in parts):
        named |= {"/"}  # a name ends where a '/' begins: the alphabet must tell them apart
    return named


Truth = bool | None  # None: not decided yet (the pattern may or may not match what follows)


def find_member(
    patterns: Sequence[tuple[ResourcePattern, VariableView]],
    wanted: Callable[[tuple[Truth, ...]], Truth],
) -> str | None:
    """A concrete string whose matches against ``patterns`` (in order) satisfy ``wanted``, or
    None when there is none: the emptiness test of a boolean combination of the patterns.

    ``wanted`` is three-valued: given for each pattern whether it matches (True/False), it says
    whether the string qualifies; given for each pattern whether it will match whatever follows
    (True: it accepts every continuation, False: it can match nothing more, None: either), it
    returns False when no continuation can qualify, and the search drops that branch."""
    automata = [_Automaton(_resolved(p.parts, view)) for p, view in patterns]
    named: set[str] = {":"}
    for pattern, _ in patterns:
        named |= _named(pattern.parts)
    alphabet = [*sorted(named), _OTHER]
    start = tuple(a.start() for a in automata)
    seen = {start: ""}
    frontier = [start]
    while frontier:
        following = []
        for state in frontier:
            if wanted(tuple(a.accepts(s) for a, s in zip(automata, state, strict=True))):
                return _spell(seen[state], named)
            if wanted(tuple(a.future(s) for a, s in zip(automata, state, strict=True))) is False:
                continue
            for char in alphabet:
                after = tuple(a.step(s, char) for a, s in zip(automata, state, strict=True))
                if after not in seen:
                    seen[after] = seen[state] + char
                    following.append(after)
        frontier = following  # breadth first: the example found is a shortest one
    return None


def any3(values: Iterable[Truth]) -> Truth:
    out: Truth = False
    for value in values:
        if value is True:
            return True
        if value is None:
            out = None
    return out


def not3(value: Truth) -> Truth:
    return None if value is None else not value


def and3(left: Truth, right: Truth) -> Truth:
    if left is False or right is False:
        return False
    return None if left is None or right is None else True


def _spell(word: str, named: set[str]) -> str:
    stand_in = next(c for c in "xyzqjkw0123456789-_abcdefghilmnoprstuv" if c not in named)
    return word.replace(_OTHER, stand_in)


def contains(
    outer: ResourcePattern, inner: ResourcePattern, outer_view: VariableView, inner_view: VariableView
) -> bool:
    """Is every resource ``inner`` matches also matched by ``outer``?"""
    return find_member([(inner, inner_view), (outer, outer_view)], lambda m: and3(m[0], not3(m[1]))) is None


# -- actions --------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4096)
def action_regex(pattern: str) -> re.Pattern[str]:
    """IAM action pattern, case-insensitive: ``*`` any run, ``?`` any one character."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern.lower())
    return re.compile(body + r"\Z", re.DOTALL)


def action_matches(pattern: str, action: str) -> bool:
    return action_regex(pattern).match(action.lower()) is not None


def action_service(pattern: str) -> str | None:
    """The service prefix a pattern is held to (``s3`` for ``s3:Get*``), None if any."""
    service, sep, _ = pattern.partition(":")
    if not sep or "*" in service or "?" in service:
        return None
    return service.lower()
