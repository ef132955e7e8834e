#!/usr/bin/env python3
"""Regenerate ``mappings/managed_policies.json.gz`` from the AWS managed policies snapshot.

Source: ``../shared/data/aws-managed-policies`` (see its SOURCE.md: one JSON file per AWS managed
policy with its ARN, default version and document). Each document is checked with policygen's own
policy reader, so what ships is what the evaluator can read; a document it rejects stops the
build with the reason (fix the reader or record the policy as unreadable, never drop it quietly).

The output is one compact JSON (gzipped; byte-identical for the same input) holding the schema
version, where the data came from, and per policy: ARN, default version id, deprecated flag and
document. policygen reads it lazily at run time (``policygen.policy.managed``); nothing reads
``../shared`` then.

Usage: python scripts/build_managed_policies.py [--source DIR] [--out mappings/managed_policies.json.gz]
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import sys
from pathlib import Path
from typing import Any

from policygen.errors import PolicyError
from policygen.policy.document import parse_policy

SCHEMA_VERSION = 1
ROOT = Path(__file__).resolve().parent.parent


def provenance(source: Path) -> tuple[str, str]:
    """Where the snapshot came from, in one line, and its date, from its SOURCE.md."""
    text = (source / "SOURCE.md").read_text(encoding="utf-8")
    commit = re.search(r"commit ([0-9a-f]{40}) \(([\d-]+)\)", text)
    if commit is None:
        raise SystemExit(f"{source / 'SOURCE.md'}: no 'commit <sha> (<date>)'; record where the snapshot came from")
    described = f"GitHub iann0036/iam-dataset aws/managedpolicies at {commit.group(1)}"
    return f"{described}; AdministratorAccess, PowerUserAccess from z0ph/MAMIP", commit.group(2)


def build(source: Path) -> dict[str, Any]:
    policies: dict[str, Any] = {}
    problems = []
    for path in sorted((source / "policies").glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        name, arn = raw["name"], raw["arn"]
        # 75 (all but one deprecated) come without their ARN: kept, looked up by name only.
        if arn is not None and (not arn.startswith("arn:aws:iam::aws:policy/") or not arn.endswith("/" + name)):
            problems.append(f"{path.name}: name {name!r} and ARN {arn!r} disagree")
            continue
        if name in policies:
            problems.append(f"{path.name}: a second policy named {name!r}")
            continue
        try:
            parse_policy(raw["document"], f"{path.name} document")
        except PolicyError as exc:
            problems.append(str(exc))
            continue
        policies[name] = {
            "arn": arn,
            "version": raw.get("version"),
            "deprecated": bool(raw.get("deprecated")),
            "document": raw["document"],
        }
    if problems:
        raise SystemExit("managed policies the policy reader rejects:\n  " + "\n  ".join(problems))
    origin, snapshot = provenance(source)
    return {"schema": SCHEMA_VERSION, "source": origin, "snapshot": snapshot, "count": len(policies), "policies": policies}


def write(data: dict[str, Any], out: Path) -> None:
    text = json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as handle:
        handle.write(text)
    out.write_bytes(buffer.getvalue())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=ROOT.parent / "shared" / "data" / "aws-managed-policies")
    parser.add_argument("--out", type=Path, default=ROOT / "mappings" / "managed_policies.json.gz")
    args = parser.parse_args()
    data = build(args.source)
    write(data, args.out)
    print(f"{args.out}: {data['count']} AWS managed policies ({args.out.stat().st_size} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
