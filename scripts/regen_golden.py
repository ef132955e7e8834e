#!/usr/bin/env python3
"""Regenerate every example's golden outputs (``make golden``). Review the diff before committing."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from golden import (  # noqa: E402
    EXAMPLES,
    GATE_CASES,
    GATE_FORMATS,
    OUTPUTS,
    RECORDED,
    gate_golden,
    run_example,
    run_gate,
    run_recorded,
)


def main() -> int:
    for example in EXAMPLES:
        expected = example / "expected"
        expected.mkdir(exist_ok=True)
        for name, fmt in OUTPUTS.items():
            (expected / name).write_text(run_example(example, fmt))
        print(f"wrote {expected.relative_to(ROOT)}")
    for case in GATE_CASES:
        for extension, fmt in GATE_FORMATS.items():
            path = gate_golden(case, extension)
            path.parent.mkdir(exist_ok=True)
            path.write_text(run_gate(case, fmt))
        print(f"wrote {gate_golden(case, '*').relative_to(ROOT)}")
    expected = RECORDED / "expected"
    expected.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in run_recorded(Path(tmp)).items():
            (expected / name).write_text(text)
    print(f"wrote {expected.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
