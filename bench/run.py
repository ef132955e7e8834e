#!/usr/bin/env python3
"""``make bench``: policygen beside AWS's IAM Policy Autopilot on large real boto3 code bases.

Fetches the c7n 0.9.53 and awswrangler source trees from PyPI (wheels, unpacked into .bench/),
then, on the same files in the same run, measures: policygen cold (empty cache), policygen warm
after a one-file change, and Autopilot (../shared/tools/autopilot-offline/run.sh). Prints files,
lines, wall seconds, lines per second and peak RSS, and the ratios. Timings are reported, never
asserted.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".bench"
AUTOPILOT = ROOT.parent / "shared" / "tools" / "autopilot-offline" / "run.sh"
CORPORA = {"c7n": ("c7n==0.9.53", "c7n"), "awswrangler": ("awswrangler==3.17.1", "awswrangler")}

MEASURE = """
import resource, subprocess, sys, time, json
t = time.perf_counter()
p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"wall": wall, "rss_kib": rss, "rc": p.returncode, "stderr": p.stderr.decode()[-400:]}))
"""


def fetch(spec: str, package: str) -> Path:
    target = WORK / package
    if (target / package).is_dir():
        return target / package
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--only-binary",
                ":all:",
                spec,
                "-d",
                tmp,
            ],
            check=True,
        )
        wheel = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(target)
    return target / package


def measure(cmd: list[str]) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", MEASURE, *cmd], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> int:
    beside = Path(sys.executable).parent / "iam-policy-autopilot"
    if beside.exists():
        os.environ.setdefault("AUTOPILOT_BIN", str(beside))
    rows = []
    for name, (spec, package) in CORPORA.items():
        src = fetch(spec, package)
        files = sorted(src.rglob("*.py"))
        lines = sum(len(f.read_bytes().splitlines()) for f in files)
        cache = WORK / f"cache-{name}"
        shutil.rmtree(cache, ignore_errors=True)
        base = [
            sys.executable,
            "-m",
            "policygen",
            "generate",
            str(src),
            "--region",
            "us-east-1",
            "--account",
            "123456789012",
            "--format",
            "json-report",
            "--cache-dir",
            str(cache),
        ]
        cold = measure(base)
        victim = files[len(files) // 2]
        original = victim.read_bytes()
        victim.write_bytes(original + b"\n# bench: one-file change\n")
        try:
            warm = measure(base)
        finally:
            victim.write_bytes(original)
        row = {
            "corpus": spec,
            "files": len(files),
            "lines": lines,
            "policygen_cold": cold,
            "policygen_warm_one_file_changed": warm,
        }
        if shutil.which("iam-policy-autopilot") or os.environ.get("AUTOPILOT_BIN"):
            auto = measure(
                [
                    "bash",
                    str(AUTOPILOT),
                    "generate-policies",
                    *map(str, files),
                    "--region",
                    "us-east-1",
                    "--account",
                    "123456789012",
                ]
            )
            row["autopilot"] = auto
            row["cold_speedup_vs_autopilot"] = round(auto["wall"] / cold["wall"], 1)
            row["peak_rss_ratio_policygen_over_autopilot"] = round(
                cold["rss_kib"] / max(auto["rss_kib"], 1), 2
            )
        row["policygen_lines_per_s_cold"] = round(lines / cold["wall"])
        row["policygen_files_per_s_cold"] = round(len(files) / cold["wall"], 1)
        rows.append(row)
        print(json.dumps(row, indent=1), flush=True)
    (WORK / "results.json").write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    started = time.time()
    code = main()
    print(f"bench finished in {time.time() - started:.0f}s", file=sys.stderr)
    sys.exit(code)
