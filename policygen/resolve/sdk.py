"""How boto3 and botocore objects behave, for the resolver.

Factories (``boto3.client``, ``boto3.resource``, sessions, ``botocore`` sessions) make client and
resource values; attributes and calls on those values become `SdkCall` records: client operations,
paginators, waiters, managed transfers, presigned URLs, and the resource API through boto3's own
resource models (`boto3_model`).
"""

from __future__ import annotations

from collections.abc import Mapping

from botocore import xform_name

from policygen import mapping
from policygen.model import CallKind, Hole, Location, Text
from policygen.resolve import boto3_model, credentials, wrappers
from policygen.resolve.frame import Site
from policygen.resolve.values import (
    EMPTY,
    BatchWriterV,
    ClientV,
    CollectionV,
    DictV,
    Other,
    PaginatorV,
    ResourceV,
    SdkMethod,
    SeqV,
    SessionV,
    Str,
    Value,
    Values,
    WaiterV,
    WrapperV,
    one,
    texts,
    union,
    unknown,
)

CLIENT_FACTORIES = {"boto3.client", "boto3.session.Session.client"}
RESOURCE_FACTORIES = {"boto3.resource"}
SESSION_FACTORIES = {
    "boto3.Session",
    "boto3.session.Session",
    "botocore.session.get_session",
    "botocore.session.Session",
    "boto3.session.get_session",
}
TRANSFER_METHODS = {"upload_file", "upload_fileobj", "download_file", "download_fileobj", "copy"}
NOT_AN_OPERATION = {
    "can_paginate",
    "close",
    "get_waiter",
    "get_paginator",
    "generate_presigned_url",
    "generate_presigned_post",
    "meta",
    "exceptions",
    "waiter_names",
}


def call_external(
    frame: Site,
    qualname: str,
    args: tuple[Values, ...],
    kwargs: Mapping[str | None, Values],
    location: Location,
) -> Values | None:
    if qualname in CLIENT_FACTORIES:
        return make_clients(frame, args, kwargs, location, resource=False)
    if qualname in RESOURCE_FACTORIES:
        return make_clients(frame, args, kwargs, location, resource=True)
    if qualname in SESSION_FACTORIES:
        return frozenset(
            SessionV(region, principal=principal)
            for region in _regions(kwargs)
            for principal in credentials.principals(kwargs)
        )
    return wrappers.call_external(frame, qualname, args, kwargs, location)


def _regions(kwargs: Mapping[str | None, Values], default: Text | None = None) -> tuple[Text | None, ...]:
    """Every region the call may name (``region_name=a if x else b``: both count)."""
    values = kwargs.get("region_name")
    return texts(values) if values else (default,)


def make_clients(
    frame: Site,
    args: tuple[Values, ...],
    kwargs: Mapping[str | None, Values],
    location: Location,
    resource: bool,
    session: SessionV | None = None,
) -> Values:
    names = args[0] if args else kwargs.get("service_name", EMPTY)
    out: set[Value] = set()
    regions = _regions(kwargs, session.region if session is not None else None)
    principals = credentials.principals(kwargs, session.principal if session is not None else None)
    for text in texts(names) if names else ():
        service = text.known
        if service is None:
            frame.unresolved_here("a client whose service name is computed at run time", location, str(text))
            out.update(ClientV(None, region, p) for region in regions for p in principals)
        elif resource:
            if boto3_model.has_resource_api(service):
                out.update(ResourceV(service, "", principal=p) for p in principals)
            else:
                frame.unresolved_here(f"boto3 has no resource API for '{service}'", location)
        else:
            out.update(ClientV(service, region, p) for region in regions for p in principals)
    if not names:
        frame.unresolved_here("a client created without a service name", location)
    return frozenset(out) or unknown("client")


def attribute(frame: Site, value: Value, attr: str, location: Location) -> Values:
    if isinstance(value, ResourceV) and attr == "meta":
        return one(SdkMethod(value, "meta"))
    if (
        isinstance(value, SdkMethod)
        and value.name == "meta"
        and attr == "client"
        and isinstance(value.receiver, ResourceV)
    ):
        return one(ClientV(value.receiver.service, principal=value.receiver.principal))
    if isinstance(value, ClientV) and attr == "meta":
        return unknown("client.meta")
    if isinstance(value, ResourceV):
        shape = boto3_model.shape(value.service, value.type)
        if shape is not None:
            return resource_attribute(frame, value, shape, attr, location)
    return one(SdkMethod(value, attr))


def resource_attribute(
    frame: Site, resource: ResourceV, shape: boto3_model.ResourceShape, attr: str, location: Location
) -> Values:
    """``bucket.objects``, ``obj.key``, ``table.item_count``, ``instance.vpc`` or a method.

    Reading a data attribute or a reference of a resource whose data did not come with the
    response that made it loads the resource first, as boto3 does: ``table.item_count`` is a
    DescribeTable call, ``obj.content_length`` a HeadObject."""
    if attr in shape.collections:
        return one(CollectionV(resource, attr))
    for identifier in shape.identifiers:
        if xform_name(identifier) == attr:
            return dict(resource.identifiers).get(identifier, EMPTY) or unknown(f"{resource.type}.{attr}")
    if attr not in shape.attributes and attr not in shape.references:
        return one(SdkMethod(resource, attr))
    label = f"{resource.type}.{attr}"
    if not resource.loaded and shape.load is not None:
        frame.record(
            resource.service,
            xform_name(shape.load.operation),
            _identifier_params(resource, shape.load.params, {}),
            location,
            CallKind.RESOURCE,
            f"{label} (reading it loads the {resource.type})",
        )
    if attr in shape.references:
        referenced = shape.references[attr]
        made = one(_new_resource(resource, referenced, (), {}))
        return one(SeqV((made,))) if referenced.many else made
    return unknown(f"the value of {label}")


def call(
    frame: Site,
    method: SdkMethod,
    args: tuple[Values, ...],
    kwargs: Mapping[str | None, Values],
    location: Location,
) -> Values:
    receiver, name = method.receiver, method.name
    plain = {k: v for k, v in kwargs.items() if k is not None}
    if None in kwargs:
        for value in kwargs[None]:
            if isinstance(value, DictV):
                for key, values in value.items:
                    text = texts(one(key))[0].known
                    if text is not None:
                        plain[text] = union(plain.get(text, EMPTY), values)
                if not value.complete:
                    frame.unresolved_here(
                        "arguments passed as **mapping with keys the analysis cannot see", location, name
                    )
            else:
                frame.unresolved_here("arguments passed as **mapping the analysis cannot see", location, name)
    if isinstance(receiver, SessionV):
        if receiver.inferred and not _known_service_literal(args, kwargs):
            return unknown(f"the result of .{name}()")
        if name in {"client", "create_client"}:
            return make_clients(frame, args, kwargs, location, resource=False, session=receiver)
        if name == "resource":
            return make_clients(frame, args, kwargs, location, resource=True, session=receiver)
        return unknown(f"session.{name}()")
    if method.passed:
        return unknown(f"the response of {name}() (recorded where it was passed)")
    if isinstance(receiver, ClientV):
        return client_call(frame, receiver, name, args, plain, location)
    if isinstance(receiver, PaginatorV) and name == "paginate":
        frame.record(
            receiver.client.service,
            receiver.method,
            plain,
            location,
            CallKind.PAGINATOR,
            f"paginator {receiver.method}",
        )
        return unknown("pages")
    if isinstance(receiver, WaiterV) and name == "wait":
        frame.record(
            receiver.client.service,
            "waiter:" + receiver.waiter,
            plain,
            location,
            CallKind.WAITER,
            f"waiter {receiver.waiter}",
        )
        return one(Other(None))
    if isinstance(receiver, BatchWriterV) and name in {"put_item", "delete_item"}:
        frame.record(
            "dynamodb",
            "batch_write_item",
            {"RequestItems": _table_items(receiver.table)},
            location,
            CallKind.RESOURCE,
            f"batch_writer().{name}",
        )
        return one(Other(None))
    if isinstance(receiver, ResourceV):
        return resource_call(frame, receiver, name, args, plain, location)
    if isinstance(receiver, CollectionV):
        return collection_call(frame, receiver, name, plain, location)
    if isinstance(receiver, WrapperV):
        return wrappers.method_call(frame, receiver, name, args, kwargs, location)
    return unknown(f"{name}()")


def _known_service_literal(args: tuple[Values, ...], kwargs: Mapping[str | None, Values]) -> bool:
    names = args[0] if args else kwargs.get("service_name", EMPTY)
    known = [t.known for t in texts(names)] if names else []
    return bool(known) and all(k is not None and mapping.sdk_service(k) is not None for k in known)


def record_passed_methods(
    frame: Site, args: tuple[Values, ...], kwargs: Mapping[str | None, Values]
) -> tuple[Values, ...]:
    """A client method handed to a project helper with the request's arguments beside it
    (``self.retry(client.put_object, Bucket=b, Key=k)``) is recorded here, where its arguments
    are; the helper's own call of it is then not recorded again."""
    out = []
    for values in args:
        passed = [
            v for v in values if isinstance(v, SdkMethod) and isinstance(v.receiver, ClientV) and not v.passed
        ]
        if not passed:
            out.append(values)
            continue
        request = {k: v for k, v in kwargs.items() if k is not None and k[:1].isupper()}
        for method in passed:
            assert isinstance(method.receiver, ClientV)
            frame.record(
                method.receiver.service,
                method.name,
                request,
                Location(frame.path, frame.current_line, frame.current_column),
                CallKind.CLIENT,
                "passed to a helper",
                principal=method.receiver.principal,
            )
        out.append(
            frozenset(SdkMethod(v.receiver, v.name, passed=True) if v in passed else v for v in values)
        )
    return tuple(out)


def untraced_call(frame: Site, name: str, kwargs: Mapping[str | None, Values], location: Location) -> None:
    """A call that looks like an AWS API call (an operation's name, request-style keyword
    arguments) on an object the analysis cannot trace to a client: reported, never dropped."""
    keywords = [k for k in kwargs if k is not None]
    if keywords and all(k[:1].isupper() for k in keywords) and name in mapping.operation_methods():
        frame.unresolved_here(
            f"{name}() looks like an AWS API call on an object the analysis cannot trace to a client",
            location,
            name,
        )


def _request_items(table_names: Values) -> Values:
    """``RequestItems`` naming these tables (its keys are what BatchWriteItem is scoped by)."""
    return one(DictV(tuple((n, one(Other(None))) for n in table_names), True))


def _table_items(table: ResourceV) -> Values:
    return _request_items(dict(table.identifiers).get("Name", EMPTY))


def client_call(
    frame: Site,
    client: ClientV,
    name: str,
    args: tuple[Values, ...],
    kwargs: dict[str, Values],
    location: Location,
) -> Values:
    service = client.service
    if name == "get_paginator":
        ops = args[0] if args else kwargs.get("operation_name", EMPTY)
        out: set[Value] = set()
        for text in texts(ops):
            if text.known is None:
                frame.unresolved_here("a paginator whose operation is computed at run time", location)
            else:
                out.add(PaginatorV(client, text.known))
        return frozenset(out) or unknown("paginator")
    if name == "get_waiter":
        waiter_names = args[0] if args else kwargs.get("waiter_name", EMPTY)
        waiters: set[Value] = set()
        for text in texts(waiter_names):
            if text.known is None:
                frame.unresolved_here("a waiter whose name is computed at run time", location)
            else:
                waiters.add(WaiterV(client, text.known))
        return frozenset(waiters) or unknown("waiter")
    if name == "generate_presigned_url":
        methods = args[0] if args else kwargs.get("ClientMethod", EMPTY)
        presign_params = args[1] if len(args) > 1 else kwargs.get("Params", EMPTY)
        for text in texts(methods):
            if text.known is None:
                frame.unresolved_here("a presigned URL for a method computed at run time", location)
                continue
            frame.record(
                service,
                text.known,
                _dict_kwargs(presign_params),
                location,
                CallKind.PRESIGNED,
                "presigned URL",
            )
        return one(Str(Text((Hole("a presigned URL"),))))
    if name == "generate_presigned_post":
        params = {k: v for k, v in kwargs.items() if k in {"Bucket", "Key"}}
        if args:
            params["Bucket"] = args[0]
        if len(args) > 1:
            params["Key"] = args[1]
        frame.record(service, "put_object", params, location, CallKind.PRESIGNED, "presigned POST")
        return unknown("presigned post")
    if name in TRANSFER_METHODS and service == "s3":
        frame.record(
            service,
            name,
            _transfer_kwargs(name, args, kwargs),
            location,
            CallKind.TRANSFER,
            f"managed transfer {name}",
        )
        return one(Other(None))
    if name in NOT_AN_OPERATION:
        return unknown(name)
    if args:
        frame.unresolved_here(
            f"positional arguments to {service}.{name}() (boto3 takes keyword arguments only)", location
        )
    frame.record(service, name, kwargs, location, CallKind.CLIENT, region=client.region)
    if service == "sts" and name in credentials.ASSUMING:
        return credentials.assumed(kwargs)
    return unknown(f"the response of {service}.{name}()")


def _dict_kwargs(values: Values) -> dict[str, Values]:
    out: dict[str, Values] = {}
    for value in values:
        if isinstance(value, DictV):
            for key, vals in value.items:
                text = texts(one(key))[0].known
                if text is not None:
                    out[text] = union(out.get(text, EMPTY), vals)
    return out


_TRANSFER_POSITIONAL = {
    "upload_file": ("Filename", "Bucket", "Key"),
    "upload_fileobj": ("Fileobj", "Bucket", "Key"),
    "download_file": ("Bucket", "Key", "Filename"),
    "download_fileobj": ("Bucket", "Key", "Fileobj"),
    "copy": ("CopySource", "Bucket", "Key"),
}


def _transfer_kwargs(name: str, args: tuple[Values, ...], kwargs: dict[str, Values]) -> dict[str, Values]:
    out = dict(kwargs)
    for param, values in zip(_TRANSFER_POSITIONAL[name], args, strict=False):
        out[param] = values
    return {k: v for k, v in out.items() if k not in {"Filename", "Fileobj"}}


def _identifier_params(
    resource: ResourceV, params: tuple[boto3_model.ParamSource, ...], kwargs: dict[str, Values]
) -> dict[str, Values]:
    identifiers = dict(resource.identifiers)
    out = dict(kwargs)
    for param in params:
        if param.source == "identifier":
            value = identifiers.get(param.name, EMPTY) or one(
                Str(Text((Hole(f"{resource.type} {param.name}"),)))
            )
            out[param.target.split(".")[0].split("[")[0]] = _param_value(param.target, value)
        elif param.source == "string" and param.value is not None:
            out[param.target.split(".")[0].split("[")[0]] = one(Str(Text.of(param.value)))
    return out


def _param_value(target: str, value: Values) -> Values:
    """Identifiers placed into nested targets (``RequestItems.{TableName}``) become dict keys."""

    if "." not in target and "[" not in target:
        return value
    if target.startswith("RequestItems"):
        return _request_items(value)
    return value


def resource_call(
    frame: Site,
    resource: ResourceV,
    name: str,
    args: tuple[Values, ...],
    kwargs: dict[str, Values],
    location: Location,
) -> Values:
    shape = boto3_model.shape(resource.service, resource.type)
    if shape is None:
        frame.unresolved_here(f"a method of an unknown {resource.service} resource", location, name)
        return unknown("resource")
    label = f"{resource.type or resource.service}.{name}"
    if name in shape.has or (resource.type == "" and name in shape.has):
        returned = shape.has[name]
        return one(_new_resource(resource, returned, args, kwargs))
    if name in shape.actions:
        action = shape.actions[name]
        if action.request is not None:
            params = _identifier_params(resource, action.request.params, kwargs)
            frame.record(
                resource.service,
                xform_name(action.request.operation),
                params,
                location,
                CallKind.RESOURCE,
                label,
            )
        if action.returns is not None:
            made = one(_new_resource(resource, action.returns, args, kwargs))
            return one(SeqV((made,))) if action.returns.many else made
        return unknown(f"the response of {label}()")
    if name in {"load", "reload"} and shape.load is not None:
        params = _identifier_params(resource, shape.load.params, kwargs)
        frame.record(
            resource.service, xform_name(shape.load.operation), params, location, CallKind.RESOURCE, label
        )
        return one(Other(None))
    if name in shape.waiters:
        waiter, waiter_params = shape.waiters[name]
        frame.record(
            resource.service,
            "waiter:" + xform_name(waiter),
            _identifier_params(resource, waiter_params, kwargs),
            location,
            CallKind.WAITER,
            label,
        )
        return one(Other(None))
    if name == "batch_writer" and resource.service == "dynamodb" and resource.type == "Table":
        return one(BatchWriterV(resource))
    if name in TRANSFER_METHODS and resource.service == "s3" and resource.type in {"Bucket", "Object"}:
        ids = dict(resource.identifiers)
        transfer: dict[str, Values] = {}
        order: tuple[str | None, ...]
        if resource.type == "Bucket":
            transfer["Bucket"] = ids.get("Name", EMPTY)
            order = {
                "upload_file": (None, "Key"),
                "upload_fileobj": (None, "Key"),
                "download_file": ("Key", None),
                "download_fileobj": ("Key", None),
                "copy": ("CopySource", "Key"),
            }[name]
        else:
            transfer["Bucket"] = ids.get("BucketName", EMPTY)
            transfer["Key"] = ids.get("Key", EMPTY)
            order = ("CopySource",) if name == "copy" else ()
        for param, values in zip(order, args, strict=False):
            if param is not None:
                transfer[param] = values
        transfer.update({k: v for k, v in kwargs.items() if k in {"Key", "CopySource"}})
        frame.record(resource.service, name, transfer, location, CallKind.TRANSFER, label)
        return one(Other(None))
    frame.unresolved_here(f"{label}() is not in boto3's resource model", location)
    return unknown(label)


def _new_resource(
    parent: ResourceV, returned: boto3_model.Returned, args: tuple[Values, ...], kwargs: dict[str, Values]
) -> ResourceV:
    """The resource an action, sub-resource, reference or collection makes: identifiers from the
    parent's, from the caller's arguments or request, and holes where they come from AWS's reply."""
    identifiers = dict(parent.identifiers)
    new: dict[str, Values] = {}
    positional = list(args)
    for ident in returned.identifiers:
        if ident.source == "identifier":
            new[ident.target] = identifiers.get(ident.name, EMPTY)
        elif ident.source == "input":
            new[ident.target] = (
                positional.pop(0)
                if positional
                else kwargs.get(ident.target, EMPTY) or kwargs.get(xform_name(ident.target), EMPTY)
            )
        elif ident.source == "requestParameter":
            # Bucket.put_object(Key=...) -> Object(bucket, key)
            member = (ident.path or ident.name or ident.target).split(".")[0].split("[")[0]
            new[ident.target] = kwargs.get(member, EMPTY)
        elif ident.source in {"response", "data"}:
            new[ident.target] = one(Str(Text((Hole(f"the {returned.type} {ident.target} AWS returns"),))))
    return ResourceV(
        parent.service,
        returned.type,
        tuple(sorted(new.items())),
        loaded=returned.path is not None,
        principal=parent.principal,
    )


def collection_call(
    frame: Site, collection: CollectionV, name: str, kwargs: dict[str, Values], location: Location
) -> Values:
    owner = collection.owner
    shape = boto3_model.shape(owner.service, owner.type)
    if shape is None or collection.name not in shape.collections:
        return unknown("collection")
    request, _item = shape.collections[collection.name]
    label = f"{owner.type or owner.service}.{collection.name}.{name}"
    if name in {"all", "filter", "limit", "page_size", "pages"}:
        params = _identifier_params(owner, request.params, kwargs)
        frame.record(owner.service, xform_name(request.operation), params, location, CallKind.RESOURCE, label)
        if name == "pages":  # lists of items, page by page
            return one(SeqV((one(SeqV((collection_items(collection),))),)))
        if name == "filter" and kwargs:
            return one(
                CollectionV(
                    owner, collection.name, tuple(sorted({**dict(collection.request), **kwargs}.items()))
                )
            )
        return one(collection)
    batch = shape.batch_actions.get(collection.name, {})
    if name in batch:
        frame.record(
            owner.service,
            xform_name(request.operation),
            _identifier_params(owner, request.params, {}),
            location,
            CallKind.RESOURCE,
            label,
        )
        for item in collection_items(collection):
            if isinstance(item, ResourceV):
                params = _identifier_params(item, batch[name].params, {})
                frame.record(
                    owner.service,
                    xform_name(batch[name].operation),
                    params,
                    location,
                    CallKind.RESOURCE,
                    label + " (batch)",
                )
        return unknown("batch")
    frame.unresolved_here(f"{label}() is not in boto3's resource model", location)
    return unknown(label)


def collection_items(collection: CollectionV) -> Values:
    """What iterating a collection yields: its item resources, identifiers carried from the owner
    as boto3's model says (a bucket's objects keep the bucket's name), data already loaded."""
    owner = collection.owner
    shape = boto3_model.shape(owner.service, owner.type)
    if shape is None or collection.name not in shape.collections:
        return unknown("item")
    _request, item = shape.collections[collection.name]
    made = _new_resource(owner, item, (), {})
    prefixes = dict(collection.request).get("Prefix", EMPTY)
    if prefixes and any(i.target == "Key" and i.source == "response" for i in item.identifiers):
        # S3 lists only keys that begin with the Prefix it was given.
        keys = frozenset(
            Str(Text.join(p, Text((Hole(f"each key listed under {p}"),)))) for p in texts(prefixes)
        )
        made = ResourceV(
            made.service,
            made.type,
            tuple(sorted({**dict(made.identifiers), "Key": keys}.items())),
            made.loaded,
            made.principal,
        )
    return one(made)
