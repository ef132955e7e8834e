"""Map stage: an `SdkCall` becomes the IAM actions it needs and how each is scoped.

Reads only the project's own generated data in ``mappings/`` (packaged as
``policygen.mappings``), loaded per service on first use. See ``scripts/build_mappings.py``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from policygen.errors import MappingError
from policygen.model import Action, CallKind, SdkCall

SCHEMA_VERSION = 1

# What boto3's managed transfers (s3transfer) call underneath, as client methods.
TRANSFERS = {
    "upload_file": ("put_object", "abort_multipart_upload"),
    "upload_fileobj": ("put_object", "abort_multipart_upload"),
    "download_file": ("get_object",),
    "download_fileobj": ("get_object",),
    "copy": ("copy_object",),
}


@dataclass(frozen=True)
class ResourceOption:
    """One way a call names a resource of one type.

    ``required``: the IAM reference marks the type required for the action (granted even when
    the call does not name it); ``match``: a regular expression a value of the member must match
    to name this type rather than another type named by the same member (``us.anthropic...``
    is an inference profile, ``anthropic...`` a foundation model); ``also``: resources AWS
    authorizes the call against as well when it names this type (a cross-Region inference
    profile's foundation model, in every Region it routes to: ``region`` ``*``);
    ``any_type``: the member holds an ARN of whichever of the action's types is meant.
    """

    type: str
    bind: tuple[tuple[str, str], ...]  # ARN variable -> "Member" or "Member|transform"
    arn_param: str | None = None
    required: bool = True
    match: str | None = None
    also: tuple[ResourceOption, ...] = ()
    region: str | None = None
    any_type: bool = False

    @property
    def members(self) -> frozenset[str]:
        if self.arn_param:
            return frozenset({self.arn_param})
        return frozenset(spec.split("|")[0] for _, spec in self.bind)


@dataclass(frozen=True)
class Need:
    """One action a call needs, with the ways its resource can be named."""

    action: Action
    options: tuple[ResourceOption, ...]
    scoping: str  # bound, unbound, no-resource-level, override
    arn_formats: dict[str, tuple[str, ...]]  # resource type -> ARN formats


@dataclass(frozen=True)
class ActionEntry:
    """One action a mapping entry lists: the resources it can be scoped to and when it applies."""

    action: Action
    resources: tuple[ResourceOption, ...]
    scoping: str  # bound, unbound, no-resource-level, override, rule
    when: str | None = None  # needed only when the call passes this member
    unless: str | None = None  # needed only when the call does not pass this member


@dataclass(frozen=True)
class MappingEntry:
    """What one client method needs, as ``mappings/`` records it."""

    operation: str  # the API operation: "GetObject"
    actions: tuple[ActionEntry, ...]
    basis: str  # where the mapping came from
    rule: str | None = None  # a rule of `policygen.rules` that adds what the arguments imply
    hidden_pass_role: bool = False  # the call passes roles it does not name (iam:PassRole by hand)


@dataclass(frozen=True)
class Unmapped:
    reason: str


@functools.cache
def _root() -> Any:
    return resources.files("policygen.mappings")  # resolving the package costs ms: once


def _read(path: str) -> dict[str, Any] | None:
    target = _root().joinpath(path)
    if not target.is_file():
        return None
    doc: dict[str, Any] = json.loads(target.read_text(encoding="utf-8"))
    if doc.get("schema") != SCHEMA_VERSION:
        raise MappingError(
            f"mappings/{path}: schema {doc.get('schema')} is not {SCHEMA_VERSION}; reinstall policygen"
        )
    return doc


@functools.cache
def sdk_service(client: str) -> dict[str, Any] | None:
    if not client.replace("-", "").replace("_", "").isalnum():
        return None
    return _read(f"sdk/{client}.json")


@functools.cache
def iam_service(prefix: str) -> dict[str, Any]:
    doc = _read(f"iam/{prefix}.json")
    if doc is None:
        raise MappingError(f"mappings/iam/{prefix}.json is missing; regenerate with `make mappings`")
    return doc


@functools.cache
def index() -> dict[str, Any]:
    doc = _read("index.json")
    if doc is None:
        raise MappingError("mappings/index.json is missing; regenerate with `make mappings`")
    return doc


@functools.cache
def operation_methods() -> frozenset[str]:
    """Every client method name of every service (to recognise calls on untraced objects)."""
    return frozenset(index().get("operation_methods", ()))


@functools.cache
def client_methods(client: str) -> tuple[str, ...]:
    """Every operation method of a boto3 client (mapped or not), sorted; () for an unknown client."""
    doc = sdk_service(client)
    if doc is None:
        return ()
    return tuple(sorted({*doc["methods"], *doc["unmapped"]}))


@functools.cache
def data_botocore() -> str:
    """The botocore release the mapping data was built from (``make mappings`` records it)."""
    return str(index()["sources"]["botocore"])


def installed_botocore() -> str:
    import botocore

    return str(botocore.__version__)


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


@functools.cache
def newer_botocore() -> str | None:
    """The installed botocore's version when it is newer than the data's (None otherwise): the
    operations it added are unknown to the data, so calls to them are unresolved, never guessed."""
    installed = installed_botocore()
    return installed if _release(installed) > _release(data_botocore()) else None


@functools.cache
def _installed_methods(client: str) -> frozenset[str]:
    """The operation methods of ``client`` in the installed botocore (empty if it has no such client)."""
    import botocore.exceptions
    import botocore.session
    from botocore import xform_name

    if not client.replace("-", "").isalnum():
        return frozenset()
    try:
        model = botocore.session.get_session().get_service_model(client)
    except (botocore.exceptions.UnknownServiceError, botocore.exceptions.DataNotFoundError):
        return frozenset()
    return frozenset(xform_name(op) for op in model.operation_names)


def unknown_to_data(call: SdkCall) -> bool:
    """Whether ``call`` is an operation the installed botocore has and the (older) data lacks."""
    if newer_botocore() is None or call.kind is CallKind.SIGNED_HTTP or call.method.startswith("waiter:"):
        return False
    doc = sdk_service(call.service)
    if doc is not None and (call.method in doc["methods"] or call.method in doc["unmapped"]):
        return False
    return call.method in _installed_methods(call.service)


def _newer_than_data(what: str) -> Unmapped:
    return Unmapped(
        f"{what} is in the installed botocore {newer_botocore()} but not in botocore {data_botocore()}, "
        "which policygen's mapping data was built from, so the permissions it needs are unknown: "
        "upgrade policygen, or rebuild the data with `make mappings` and review it"
    )


def method_of(call: SdkCall) -> tuple[str, ...] | Unmapped:
    """The client methods whose permissions ``call`` needs."""
    doc = sdk_service(call.service)
    if doc is None:
        if unknown_to_data(call):
            return _newer_than_data(f"the client '{call.service}'")
        return Unmapped(f"'{call.service}' is not a boto3 service policygen knows")
    if call.method.startswith("waiter:"):
        waiter = call.method.split(":", 1)[1]
        method = doc["waiters"].get(waiter)
        if method is None:
            return Unmapped(f"{call.service} has no waiter '{waiter}'")
        return (method,)
    if call.service == "s3" and call.method in TRANSFERS:
        return TRANSFERS[call.method]
    return (call.method,)


@functools.cache
def wrappers() -> dict[str, Any]:
    """The reviewed table of libraries that call AWS for the code (``mappings/wrappers.yaml``)."""
    import yaml

    target = _root().joinpath("wrappers.yaml")
    doc = yaml.safe_load(target.read_text(encoding="utf-8")) if target.is_file() else None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA_VERSION:
        raise MappingError(
            f"mappings/wrappers.yaml is missing or not schema {SCHEMA_VERSION}; reinstall policygen"
        )
    return doc


def _signed_http_entries(call: SdkCall) -> list[MappingEntry] | Unmapped:
    service = wrappers().get("signed_http", {}).get(call.service)
    if service is None:
        return Unmapped(f"a request signed for '{call.service}' is not in mappings/wrappers.yaml")
    by_method = service["actions"]
    actions = by_method.get(call.method.upper()) or by_method.get("*")
    if actions is None:
        return Unmapped(
            f"{call.service} has no action for HTTP {call.method.upper()} in mappings/wrappers.yaml"
        )
    return [MappingEntry(call.method.upper(), tuple(action_entry(a) for a in actions), "mappings/wrappers.yaml")]


@functools.cache
def _method_entry(service: str, method: str) -> MappingEntry | Unmapped:
    doc = sdk_service(service)
    assert doc is not None
    entry = doc["methods"].get(method)
    if entry is None:
        reason = doc["unmapped"].get(method)
        if reason:
            return Unmapped(f"{service}.{method} is not mapped: {reason}")
        if newer_botocore() is not None and method in _installed_methods(service):
            return _newer_than_data(f"{service}.{method}")
        return Unmapped(f"{service} has no operation '{method}'")
    return MappingEntry(
        entry["op"],
        tuple(action_entry(a) for a in entry["actions"]),
        entry["basis"],
        entry.get("rule"),
        bool(entry.get("hidden_pass_role", False)),
    )


def entries(call: SdkCall) -> list[MappingEntry] | Unmapped:
    """The mapping entries (one per underlying client method) of ``call``."""
    if call.kind is CallKind.SIGNED_HTTP:
        return _signed_http_entries(call)
    methods = method_of(call)
    if isinstance(methods, Unmapped):
        return methods
    out = []
    for method in methods:
        entry = _method_entry(call.service, method)
        if isinstance(entry, Unmapped):
            return entry
        out.append(entry)
    return out


def needs(call: SdkCall, found: list[MappingEntry] | None = None) -> list[Need] | Unmapped:
    """The actions ``call`` needs by the data alone (rules in `policygen.rules` add the rest);
    ``found``: its `entries`, when the caller has them already."""
    if found is None:
        looked_up = entries(call)
        if isinstance(looked_up, Unmapped):
            return looked_up
        found = looked_up
    out: list[Need] = []
    for entry in found:
        for spec in entry.actions:
            if spec.when is not None and call.argument(spec.when) is None:
                continue
            if spec.unless is not None and call.argument(spec.unless) is not None:
                continue
            out.append(need(spec))
    return out


def action_entry(doc: Mapping[str, Any]) -> ActionEntry:
    """An `ActionEntry` from the mapping files' form (``{"action": ..., "resources": [...]}``)."""
    return ActionEntry(
        Action(doc["action"]),
        tuple(_option(o) for o in doc.get("resources", [])),
        doc.get("scoping", "bound"),
        doc.get("when"),
        doc.get("unless"),
    )


def need(spec: ActionEntry) -> Need:
    """The `Need` of one action: its resource options with the ARN formats of their types."""
    prefix = spec.action.split(":", 1)[0]
    iam = iam_service(prefix)
    types = {o.type for o in spec.resources} | {a.type for o in spec.resources for a in o.also}
    formats = {t: tuple(iam["resources"].get(t, ())) for t in sorted(types)}
    return Need(spec.action, spec.resources, spec.scoping, formats)


def need_from_spec(doc: Mapping[str, Any]) -> Need:
    """A `Need` straight from a mapping-file action entry."""
    return need(action_entry(doc))


def _option(doc: Mapping[str, Any]) -> ResourceOption:
    return ResourceOption(
        doc["type"],
        tuple(sorted(doc.get("bind", {}).items())),
        doc.get("arn_param"),
        bool(doc.get("required", True)),
        doc.get("match"),
        tuple(_option(a) for a in doc.get("also", ())),
        doc.get("region"),
        bool(doc.get("any_type", False)),
    )


def condition_keys(action: str) -> frozenset[str]:
    """The service-specific condition keys IAM evaluates for ``action`` (``kms:RequestAlias``)."""
    prefix, _, name = action.partition(":")
    try:
        return frozenset(iam_service(prefix).get("condition_keys", {}).get(name, ()))
    except MappingError:
        return frozenset()


def action_exists(action: str) -> bool:
    prefix, _, name = action.partition(":")
    try:
        return name in iam_service(prefix)["actions"]
    except MappingError:
        return False
