"""Render stage: a `Result` -> text in one of the output formats.

Each renderer is a pure function returning a string; the CLI writes it (atomically, for ``-o``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from policygen.model import Result
from policygen.render import explain, json_policy, report


class Format(enum.Enum):
    JSON = "json"
    REPORT = "json-report"
    EXPLAIN = "explain"


RENDERERS: dict[Format, Callable[[Result], str]] = {
    Format.JSON: json_policy.render,
    Format.REPORT: report.render,
    Format.EXPLAIN: explain.render,
}


def render(result: Result, fmt: Format) -> str:
    return RENDERERS[fmt](result)
