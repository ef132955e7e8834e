"""Run a handler under moto, as the principal whose only policy is the one policygen generated.

A `Case` is one small Lambda function (a folder under `handlers/`) with the resources it needs
(`setup`, run with IAM enforcement off), its environment and event, and the set of IAM actions it
needs, written by hand from AWS's documentation. `run` creates a fresh moto account, the fixtures,
a role holding exactly the given policy, and invokes the handler with that role's credentials while
`judge.judging()` records every authorization decision. `ablate` removes each (action, resource)
grant in turn and runs again: a grant whose removal is not denied is an over-grant, unless moto
cannot judge it (then it is counted as not judged, never as passed).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import botocore.loaders
import botocore.session
from moto import mock_aws
from moto.core import disable_iam_authentication, enable_iam_authentication

from policygen import pipeline
from policygen.discover import normalize_handler
from policygen.evidence import Subject, texts
from policygen.model import Target, Trigger
from policygen.options import Options
from policygen.render.json_policy import policy_document

from .judge import Check, judging

ACCOUNT = "123456789012"
REGION = "us-east-1"
TARGET = Target("aws", REGION, ACCOUNT)
HANDLERS = Path(__file__).parent / "handlers"
ROLE = "function-role"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
}
MOTO_CONFIG: Any = {"lambda": {"use_docker": False}}

# Which of a case's tests fail today and why: the key is the test ("runs", "documented", "minimal").
RUNS, DOCUMENTED, MINIMAL, NARROW = "runs", "documented", "minimal", "narrow"


@dataclass(frozen=True, eq=False)  # hashed by identity: results are cached per case
class Case:
    name: str  # the folder under handlers/
    setup: Callable[[], None]  # creates the function's resources (moto, enforcement off)
    expected: frozenset[str]  # every IAM action the handler needs, from AWS's documentation
    env: Mapping[str, str] = field(default_factory=dict)
    events: tuple[Mapping[str, Any], ...] = ({},)  # invoked in turn, in one account (one per branch)
    unjudged: Mapping[str, str] = field(default_factory=dict)  # action -> why moto cannot judge it
    # action -> why its resource cannot be known before run time (reviewed), so a wider grant is right
    wide: Mapping[str, str] = field(default_factory=dict)
    handler: str = "app.handler"
    cli: bool = False  # also generate through the CLI and require the same policy
    known: Mapping[str, str] = field(default_factory=dict)  # test -> xfail reason (issue 10 classes)
    triggers: tuple[Trigger, ...] = ()  # what the deployment says invokes it: the names in its event

    @property
    def folder(self) -> Path:
        return HANDLERS / self.name


@dataclass(frozen=True)
class Outcome:
    checks: tuple[Check, ...]
    error: BaseException | None
    value: Any

    @property
    def denials(self) -> list[Check]:
        return [check for check in self.checks if not check.allowed]


@dataclass(frozen=True)
class Ablation:
    action: str
    resource: str
    verdict: str  # "needed" (denied without it), "not judged", "unneeded" (an over-grant)
    why: str


STATS: Counter[str] = Counter()


def generate(case: Case) -> dict[str, Any]:
    return _generate(case)


@functools.cache
def _generate(case: Case) -> dict[str, Any]:
    # The triggers are what a deployment file would say invokes the handler: a Subject of its own.
    subject = Subject(
        case.folder.name,
        case.folder,
        normalize_handler(case.handler) if case.handler else None,
        texts(dict(case.env)),
        TARGET,
        triggers=case.triggers,
    )
    result = pipeline.analyse(subject, Options(target=TARGET))
    assert not result.errors, result.errors
    return policy_document(result.policy)


def grants(document: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every (action, resource) pair the policy allows, in document order."""
    pairs = []
    for statement in document["Statement"]:
        for action in _listed(statement["Action"]):
            for resource in _listed(statement["Resource"]):
                pairs.append((action, resource))
    return pairs


def without(document: Mapping[str, Any], action: str, resource: str) -> dict[str, Any]:
    """The policy minus one (action, resource) grant; everything else, conditions included, stays."""
    statements = []
    for statement in document["Statement"]:
        actions = _listed(statement["Action"])
        resources = _listed(statement["Resource"])
        if action not in actions or resource not in resources:
            statements.append(statement)
            continue
        if len(actions) > 1:
            statements.append({**statement, "Action": [a for a in actions if a != action]})
        if len(resources) > 1:
            rest = {**statement, "Action": [action], "Resource": [r for r in resources if r != resource]}
            if len(actions) > 1 and "Sid" in statement:
                rest["Sid"] = statement["Sid"] + "Rest"  # IAM refuses two statements with one Sid
            statements.append(rest)
    return {**document, "Statement": statements}


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def run(case: Case, document: Mapping[str, Any]) -> Outcome:
    """One invocation of the handler, in a fresh moto account, as a role holding only `document`."""
    STATS["functions run"] += 1
    with shared_models(), mock_aws(config=MOTO_CONFIG):
        with disable_iam_authentication():
            case.setup()
            credentials = _principal(document)
        with _function(case, credentials) as handler, enable_iam_authentication(), judging() as judge:
            error: BaseException | None = None
            values = []
            try:
                for event in case.events:
                    values.append(handler(json.loads(json.dumps(event)), _Context(case)))
            except Exception as exc:  # the verdict is the judge's log; the error is kept for the message
                error = exc
    return Outcome(tuple(judge.checks), error, tuple(values))


@functools.cache
def baseline(case: Case) -> Outcome:
    outcome = run(case, generate(case))
    STATS["denials"] += len(outcome.denials)
    return outcome


def ablate(case: Case, document: Mapping[str, Any] | None = None) -> list[Ablation]:
    """Remove each grant of `document` (default: the generated policy) in turn and run again."""
    document = document or generate(case)
    base = baseline(case) if document == generate(case) else run(case, document)
    blind = {check.action for check in base.checks if not check.resource_judged}
    found = []
    for action, resource in grants(document):
        if action in case.unjudged:
            found.append(Ablation(action, resource, "not judged", case.unjudged[action]))
            continue
        reduced = without(document, action, resource)
        outcome = run(case, reduced)
        if outcome.denials:
            found.append(Ablation(action, resource, "needed", f"denied {outcome.denials[0]}"))
        elif action in blind and any(a == action for a, _ in grants(reduced)):
            found.append(
                Ablation(action, resource, "not judged", "moto cannot tell this service's resources apart")
            )
        else:
            found.append(Ablation(action, resource, "unneeded", "the handler ran without it"))
    for ablation in found:
        STATS[f"ablations {ablation.verdict}"] += 1
    return found


def decoy(arn: str) -> str:
    """A resource of the same type the handler never touches: its name prefixed with `decoy-`.

    Only a wildcard at the start of the name (`table/*`, `*`) reaches it, i.e. exactly the grants
    wider than the resource the handler used.
    """
    if arn.startswith("arn:aws:s3:::"):
        return "arn:aws:s3:::decoy-" + arn.removeprefix("arn:aws:s3:::")
    parts = arn.split(":", 5)
    head, rest = ":".join(parts[:5]), parts[5]
    for separator in ("/", ":"):
        kind, found, name = rest.partition(separator)
        if found:
            return f"{head}:{kind}{separator}decoy-{name}"
    return f"{head}:decoy-{rest}"


@dataclass(frozen=True)
class Reach:
    action: str
    used: str  # the resource the handler used
    decoy: str
    verdict: str  # "refused", "allowed" (wider than needed), "not judged"
    why: str = ""


def reach(case: Case, document: Mapping[str, Any] | None = None) -> list[Reach]:
    """For every resource the handler was authorized on, does the policy also allow a sibling?

    Statements with conditions are left out: moto cannot evaluate them, and a condition (such as
    `kms:RequestAlias`) is what narrows a `key/*` grant.
    """
    from .judge import allowed

    document = document or generate(case)
    base = baseline(case) if document == generate(case) else run(case, document)
    unconditioned = {**document, "Statement": [s for s in document["Statement"] if "Condition" not in s]}
    found: dict[tuple[str, str], Reach] = {}
    for check in base.checks:
        if not check.resource_judged or (check.action, check.resource) in found:
            continue
        sibling = decoy(check.resource)
        if check.action in case.wide:
            result = Reach(check.action, check.resource, sibling, "not judged", case.wide[check.action])
        elif allowed([json.dumps(unconditioned)], check.action, sibling):
            result = Reach(check.action, check.resource, sibling, "allowed")
        else:
            result = Reach(check.action, check.resource, sibling, "refused")
        found[(check.action, check.resource)] = result
    for result in found.values():
        STATS[f"decoys {result.verdict}"] += 1
    return list(found.values())


def _principal(document: Mapping[str, Any]) -> dict[str, str]:
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    if document["Statement"]:  # IAM rejects an empty policy; a role without one is the same grant
        iam.put_role_policy(RoleName=ROLE, PolicyName="generated", PolicyDocument=json.dumps(document))
    credentials = boto3.client("sts", region_name=REGION).assume_role(RoleArn=role, RoleSessionName="function")
    return dict(credentials["Credentials"])


class _Context:
    def __init__(self, case: Case) -> None:
        self.function_name = case.name
        self.aws_request_id = "00000000-0000-0000-0000-000000000000"
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{case.name}"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


@functools.cache
def _shared_loader(data_path: str | None) -> Any:
    return botocore.loaders.create_loader(data_path)


def shared_models() -> contextlib.AbstractContextManager[Any]:
    """New sessions (fresh credentials, as in a new container; moto also resets boto3's default
    session) that share one loader of botocore's service models: reading the JSON models again for
    every client made is most of a run's time."""
    return mock.patch.object(botocore.session, "create_loader", _shared_loader)


@contextlib.contextmanager
def _function(case: Case, credentials: Mapping[str, str]) -> Iterator[Callable[..., Any]]:
    """Import the handler as Lambda does: fresh module state, its environment, the role's credentials."""
    environment = {
        **case.env,
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        "AWS_SESSION_TOKEN": credentials["SessionToken"],
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_LAMBDA_FUNCTION_NAME": case.name,
    }
    module_name, _, function_name = case.handler.rpartition(".")
    loaded = set(sys.modules)
    sys.path.insert(0, str(case.folder))
    try:
        with mock.patch.dict(os.environ, environment), mock.patch.object(boto3, "DEFAULT_SESSION", None):
            module = importlib.import_module(module_name)
            yield getattr(module, function_name)
    finally:
        sys.path.remove(str(case.folder))
        # A new container: the handler's modules and every library it loaded first (their caches
        # hold clients made with this run's credentials, e.g. Powertools' parameter providers).
        for name in set(sys.modules) - loaded:
            del sys.modules[name]
