"""From the aggregate's calls to IAM permissions, with the same mapping data and the same ARN
scoping as the static side (`policygen.mapping`, `policygen.scope`): an event becomes an
`SdkCall` whose arguments are its request parameters, and is mapped as the code's call would be.

CloudTrail's own names (``monitoring`` for CloudWatch, version-suffixed Lambda operations,
events that are no API operation) come from the reviewed table ``mappings/cloudtrail.yaml``.
Every action emitted exists in the IAM reference data; every call not mapped is listed with why.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from policygen import mapping
from policygen.errors import MappingError
from policygen.model import (
    Action,
    Argument,
    Arn,
    Hole,
    Location,
    SdkCall,
    Target,
    Text,
    Widening,
)
from policygen.scope import scope
from policygen.trail.aggregate import DENIED, Aggregate, Key, Seen

_VERSION_SUFFIX = re.compile(r"^(?P<op>[A-Za-z]+?)(?P<date>20\d{6})(?:v\d+)?$")


@dataclass(frozen=True, order=True)
class Observed:
    """One permission the trail shows the principal used (or was denied: ``denied``)."""

    action: Action
    resource: Arn
    denied: bool
    event: str  # "s3.amazonaws.com GetObject"
    count: int
    first: str
    last: str
    example: str  # an event id


@dataclass(frozen=True, order=True)
class NotMapped:
    event: str
    reason: str
    count: int
    example: str


@dataclass(frozen=True)
class IamOnly:
    """An event whose name is an IAM action of its service but no SDK operation."""

    action: Action


@dataclass(frozen=True)
class TrailPermissions:
    observed: tuple[Observed, ...]
    widenings: tuple[Widening, ...]
    not_mapped: tuple[NotMapped, ...]

    @property
    def missing(self) -> tuple[Observed, ...]:
        """Calls AWS denied: the permissions the role lacks, with the action and resource proposed."""
        return tuple(o for o in self.observed if o.denied)


@functools.cache
def table() -> dict[str, Any]:
    import yaml

    target = mapping._root().joinpath("cloudtrail.yaml")
    doc = yaml.safe_load(target.read_text(encoding="utf-8")) if target.is_file() else None
    if not isinstance(doc, dict) or doc.get("schema") != mapping.SCHEMA_VERSION:
        raise MappingError("mappings/cloudtrail.yaml is missing or not schema 1; reinstall policygen")
    return doc


def clients_of(event_source: str) -> tuple[str, ...]:
    host = event_source.removesuffix(".amazonaws.com")
    listed = table()["sources"].get(host)
    return tuple(listed) if listed else (host,)


@functools.cache
def _operations(client: str) -> dict[str, str]:
    doc = mapping.sdk_service(client)
    if doc is None:
        return {}
    ops = {entry["op"]: method for method, entry in doc["methods"].items()}
    ops.update({_camel(method): method for method in doc["unmapped"] if _camel(method) not in ops})
    return ops


def _camel(method: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in method.split("_"))


def find_method(event_source: str, event_name: str) -> tuple[str, str] | IamOnly | str:
    """(client, method) logged as ``event_name`` by ``event_source``; else the IAM action of that
    name when the service's IAM reference has one but no SDK operation does (agent and console
    APIs such as ssm:UpdateInstanceInformation); else why there is none."""
    not_action = table()["not_actions"].get(event_source, {}).get(event_name)
    if not_action:
        return str(not_action)
    names = [event_name]
    suffixed = _VERSION_SUFFIX.match(event_name)
    if suffixed:
        names.append(suffixed["op"])
    clients = clients_of(event_source)
    for name in names:
        for client in clients:
            method = _operations(client).get(name)
            if method is not None:
                return client, method
    for name in names:
        for client in clients:
            doc = mapping.sdk_service(client)
            if doc is not None and mapping.action_exists(f"{doc['iam_prefix']}:{name}"):
                return IamOnly(Action(f"{doc['iam_prefix']}:{name}"))
    if not any(mapping.sdk_service(c) for c in clients):
        return f"no boto3 client for event source {event_source} (mappings/cloudtrail.yaml lists those that differ)"
    return f"{event_name} is no operation of {', '.join(clients)}"


def _member(name: str) -> str:
    return {"bucketName": "Bucket"}.get(name, name[:1].upper() + name[1:])


def _call(key: Key, seen: Seen, client: str, method: str) -> SdkCall:
    source, name, _, region, _, named = key
    arguments: list[Argument] = []
    for field, value in named:
        if field == "ARN":
            continue
        if field == "key":
            prefix = seen.key_prefix or ""
            if seen.keys_differ:  # to the folder the keys share, not an accident of their names
                prefix = prefix[: prefix.rfind("/") + 1]
            text = (
                Text((prefix, Hole(f"{seen.count} calls on different object keys under {prefix!r}")))
                if seen.keys_differ
                else Text.of(prefix)
            )
            arguments.append(Argument("Key", (text,)))
            continue
        if not value:  # a per-request name (aggregate.PER_REQUEST_RESOURCES)
            arguments.append(Argument(field, (Text((Hole(f"{field} differs per request or container"),)),)))
            continue
        arguments.append(Argument(field, (Text.of(value),)))  # some APIs' members are camelCase
        if _member(field) != field:
            arguments.append(Argument(_member(field), (Text.of(value),)))
    return SdkCall(
        client,
        method,
        tuple(arguments),
        Location.event("", seen.example, seen.first),
        region=Text.of(region) if region else None,
        note=f"{source} {name}",
    )


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws-us-gov" if region.startswith("us-gov-") else "aws"


def permissions(aggregate: Aggregate) -> TrailPermissions:
    """The permissions the aggregate's calls used, those denied, and the calls not mapped."""
    observed: list[Observed] = []
    widenings: list[Widening] = []
    not_mapped: list[NotMapped] = []
    for key, seen in aggregate.sorted_calls():
        source, name, error, region, account, named = key
        event = f"{source} {name}"
        found = find_method(source, name)
        if isinstance(found, str):
            not_mapped.append(NotMapped(event, found, seen.count, seen.example))
            continue
        if isinstance(found, IamOnly):  # no SDK operation: nothing to scope the resource by
            observed.append(_observed(found.action, Arn("*"), error, event, seen))
            widenings.append(
                Widening(
                    found.action,
                    Arn("*"),
                    f"{event}: no SDK operation describes its resources; granted on '*'",
                    Location.event("", seen.example, seen.first),
                )
            )
            continue
        client, method = found
        call = _call(key, seen, client, method)
        needs = mapping.needs(call)
        if isinstance(needs, mapping.Unmapped):
            not_mapped.append(NotMapped(event, needs.reason, seen.count, seen.example))
            continue
        if not needs:
            not_mapped.append(
                NotMapped(event, f"{client}.{method} needs no permission", seen.count, seen.example)
            )
            continue
        target = Target(_partition(region), region or "*", account or "*")
        arns = [v for f, v in named if f == "ARN"]
        for need in needs:
            if not mapping.action_exists(need.action):  # the data guarantees it; checked anyway
                not_mapped.append(
                    NotMapped(event, f"{need.action} is not in the IAM reference", seen.count, seen.example)
                )
                continue
            scoped = scope(call, need, target)
            resources = [p.resource for p in scoped.permissions]
            if scoped.widenings and need.options and arns:
                own = [a for a in arns if a.split(":")[2:3] == [need.action.split(":")[0]]]
                if own:  # the event's resources[] names what the parameters did not
                    resources = [Arn(a) for a in own]
                    scoped = type(scoped)(scoped.permissions, ())
            widenings.extend(scoped.widenings)
            for resource in resources:
                observed.append(_observed(need.action, resource, error, event, seen))
    unique_widenings = {(w.action, w.resource, w.reason): w for w in sorted(widenings, reverse=True)}
    return TrailPermissions(
        _combined(observed), tuple(sorted(unique_widenings.values())), _merged(not_mapped)
    )


def _observed(action: Action, resource: Arn, error: str, event: str, seen: Seen) -> Observed:
    return Observed(action, resource, error in DENIED, event, seen.count, seen.first, seen.last, seen.example)


def _combined(items: list[Observed]) -> tuple[Observed, ...]:
    """One entry per action, resource and outcome: counts summed, the earliest example kept."""
    by: dict[tuple[str, str, bool], Observed] = {}
    for item in sorted(items, key=lambda o: (o.first, o.example)):
        old = by.get((item.action, item.resource, item.denied))
        if old is None:
            by[(item.action, item.resource, item.denied)] = item
        else:
            by[(item.action, item.resource, item.denied)] = Observed(
                old.action,
                old.resource,
                old.denied,
                old.event if old.event == item.event else min(old.event, item.event),
                old.count + item.count,
                old.first,
                max(old.last, item.last),
                old.example,
            )
    return tuple(sorted(by.values()))


def _merged(items: list[NotMapped]) -> tuple[NotMapped, ...]:
    """One entry per event and reason (the aggregate splits an event by resource and error)."""
    by: dict[tuple[str, str], NotMapped] = {}
    for item in items:
        old = by.get((item.event, item.reason))
        by[(item.event, item.reason)] = (
            item
            if old is None
            else NotMapped(item.event, item.reason, old.count + item.count, min(old.example, item.example))
        )
    return tuple(sorted(by.values()))
