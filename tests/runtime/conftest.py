"""The harness's counts at the end of the run (the `runtime` marker is declared in pyproject.toml)."""

from __future__ import annotations

from .harness import STATS


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    if STATS:
        terminalreporter.write_line(
            "runtime harness: " + ", ".join(f"{key} {STATS[key]}" for key in sorted(STATS))
        )
