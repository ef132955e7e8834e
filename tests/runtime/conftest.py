"""The harness's counts at the end of the run (the `runtime` marker is declared in pyproject.toml)."""

from __future__ import annotations

from .harness import STATS

# Handler folders are the functions under test, with their own tests as real projects keep them
# (thumbnail_runner/tests/): fixtures to analyse, not tests of policygen.
collect_ignore_glob = ["handlers/*"]


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    if STATS:
        terminalreporter.write_line(
            "runtime harness: " + ", ".join(f"{key} {STATS[key]}" for key in sorted(STATS))
        )
