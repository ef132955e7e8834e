#!/usr/bin/env python3
"""Run a composite GitHub Action's steps here, as the Actions runner would: so CI and the tests run
action.yml's own steps (not a copy of them) on an example.

    run_action.py action.yml --input path=examples/sam-orders --input args="..." [--skip install]

Each step's ``run`` is written to a file and run with ``bash --noprofile --norc -eo pipefail``
(the runner's ``shell: bash``), with the step's ``env``; ``${{ inputs.X }}``,
``${{ github.action_path }}`` and ``${{ steps.S.outputs.O }}`` are substituted first, any other
expression is refused. GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and GITHUB_ACTION_PATH are set as on a
runner (the summary is left where --summary says). A failing step stops the run with its exit
code; the action's outputs are printed as NAME=VALUE lines. --skip ID leaves a step out (the
install step, where the package is installed already).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

_EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


def _substitute(text: str, context: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in context:
            raise SystemExit(f"run_action: unsupported expression ${{{{ {name} }}}}")
        return context[name]

    return _EXPRESSION.sub(one, text)


def _outputs(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep:
            out[name] = value
    return out


def run(
    action_file: Path, inputs: dict[str, str], skip: set[str], summary: Path
) -> tuple[int, dict[str, str]]:
    action: dict[str, Any] = yaml.safe_load(action_file.read_text())
    if action["runs"]["using"] != "composite":
        raise SystemExit("run_action: only composite actions")
    declared = action.get("inputs") or {}
    unknown = set(inputs) - set(declared)
    if unknown:
        raise SystemExit(f"run_action: no such input(s): {', '.join(sorted(unknown))}")
    context = {f"inputs.{name}": str(spec.get("default", "")) for name, spec in declared.items()}
    context.update({f"inputs.{name}": value for name, value in inputs.items()})
    context["github.action_path"] = str(action_file.resolve().parent)
    with tempfile.TemporaryDirectory() as scratch:
        for number, step in enumerate(action["runs"]["steps"]):
            step_id = step.get("id", str(number))
            if step_id in skip:
                continue
            if step.get("shell") != "bash":
                raise SystemExit(f"run_action: step {step_id}: only shell: bash")
            script = Path(scratch, f"step-{number}.sh")
            script.write_text(_substitute(step["run"], context))
            output = Path(scratch, f"output-{number}")
            output.touch()
            env = {
                **os.environ,
                **{k: _substitute(str(v), context) for k, v in (step.get("env") or {}).items()},
                "GITHUB_OUTPUT": str(output),
                "GITHUB_STEP_SUMMARY": str(summary),
                "GITHUB_ACTION_PATH": context["github.action_path"],
            }
            done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], env=env)
            for name, value in _outputs(output).items():
                context[f"steps.{step_id}.outputs.{name}"] = value
            if done.returncode != 0:
                return done.returncode, _action_outputs(action, context)
    return 0, _action_outputs(action, context)


def _action_outputs(action: dict[str, Any], context: dict[str, str]) -> dict[str, str]:
    out = {}
    for name, spec in (action.get("outputs") or {}).items():
        try:
            out[name] = _substitute(str(spec["value"]), context)
        except SystemExit:  # the step that sets it did not run
            out[name] = ""
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", type=Path)
    parser.add_argument("--input", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--skip", action="append", default=[], metavar="STEP_ID")
    parser.add_argument("--summary", type=Path, default=Path(os.devnull), help="the job summary file")
    args = parser.parse_args()
    inputs = dict(pair.partition("=")[::2] for pair in args.input)
    code, outputs = run(args.action, inputs, set(args.skip), args.summary)
    for name, value in outputs.items():
        print(f"{name}={value}")
    return code


if __name__ == "__main__":
    sys.exit(main())
