#!/usr/bin/env python3
"""``make bench-trail``: ``policygen trail`` beside trailscraper (PyPI) on the same CloudTrail logs.

Generates (once, cached under ``.bench/trail-<N>/``) delivered-style log sets of 1M and 5M records:
an account's busy trail in two regions over 30 days, 40 Lambda execution roles doing what
``tests/trail_fixtures.py`` shows one doing (S3 and DynamoDB data events, SQS, KMS, a denied
call, the platform's log streams, CloudWatch metrics), among deployers' calls, service events and
console sign-ins; gzip files of 100-500 records in the ``AWSLogs/<account>/CloudTrail/<region>/
<yyyy>/<mm>/<dd>/`` layout with CloudTrail's file names. The seed is fixed: the same files every
time. Generation runs in a process per core.

``bench/trail.py project [SET]`` (``make bench-trail-project``): a project of 5 functions (roles
0-4, each matched by role ARN and session name) read in one pass for all of them against one
read per function, on SET (default 200k records); reports the ratio of wall times.

Then, on each set, in the same run: ``policygen trail`` and ``trailscraper select | trailscraper
generate`` with the same role filter and the same window (the whole 30 days, so both read every
file). Reported per tool: wall seconds, events per second (records in the set / wall), peak RSS
(``ru_maxrss`` of the children: the largest process, workers included), and the ratios asked for:
policygen events/s / trailscraper events/s, policygen peak RSS at 5M / at 1M. Timings are
reported, never asserted.

What differs in the work: trailscraper parses every record with ``json`` and keeps the role's
records (``select``), then maps event names to actions (``generate``); policygen skips, by a byte
search, the records that cannot be the role's, parses the rest, aggregates them and maps them
with scoped resources, denied calls and the calls it cannot map reported apart.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".bench"
TRAILSCRAPER = WORK / "trailscraper-venv" / "bin" / "trailscraper"
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "bench")]

import trail_fixtures as fx  # noqa: E402
from run import MEASURE  # noqa: E402  (the same measurement as `make bench`)

SEED = 20261201
GENERATOR_VERSION = 2  # bump when the shape changes: cached sets are regenerated
ROLES = 40
REGIONS = ("eu-west-1", "us-east-1")
DAYS = 30
START = datetime(2026, 10, 1, tzinfo=UTC)
TARGET = fx.ROLE  # role 0: the fixtures' orders-fn
SIZES = {"200k": 200_000, "1M": 1_000_000, "5M": 5_000_000}



def _templates() -> list[list[str]]:
    """Per role, per activity kind (16), the record's JSON with ``%(t)s`` (time), ``%(e)s`` (event
    id), ``%(r)s`` (request id) and ``%(k)s`` (the order number in object keys) to fill in."""
    out = []
    for role in range(ROLES):
        name = "orders" if role == 0 else f"svc{role:02d}"
        region = REGIONS[role % len(REGIONS)]
        kinds = []
        for kind in range(16):
            record = fx._activity(kind, START)
            record["eventTime"], record["eventID"], record["requestID"] = "@T@", "@E@", "@R@"
            text = json.dumps(record, separators=(",", ":")).replace("%", "%%")
            text = text.replace(f"{kind:07d}", "%(k)s").replace("@T@", "%(t)s").replace("@E@", "%(e)s")
            text = text.replace("@R@", "%(r)s")
            if role:
                text = text.replace("orders", name).replace(fx.ROLE_ID, f"AROAEXAMPLEROLEID{role:04d}")
            kinds.append(text.replace(fx.REGION, region))
        out.append(kinds)
    return out


def _write_day(args: tuple[Path, int, int, str]) -> int:
    """One region's files of one day: ``count`` records, sorted by time, in files of 100-500."""
    from isal import isal_zlib

    root, day, count, region = args
    rng = random.Random(f"{SEED}-{GENERATOR_VERSION}-{day}-{region}-{count}")
    templates = _templates()
    roles = [r for r in range(ROLES) if REGIONS[r % len(REGIONS)] == region]
    base = START + timedelta(days=day)
    seconds = sorted(rng.randrange(86_400) for _ in range(count))
    folder = root / "AWSLogs" / fx.ACCOUNT / "CloudTrail" / region / base.strftime("%Y/%m/%d")
    folder.mkdir(parents=True, exist_ok=True)
    alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    done = files = 0
    while done < count:
        size = min(rng.randint(100, 500), count - done)
        batch = []
        for second in seconds[done : done + size]:
            when = base + timedelta(seconds=second)
            bits = rng.getrandbits(128)
            event_id = f"{bits:032x}"
            template = templates[rng.choice(roles)][rng.randrange(16)]
            batch.append(
                template
                % {
                    "t": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "e": f"{event_id[:8]}-{event_id[8:12]}-{event_id[12:16]}-{event_id[16:20]}-{event_id[20:]}",
                    "r": f"{bits >> 64:016X}",
                    "k": f"{rng.randrange(10_000_000):07d}",
                }
            )
        delivered = base + timedelta(seconds=seconds[done + size - 1] + 300)
        suffix = "".join(rng.choice(alnum) for _ in range(16))
        name = f"{fx.ACCOUNT}_CloudTrail_{region}_{delivered:%Y%m%dT%H%MZ}_{suffix}.json.gz"
        body = ('{"Records":[' + ",".join(batch) + "]}").encode()
        packer = isal_zlib.compressobj(2, isal_zlib.DEFLATED, 31)
        (folder / name).write_bytes(packer.compress(body) + packer.flush())
        done += size
        files += 1
    return files


def log_set(label: str, records: int) -> tuple[Path, int]:
    """The cached log set of ``records`` records (generated when missing); its folder and file count."""
    root = WORK / f"trail-{label}"
    marker = root / "GENERATED"
    stamp = f"{GENERATOR_VERSION} {SEED} {records}"
    if marker.is_file() and marker.read_text().split("\n")[0] == stamp:
        return root, int(marker.read_text().split("\n")[1])
    if root.exists():
        subprocess.run(["rm", "-rf", str(root)], check=True)
    started = time.perf_counter()
    per_day, rest = divmod(records, DAYS * len(REGIONS))
    tasks = [
        (root, day, per_day + (1 if day * len(REGIONS) + i < rest else 0), region)
        for day in range(DAYS)
        for i, region in enumerate(REGIONS)
    ]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        files = sum(pool.map(_write_day, tasks))
    marker.write_text(f"{stamp}\n{files}\n")
    print(
        f"generated {label}: {records} records in {files} files in {time.perf_counter() - started:.0f}s",
        file=sys.stderr,
        flush=True,
    )
    return root, files


def measure(cmd: list[str]) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", MEASURE, *cmd], capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(out.stdout)
    if result["rc"] != 0:
        print(f"{cmd[0]}... exited {result['rc']}: {result['stderr']}", file=sys.stderr)
    return result


def run_set(label: str, records: int) -> dict[str, Any]:
    root, files = log_set(label, records)
    size = sum(p.stat().st_size for p in root.rglob("*.gz"))
    since = (START - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    until = (START + timedelta(days=DAYS, hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ours_out = WORK / f"policygen-{label}.json"
    ours = measure(
        [sys.executable, "-m", "policygen", "trail", "--cloudtrail", str(root), "--role", TARGET,
         "--since", since, "--until", until, "--format", "json", "-o", str(ours_out), "--quiet"]
    )  # fmt: skip
    selected, theirs_out = WORK / f"trailscraper-{label}-selected.json", WORK / f"trailscraper-{label}.json"
    theirs = measure(
        ["sh", "-c", '"$0" select --log-dir "$1" --filter-assumed-role-arn "$2" --from "$3" --to "$4" > "$5" '
         '&& "$0" generate < "$5" > "$6"',
         str(TRAILSCRAPER), str(root), TARGET, since, until, str(selected), str(theirs_out)]
    )  # fmt: skip
    doc = json.loads(ours_out.read_text()) if ours["rc"] == 0 else {}
    theirs_policy = json.loads(theirs_out.read_text()) if theirs["rc"] == 0 else {}
    ours_actions = {a for s in doc.get("policy", {}).get("Statement", []) for a in _list(s["Action"])}
    theirs_actions = {a for s in theirs_policy.get("Statement", []) for a in _list(s["Action"])}
    row: dict[str, Any] = {
        "set": label,
        "records": records,
        "files": files,
        "gzip_mb": round(size / 1e6),
        "policygen": {**ours, "events_per_s": round(records / ours["wall"])},
        "trailscraper": {**theirs, "events_per_s": round(records / theirs["wall"])},
        "matched_policygen": doc.get("counts", {}).get("calls_of_the_role"),
        "matched_trailscraper": len(json.loads(selected.read_text())["Records"]) if theirs["rc"] == 0 else None,
        "actions_only_policygen": sorted(ours_actions - theirs_actions),
        "actions_only_trailscraper": sorted(theirs_actions - ours_actions),
        "events_per_s_ratio": round(ours["wall"] and theirs["wall"] / ours["wall"], 1),
    }
    for stale in (selected, theirs_out):
        stale.unlink(missing_ok=True)
    return row


def _role(n: int) -> tuple[str, str]:
    """Role ``n``'s ARN and session name (the function's), as `_templates` writes them."""
    name = "orders" if n == 0 else f"svc{n:02d}"
    return fx.ROLE.replace("orders", name), fx.FUNCTION.replace("orders", name)


def run_project(label: str, functions: int = 5, rounds: int = 2) -> dict[str, Any]:
    """A project of ``functions`` functions read from the ``label`` set: the one pass for all of
    them (`LocalTrail.read_many`) against one read per function (what project mode did before),
    in this process, alternated ``rounds`` times (the best wall time of each kept: the machine is
    shared). The aggregates of both are checked equal; the ratio is reported, never asserted."""
    from policygen.trail import LocalTrail, Principal, Window

    root, files = log_set(label, SIZES[label])
    principals = [Principal(*_role(n)) for n in range(functions)]
    window = Window(START - timedelta(hours=1), START + timedelta(days=DAYS, hours=1))
    trail = LocalTrail(root)
    best = {"one_pass": float("inf"), "per_function": float("inf")}
    for _ in range(rounds):
        started = time.perf_counter()
        many = trail.read_many(principals, window, census=True)
        best["one_pass"] = min(best["one_pass"], time.perf_counter() - started)
        started = time.perf_counter()
        each = {p: trail.read(p, window, census=True) for p in principals}
        best["per_function"] = min(best["per_function"], time.perf_counter() - started)
        if many != each:
            raise SystemExit("the one pass and the per-function reads differ: a bug")
    return {
        "set": label,
        "files": files,
        "functions": functions,
        "matched": [many[p].matched for p in principals],
        "one_pass_s": round(best["one_pass"], 1),
        "per_function_s": round(best["per_function"], 1),
        "per_function_over_one_pass": round(best["per_function"] / best["one_pass"], 2),
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "cores": os.cpu_count(),
    }


def _list(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


def main() -> int:
    if sys.argv[1:2] == ["project"]:  # bench/trail.py project [SET]: a project's one pass vs N scans
        label = sys.argv[2] if len(sys.argv) > 2 else "200k"
        print(json.dumps(run_project(label), indent=1))
        return 0
    if not TRAILSCRAPER.exists():
        print(f"{TRAILSCRAPER} is missing: run `make bench-trail`", file=sys.stderr)
        return 2
    only = sys.argv[1:] or ["1M", "5M"]
    for label in only:  # generate first, so that generation never overlaps a measurement
        log_set(label, SIZES[label])
    rows = [run_set(label, SIZES[label]) for label in only]
    for row in rows:
        print(json.dumps(row, indent=1), flush=True)
    by = {r["set"]: r for r in rows}
    summary = {}
    for label, row in by.items():
        summary[f"events_per_s_ratio_{label} (goal >= 10)"] = row["events_per_s_ratio"]
    if "1M" in by and "5M" in by:
        summary["policygen_peak_rss_5M_over_1M (goal <= 1.5)"] = round(
            by["5M"]["policygen"]["rss_kib"] / by["1M"]["policygen"]["rss_kib"], 2
        )
        summary["trailscraper_peak_rss_5M_over_1M"] = round(
            by["5M"]["trailscraper"]["rss_kib"] / by["1M"]["trailscraper"]["rss_kib"], 2
        )
    summary["load_average_1_5_15"] = [round(x, 2) for x in os.getloadavg()]
    summary["cores"] = os.cpu_count()
    print(json.dumps(summary, indent=1))
    (WORK / "trail-results.json").write_text(json.dumps({"rows": rows, "summary": summary}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
