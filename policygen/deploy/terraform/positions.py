"""Where a policy's statements are written in a ``.tf`` file: the line of each statement.

python-hcl2 gives values without positions, so the lines are found in the file's text: a small
scanner that knows HCL's strings (with ``${...}``), comments and heredocs walks the block a
policy is written in, finds the ``policy`` argument (or an ``aws_iam_policy_document``'s
``statement`` blocks) and, inside a ``jsonencode({...})`` or a JSON heredoc, the items of its
``Statement`` list. The caller uses the lines only when their count is the count of statements
it read (a list built by an expression is not guessed at); else the argument's line.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass

_WORD = re.compile(r"[A-Za-z_][\w-]*")
_HEREDOC = re.compile(r"<<-?([A-Za-z_]\w*)[ \t]*\r?\n")
_OPEN = "{[("
_CLOSE = "}])"


@dataclass(frozen=True)
class Token:
    kind: str  # "word", "string", "heredoc", "punct", "newline"
    start: int
    end: int
    text: str = ""  # the word, the string's body, the punctuation character


def _interpolation_end(text: str, i: int) -> int:
    """``i`` just after ``${``: the offset after its closing ``}``."""
    depth = 1
    while i < len(text):
        char = text[i]
        if char == '"':
            i = _string_end(text, i)
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return i


def _string_end(text: str, i: int) -> int:
    """``i`` at an opening quote: the offset after the closing one (or the line's end)."""
    i += 1
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if text.startswith(("${", "%{"), i):
            i = _interpolation_end(text, i + 2)
            continue
        if char == '"':
            return i + 1
        if char == "\n":
            return i
        i += 1
    return i


def tokens(text: str, start: int = 0, end: int | None = None) -> Iterator[Token]:
    """The tokens of ``text[start:end]`` that give its structure; comments are skipped, a
    heredoc is one token whose ``text`` is its body."""
    stop = len(text) if end is None else end
    i = start
    while i < stop:
        char = text[i]
        if char == "\n":
            yield Token("newline", i, i + 1)
            i += 1
        elif char in " \t\r,":
            i += 1
        elif char == "#" or text.startswith("//", i):
            newline = text.find("\n", i)
            i = stop if newline < 0 else newline
        elif text.startswith("/*", i):
            close = text.find("*/", i + 2)
            i = stop if close < 0 else close + 2
        elif char == '"':
            after = _string_end(text, i)
            yield Token("string", i, after, text[i + 1 : max(i + 1, after - 1)])
            i = after
        elif text.startswith("<<", i) and (heredoc := _HEREDOC.match(text, i)):
            marker = heredoc.group(1)
            closing = re.compile(rf"^[ \t]*{re.escape(marker)}[ \t]*$", re.MULTILINE).search(text, heredoc.end())
            body_end = closing.start() if closing else stop
            after = closing.end() if closing else stop
            yield Token("heredoc", i, after, text[heredoc.end() : body_end])
            i = after
        elif word := _WORD.match(text, i):
            yield Token("word", i, word.end(), word.group())
            i = word.end()
        else:
            yield Token("punct", i, i + 1, char)
            i += 1


class Lines:
    """Line numbers (1-based) of the offsets of one text."""

    def __init__(self, text: str) -> None:
        self._starts = [0, *(m.end() for m in re.finditer("\n", text))]

    def of(self, offset: int) -> int:
        return bisect.bisect_right(self._starts, offset)

    def offset(self, line: int) -> int:
        return self._starts[max(0, min(line, len(self._starts)) - 1)]


def _is_key(listed: list[Token], index: int, name: str) -> bool:
    token = listed[index]
    named = token.kind in ("word", "string") and token.text == name
    following = listed[index + 1] if index + 1 < len(listed) else None
    return named and following is not None and following.kind == "punct" and following.text in "=:"


def _children(listed: list[Token], open_index: int) -> tuple[list[int], int]:
    """The indexes of the tokens directly inside the bracket at ``open_index``, and the index of
    its closing bracket."""
    depth = 0
    inside: list[int] = []
    for index in range(open_index, len(listed)):
        token = listed[index]
        if token.kind == "punct" and token.text in _OPEN:
            depth += 1
            if depth == 2:
                inside.append(index)
            continue
        if token.kind == "punct" and token.text in _CLOSE:
            depth -= 1
            if depth == 0:
                return inside, index
            continue
        if depth == 1:
            inside.append(index)
    return inside, len(listed) - 1


def _block_tokens(text: str, line: int) -> list[Token] | None:
    """The tokens of the block whose header is on ``line``, from its ``{`` to its ``}``."""
    lines = Lines(text)
    listed: list[Token] = []
    depth = 0
    for token in tokens(text, lines.offset(line)):
        if token.kind == "punct" and token.text in _OPEN:
            depth += 1
        elif token.kind == "punct" and token.text in _CLOSE:
            depth -= 1
        if depth or listed:
            listed.append(token)
        if listed and depth == 0:
            return listed
    return None


def _expression(listed: list[Token], start: int) -> list[Token]:
    """The tokens of an argument's expression starting at ``start``: up to the end of its line
    outside brackets."""
    depth = 0
    out: list[Token] = []
    for token in listed[start:]:
        if token.kind == "newline" and depth == 0:
            break
        if token.kind == "punct" and token.text in _OPEN:
            depth += 1
        elif token.kind == "punct" and token.text in _CLOSE:
            depth -= 1
            if depth < 0:
                break
        out.append(token)
    return out


def _statement_items(listed: list[Token]) -> list[int] | None:
    """The offsets where the items of the first ``Statement`` list (or the one object) start."""
    for index in range(len(listed) - 2):
        if not _is_key(listed, index, "Statement"):
            continue
        value = listed[index + 2] if listed[index + 1].text in "=:" else None
        if value is None or value.kind != "punct":
            return None
        if value.text == "{":
            return [value.start]
        if value.text != "[":
            return None
        inside, _ = _children(listed, index + 2)
        items = [listed[i] for i in inside if listed[i].kind != "newline"]
        if not all(t.kind == "punct" and t.text == "{" for t in items):
            return None  # not a literal list of objects
        return [t.start for t in items]
    return None


@dataclass(frozen=True)
class Written:
    """Where a policy argument's statements are: the argument's line, and each statement's line
    when they could be found."""

    line: int
    statements: tuple[int, ...] | None


def policy_argument(text: str, block_line: int, argument: str, nested: tuple[str, int] | None = None) -> Written:
    """The lines of ``argument`` (``policy``) of the block on ``block_line``, or of its
    ``nested[1]``-th ``nested[0]`` block (``inline_policy``)."""
    listed = _block_tokens(text, block_line)
    if listed is None:
        return Written(block_line, None)
    lines = Lines(text)
    inside, _ = _children(listed, 0)
    if nested is not None:
        found = [i for i in inside if _is_block(listed, i, nested[0])]
        if nested[1] >= len(found):
            return Written(block_line, None)
        opening = next(i for i in range(found[nested[1]], len(listed)) if listed[i].text == "{")
        offset = listed[opening].start
        listed = listed[opening:]
        inside, _ = _children(listed, 0)
        block_line = lines.of(offset)
    at = next((i for i in inside if _is_key(listed, i, argument) and listed[i + 1].text == "="), None)
    if at is None:
        return Written(block_line, None)
    expression = _expression(listed, at + 2)
    line = lines.of(listed[at].start)
    if len(expression) == 1 and expression[0].kind == "heredoc":
        heredoc = expression[0]
        body_start = text.index("\n", heredoc.start) + 1
        found_items = _statement_items(list(tokens(text, body_start, body_start + len(heredoc.text))))
    else:
        found_items = _statement_items(expression)
    return Written(line, None if found_items is None else tuple(lines.of(o) for o in found_items))


def map_entries(text: str, block_line: int, argument: str) -> dict[str, int]:
    """The line of each key of the map literal ``argument`` of the block on ``block_line``
    (the registry module's ``policy_statements``)."""
    listed = _block_tokens(text, block_line)
    if listed is None:
        return {}
    lines = Lines(text)
    inside, _ = _children(listed, 0)
    at = next((i for i in inside if _is_key(listed, i, argument) and listed[i + 1].text == "="), None)
    if at is None or not (listed[at + 2].kind == "punct" and listed[at + 2].text == "{"):
        return {}
    entries, _ = _children(listed, at + 2)
    return {
        listed[i].text: lines.of(listed[i].start)
        for i in entries
        if listed[i].kind in ("word", "string") and _is_key(listed, i, listed[i].text)
    }


def statement_blocks(text: str, block_line: int) -> tuple[int, ...] | None:
    """The lines of the ``statement`` blocks of the ``aws_iam_policy_document`` on ``block_line``."""
    listed = _block_tokens(text, block_line)
    if listed is None:
        return None
    lines = Lines(text)
    inside, _ = _children(listed, 0)
    return tuple(lines.of(listed[i].start) for i in inside if _is_block(listed, i, "statement"))


def _is_block(listed: list[Token], index: int, name: str) -> bool:
    token = listed[index]
    following = listed[index + 1] if index + 1 < len(listed) else None
    return (
        token.kind == "word"
        and token.text == name
        and following is not None
        and following.kind == "punct"
        and following.text == "{"
    )
