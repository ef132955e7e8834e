"""Runs of the CLI under several PYTHONHASHSEEDs: set iteration order changes with the seed, the
output must not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SEEDS = ("0", "1", "2", "3", "4", "5")


def reports_across_hash_seeds(folder: Path) -> set[str]:
    """The distinct json-reports of ``folder`` under each of `SEEDS` (one, if deterministic)."""
    outputs = set()
    for seed in SEEDS:
        env = {**os.environ, "PYTHONHASHSEED": seed}
        args = [sys.executable, "-m", "policygen", "generate", str(folder), "--no-cache"]
        args += ["--format", "json-report", "--region", "us-east-1", "--account", "123456789012"]
        outputs.add(subprocess.run(args, env=env, capture_output=True, text=True, check=True).stdout)
    return outputs
