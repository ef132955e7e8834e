"""Every runtime case: the generated policy runs the handler, grants only documented actions,
every grant it makes is needed (removing it gets the handler denied) and none reaches a resource of
the same type the handler never used, as far as moto can judge.

The judge and what moto can and cannot check are described in `judge.py`; how to add a case in
`README.md`.
"""

from __future__ import annotations

import importlib
import json
import pkgutil

import pytest
from click.testing import CliRunner

from policygen.cli import main

from . import harness
from .harness import ACCOUNT, DOCUMENTED, MINIMAL, NARROW, REGION, RUNS, Case

pytestmark = pytest.mark.runtime


def _cases() -> list[Case]:
    found: list[Case] = []
    for module in pkgutil.iter_modules([str(harness.Path(__file__).parent)]):
        if module.name.startswith("cases_"):
            found.extend(importlib.import_module(f"{__package__}.{module.name}").CASES)
    names = [case.name for case in found]
    assert len(names) == len(set(names)), f"two runtime cases share a name: {sorted(names)}"
    return sorted(found, key=lambda case: case.name)


CASES = _cases()


def _params(test: str) -> list[object]:
    return [
        pytest.param(
            case,
            id=case.name,
            marks=[pytest.mark.xfail(strict=True, reason=case.known[test])] if test in case.known else [],
        )
        for case in CASES
    ]


@pytest.mark.parametrize("case", _params(RUNS))
def test_runs_without_denial(case: Case) -> None:
    outcome = harness.baseline(case)
    assert not outcome.denials, (
        f"{case.name}: denied under its generated policy: {outcome.denials}\n"
        f"policy: {json.dumps(harness.generate(case), indent=1)}"
    )
    assert outcome.error is None, f"{case.name}: the handler failed: {outcome.error!r}"


@pytest.mark.parametrize("case", _params(DOCUMENTED))
def test_grants_only_documented_actions(case: Case) -> None:
    granted = {action for action, _ in harness.grants(harness.generate(case))}
    forbidden = sorted(granted - case.expected)
    harness.STATS["forbidden grants"] += len(forbidden)
    assert not forbidden, f"{case.name}: granted actions the handler never needs: {forbidden}"
    # What moto cannot judge at run time must at least be granted when the documentation requires it.
    missing = sorted(action for action in case.unjudged if action in case.expected and action not in granted)
    assert not missing, f"{case.name}: required actions moto cannot check were not granted: {missing}"


@pytest.mark.parametrize("case", _params(MINIMAL))
def test_every_grant_is_needed(case: Case) -> None:
    base = harness.baseline(case)
    assert not base.denials and base.error is None, "the policy must run the handler before it can be minimal"
    unneeded = [a for a in harness.ablate(case) if a.verdict == "unneeded"]
    assert not unneeded, f"{case.name}: the handler runs without these grants: {unneeded}"


@pytest.mark.parametrize("case", _params(NARROW))
def test_no_grant_reaches_a_resource_the_handler_never_used(case: Case) -> None:
    base = harness.baseline(case)
    assert not base.denials and base.error is None, "the policy must run the handler before it can be narrow"
    wider = [r for r in harness.reach(case) if r.verdict == "allowed"]
    assert not wider, f"{case.name}: the policy also allows resources the handler never used: {wider}"


@pytest.mark.parametrize("case", [c for c in CASES if c.cli], ids=lambda c: c.name)
def test_cli_writes_the_same_policy(case: Case, tmp_path) -> None:
    args = ["generate", str(case.folder), "--region", REGION, "--account", ACCOUNT, "--handler", case.handler]
    for key, value in sorted(case.env.items()):
        args += ["--env", f"{key}={value}"]
    output = tmp_path / "policy.json"
    result = CliRunner().invoke(main, [*args, "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert json.loads(output.read_text()) == harness.generate(case)


@pytest.fixture
def uncounted():
    """Runs of the harness's own tests stay out of the counts reported for the cases."""
    saved = harness.STATS.copy()
    yield
    harness.STATS.clear()
    harness.STATS.update(saved)


def _case(name: str) -> Case:
    return next(case for case in CASES if case.name == name)


def _with(document: dict, action: str, resource: str) -> dict:
    extra = {"Effect": "Allow", "Action": [action], "Resource": [resource]}
    return {**document, "Statement": [*document["Statement"], extra]}


def test_the_harness_catches_an_unneeded_grant(uncounted) -> None:
    """Not vacuous: an action the handler never uses, added to its policy, is found by ablation."""
    case = _case("orders_api")
    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/orders"
    ablations = harness.ablate(case, _with(harness.generate(case), "dynamodb:DeleteItem", table))
    verdicts = {(a.action, a.resource): a.verdict for a in ablations}
    assert verdicts[("dynamodb:DeleteItem", table)] == "unneeded"
    assert verdicts[("dynamodb:PutItem", table)] == "needed"


def test_the_harness_catches_a_grant_wider_than_the_resource_used(uncounted) -> None:
    case = _case("orders_api")
    wider = _with(harness.generate(case), "dynamodb:GetItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/*")
    verdicts = {r.action: r.verdict for r in harness.reach(case, wider)}
    assert verdicts["dynamodb:GetItem"] == "allowed"
    assert verdicts["dynamodb:PutItem"] == "refused"
