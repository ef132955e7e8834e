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


@dataclass(frozen=True)
class Request:
    operation: str  # API operation name: "GetObject"
    params: tuple[ParamSource, ...]


@dataclass(frozen=True)
class Returned:
    type: str
    identifiers: tuple[ParamSource, ...]


@dataclass(frozen=True)
class ResourceAction:
    request: Request | None
    returns: Returned | None


@dataclass(frozen=True)
class ResourceShape:
    name: str  # "Bucket", or "" for the service resource
    identifiers: tuple[str, ...]
    actions: dict[str, ResourceAction]  # snake-case method name -> action
    has: dict[str, Returned]  # "Object" -> sub-resource
    collections: dict[str, tuple[Request, str]]  # "objects" -> (request, item type)
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
    return tuple(ParamSource(p["target"], p["source"], p.get("name", ""), p.get("value")) for p in raw or ())


def _request(raw: dict[str, Any] | None) -> Request | None:
    if not raw:
        return None
    return Request(raw["operation"], _params(raw.get("params")))


def _returned(raw: dict[str, Any] | None) -> Returned | None:
    if not raw:
        return None
    return Returned(raw["type"], _params(raw.get("identifiers")))


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
    has = {}
    for key, value in spec.get("has", {}).items():
        returned = _returned(value.get("resource"))
        if returned is not None:
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
        if request is not None:
            collections[xform_name(key)] = (request, value.get("resource", {}).get("type", ""))
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
    return ResourceShape(
        name,
        identifiers,
        actions,
        has,
        collections,
        batch_actions,
        waiters,
        _request((spec.get("load") or {}).get("request")),
    )
