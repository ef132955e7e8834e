"""boto3's own resource models (``resources-1.json`` shipped with boto3), read lazily.

Answers the resolver's questions about the resource API: which operation ``Object.get()`` calls,
which identifiers become which request parameters, what ``bucket.Object(key)`` or
``bucket.objects.filter()`` returns. Nothing is hand-listed here.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Any

from botocore import xform_name


@dataclass(frozen=True)
class ParamSource:
    target: str  # request parameter (may be a path like "Delete.Objects[].Key")
    source: str  # identifier, data, requestParameter, response, input, string...
    name: str = ""  # identifier name for source=identifier
    value: str | None = None  # literal for source=string
    path: str = ""  # where in the request (requestParameter) or response (response, data) it is


@dataclass(frozen=True)
class Request:
    operation: str  # API operation name: "GetObject"
    params: tuple[ParamSource, ...]


@dataclass(frozen=True)
class Returned:
    type: str
    identifiers: tuple[ParamSource, ...]
    path: str | None = None  # set: the new resource's data is filled from the response (no load)

    @property
    def many(self) -> bool:
        """A list of resources (``Messages[]``), not one."""
        return self.path is not None and "[]" in self.path


@dataclass(frozen=True)
class ResourceAction:
    request: Request | None
    returns: Returned | None


@dataclass(frozen=True)
class ResourceShape:
    name: str  # "Bucket", or "" for the service resource
    identifiers: tuple[str, ...]
    actions: dict[str, ResourceAction]  # snake-case method name -> action
    has: dict[str, Returned]  # "Object" -> sub-resource, made by a call: bucket.Object(key)
    references: dict[str, Returned]  # "vpc" -> a resource named by this one's data: instance.vpc
    attributes: frozenset[str]  # snake-case members of its data shape: table.item_count
    collections: dict[str, tuple[Request, Returned]]  # "objects" -> (request, each item)
    batch_actions: dict[str, dict[str, Request]]  # collection -> {"delete": request}
    waiters: dict[str, tuple[str, tuple[ParamSource, ...]]]  # "wait_until_exists" -> (waiter, params)
    load: Request | None


def _boto3_data_dir() -> str:
    import boto3

    return os.path.join(os.path.dirname(boto3.__file__), "data")


@functools.cache
def _raw(service: str) -> dict[str, Any] | None:
    from botocore.exceptions import DataNotFoundError
    from botocore.loaders import Loader

    loader = Loader(extra_search_paths=[_boto3_data_dir()])
    try:
        model: dict[str, Any] = loader.load_service_model(service, "resources-1")
    except (DataNotFoundError, ValueError):
        return None
    return model


def has_resource_api(service: str) -> bool:
    return _raw(service) is not None


def _params(raw: list[dict[str, Any]] | None) -> tuple[ParamSource, ...]:
    return tuple(
        ParamSource(p["target"], p["source"], p.get("name", ""), p.get("value"), p.get("path", ""))
        for p in raw or ()
    )


def _request(raw: dict[str, Any] | None) -> Request | None:
    if not raw:
        return None
    return Request(raw["operation"], _params(raw.get("params")))


def _returned(raw: dict[str, Any] | None) -> Returned | None:
    if not raw:
        return None
    return Returned(raw["type"], _params(raw.get("identifiers")), raw.get("path"))


# Loads boto3 adds in code rather than in resources-1.json (boto3/s3/inject.py): a Bucket loads
# by listing the account's buckets, an ObjectSummary by a HEAD request on its object.
_INJECTED_LOADS = {
    ("s3", "Bucket"): Request("ListBuckets", ()),
    ("s3", "ObjectSummary"): Request(
        "HeadObject",
        (ParamSource("Bucket", "identifier", "BucketName"), ParamSource("Key", "identifier", "Key")),
    ),
}


@functools.cache
def _shape_members(service: str, shape_name: str) -> frozenset[str]:
    """The snake-case names of a botocore shape's members: the attributes boto3 gives a resource."""
    from botocore.loaders import Loader

    model = Loader().load_service_model(service, "service-2")
    members = model.get("shapes", {}).get(shape_name, {}).get("members", {})
    return frozenset(xform_name(m) for m in members)


@functools.cache
def shape(service: str, name: str) -> ResourceShape | None:
    """The resource type ``name`` of ``service`` ("" for the service resource itself)."""
    raw = _raw(service)
    if raw is None:
        return None
    spec = raw["service"] if name == "" else raw.get("resources", {}).get(name)
    if spec is None:
        return None
    actions = {
        xform_name(k): ResourceAction(_request(v.get("request")), _returned(v.get("resource")))
        for k, v in spec.get("actions", {}).items()
    }
    has: dict[str, Returned] = {}
    references: dict[str, Returned] = {}
    for key, value in spec.get("has", {}).items():
        returned = _returned(value.get("resource"))
        if returned is None:
            continue
        # As boto3's ResourceModel: a relation needing this resource's data is a property
        # (a reference); one made from identifiers and arguments is a method (a sub-resource).
        if any(i.source == "data" for i in returned.identifiers):
            references[xform_name(key)] = returned
        else:
            has[key] = returned
    if name == "":
        # As boto3's ResourceModel does: the service resource can make every resource type,
        # its identifiers given by the caller (s3.Object(bucket, key), s3.BucketPolicy(bucket)).
        made = {r.type for r in has.values()}
        for type_name, definition in raw.get("resources", {}).items():
            if type_name not in made:
                inputs = tuple(ParamSource(i["name"], "input") for i in definition.get("identifiers", []))
                has[type_name] = Returned(type_name, inputs)
    collections = {}
    for key, value in spec.get("hasMany", {}).items():
        request = _request(value.get("request"))
        item = _returned(value.get("resource"))
        if request is not None and item is not None:
            collections[xform_name(key)] = (request, item)
    batch_actions: dict[str, dict[str, Request]] = {}
    for key, value in spec.get("hasMany", {}).items():
        item_type = value.get("resource", {}).get("type", "")
        item = raw.get("resources", {}).get(item_type, {})
        batch: dict[str, Request] = {}
        for action_name, action in item.get("batchActions", {}).items():
            request = _request(action.get("request"))
            if request is not None:
                batch[xform_name(action_name)] = request
        batch_actions[xform_name(key)] = batch
    waiters = {
        "wait_until_" + xform_name(k): (v["waiterName"], _params(v.get("params")))
        for k, v in spec.get("waiters", {}).items()
    }
    identifiers = tuple(i["name"] for i in spec.get("identifiers", []))
    snake_identifiers = {xform_name(i) for i in identifiers}
    attributes: frozenset[str] = frozenset()
    if spec.get("shape"):
        attributes = _shape_members(service, spec["shape"]) - snake_identifiers - set(references)
    load = _request((spec.get("load") or {}).get("request")) or _INJECTED_LOADS.get((service, name))
    return ResourceShape(
        name,
        identifiers,
        actions,
        has,
        references,
        attributes,
        collections,
        batch_actions,
        waiters,
        load,
    )
