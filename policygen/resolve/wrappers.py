"""Libraries that call AWS for the code, for the resolver: what their functions, objects and
subclassed models do, read from the reviewed table ``mappings/wrappers.yaml`` (`mapping.wrappers`).

A library call becomes the boto3 client calls the library makes (recorded like any other, so
mapping and scoping are the same), or, for a SigV4-signed HTTP request, a ``signed-http`` call of
the signing service whose members are read from the URL. Nothing about a library is in code here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from policygen import mapping
from policygen.extract import ir
from policygen.model import CallKind, Hole, Location, Text
from policygen.resolve.frame import Site
from policygen.resolve.values import (
    EMPTY,
    ClassRef,
    ClientV,
    DictV,
    External,
    FuncKey,
    Instance,
    Other,
    SdkMethod,
    SeqV,
    Str,
    Value,
    Values,
    WrapperV,
    one,
    texts,
    union,
    unknown,
)

Spec = dict[str, Any]


@dataclass(frozen=True)
class _Use:
    """One use of a table entry: where, with which arguments, on which configured object."""

    frame: Site
    label: str
    args: tuple[Values, ...]
    kwargs: Mapping[str | None, Values]
    config: Mapping[str, Values]
    this: WrapperV | None
    location: Location


@functools.cache
def _names() -> dict[str, tuple[str, str]]:
    """Every qualified name the table knows -> (section, entry)."""
    out: dict[str, tuple[str, str]] = {}
    table = mapping.wrappers()
    for section in ("functions", "classes"):
        for key, spec in table.get(section, {}).items():
            for name in (key, *spec.get("names", ())):
                out[name] = (section, key)
    return out


def _short(name: str) -> str:
    """``aws_lambda_powertools.utilities.parameters.get_secret`` -> ``parameters.get_secret``."""
    return ".".join(name.split(".")[-2:])


def _class(kind: str) -> Spec:
    spec: Spec = mapping.wrappers()["classes"][kind]
    return spec


def call_external(
    frame: Site,
    qualname: str,
    args: tuple[Values, ...],
    kwargs: Mapping[str | None, Values],
    location: Location,
) -> Values | None:
    """A call of a library function or class the table names; None for anything else."""
    found = _names().get(qualname)
    if found is None:
        return None
    section, key = found
    if section == "functions":
        _perform(
            _Use(frame, _short(key), args, kwargs, {}, None, location), mapping.wrappers()["functions"][key]
        )
        return unknown(f"the result of {key}()")
    spec = _class(key)
    config: dict[str, Values] = {}
    positional = list(args)
    for param in spec.get("init", ()):
        values = positional.pop(0) if positional else kwargs.get(param, EMPTY)
        if values:
            config[param] = values
    for name, source in spec.get("config", {}).items():
        if isinstance(source, dict):
            config[name] = _source(_Use(frame, key, (), {}, config, None, location), source)
    made = WrapperV(key, tuple(sorted(config.items())))
    if spec.get("calls"):
        _perform(_Use(frame, _short(key), args, kwargs, config, made, location), spec)
    return one(made)


def method_call(
    frame: Site,
    wrapper: WrapperV,
    name: str,
    args: tuple[Values, ...],
    kwargs: Mapping[str | None, Values],
    location: Location,
) -> Values:
    spec = _class(wrapper.kind)
    method: Spec | None = spec.get("methods", {}).get(name)
    label = f"{wrapper.kind.rsplit('.', 1)[-1]}.{name}"
    if method is None:
        return unknown(f"the result of {label}()")
    config = dict(wrapper.config)
    use = _Use(frame, label, args, kwargs, config, wrapper, location)
    _perform(use, method)
    returns = method.get("returns")
    if returns and "model" in returns and wrapper.models:
        instances = frozenset(Instance(m) for m in wrapper.models)
        return one(SeqV((instances,))) if returns["model"] == "many" else instances
    if returns and "kind" in returns:
        # A configuration entry handed on as it is keeps every value, the default region's too.
        made = {
            k: config.get(s["self"], EMPTY) if set(s) == {"self"} else _source(use, s)
            for k, s in returns.get("config", {}).items()
        }
        config_made = tuple(sorted((k, v) for k, v in made.items() if v))
        return one(WrapperV(returns["kind"], config_made, wrapper.models))
    return unknown(f"the result of {label}()")


def class_attribute(frame: Site, value: Instance | ClassRef, attr: str) -> Values | None:
    """A method of a project class that subclasses a library class the table names (a PynamoDB
    model or index), configured from its nested ``Meta``; None when the table has no such method."""
    cls = value.cls if isinstance(value, Instance) else value.key
    kind = _library_base(frame, cls)
    if kind is None:
        return None
    spec = _class(kind)
    if attr not in spec.get("methods", {}):
        return None
    config = _nested_config(frame, cls, spec.get("config", {}))
    models = [cls]
    owner = spec.get("owner")
    if owner:
        models = _holders(frame, cls, owner["class"])
        for holder in models:
            for name, values in _nested_config(frame, holder, owner.get("config", {})).items():
                config[name] = union(config.get(name, EMPTY), values)
    return one(SdkMethod(WrapperV(kind, tuple(sorted(config.items())), tuple(models)), attr))


@functools.cache
def _class_base_names() -> frozenset[str]:
    """The last part of every library class's name (``Model``): a base named otherwise is not one."""
    names = {n for section, key in _names().values() if section == "classes" for n in (key,)}
    names.update(q for q, (section, _) in _names().items() if section == "classes")
    return frozenset(n.rsplit(".", 1)[-1] for n in names)


def _base_name(expr: ir.Expr) -> str | None:
    if isinstance(expr, ir.Name):
        return expr.id
    if isinstance(expr, ir.Attr):
        return expr.attr
    return None


def _library_base(frame: Site, cls: FuncKey) -> str | None:
    for klass in frame.mro(cls):
        info = frame.classes[klass]
        # Most classes of a large program subclass nothing a library table names: skip evaluating
        # their bases (which would also make this function a reader of those modules' globals).
        candidates = [b for b in info.node.bases if _base_name(b) in _class_base_names()]
        if not candidates:
            continue
        reader = frame.class_reader(info.module)
        for base in candidates:
            for value in reader.eval(base):
                if isinstance(value, External):
                    found = _names().get(value.qualname)
                    if found is not None and found[0] == "classes":
                        return found[1]
    return None


def _nested_config(frame: Site, cls: FuncKey, config: Mapping[str, str]) -> dict[str, Values]:
    """``{table_name: "Meta.table_name"}``: the attribute of the nested class, nearest in the MRO."""
    out: dict[str, Values] = {}
    for name, path in config.items():
        nested, _, attr = path.rpartition(".")
        for klass in frame.mro(cls):
            info = frame.classes.get((klass[0], f"{klass[1]}.{nested}"))
            if info is None:
                continue
            reader = frame.class_reader(info.module)
            assigned, always = _assignments(info.node.body, attr)
            if assigned:
                values = union(*(reader.eval(e) for e in assigned))
                # A branch that assigns nothing leaves the library's default possible too (the
                # region of the deployment): kept as None, so both are granted.
                out[name] = values if always else union(values, one(Other(None)))
                break
    return out


def _assignments(body: tuple[ir.Stmt, ...], attr: str) -> tuple[list[ir.Expr], bool]:
    """Every value a class body may assign to ``attr`` (under if/else, try/except, with, for:
    each branch counts), and whether every way through the body assigns one."""
    found: list[ir.Expr] = []
    always = False
    for stmt in body:
        if isinstance(stmt, ir.Assign) and any(getattr(t, "id", None) == attr for t in stmt.targets):
            found.append(stmt.value)
            always = True
        elif isinstance(stmt, ir.Branches):
            # A try is lowered with no tests and an empty last body (the try cut short): if the
            # try and every handler assign, the class exists only with an assignment made.
            bodies = stmt.bodies[:-1] if not stmt.tests and stmt.bodies else stmt.bodies
            inner = [_assignments(b, attr) for b in bodies]
            found.extend(e for values, _ in inner for e in values)
            always = always or (bool(inner) and all(every for _, every in inner))
        elif isinstance(stmt, ir.With):
            values, every = _assignments(stmt.body, attr)
            found.extend(values)
            always = always or every
        elif isinstance(stmt, ir.For):
            found.extend(_assignments(stmt.body, attr)[0])
    return found, always


def _holders(frame: Site, cls: FuncKey, owner_kind: str) -> list[FuncKey]:
    """The library-subclassing classes whose bodies hold an instance of ``cls`` (a model's index)."""
    out = []
    for key, info in sorted(frame.classes.items()):
        holds = any(Instance(cls) in values for values in info.body_names.values())
        if holds and _library_base(frame, key) == owner_kind:
            out.append(key)
    return out


# performing an entry -------------------------------------------------------------------------
def _perform(use: _Use, spec: Spec) -> None:
    region_values = _source(use, spec["region"]) if "region" in spec else EMPTY
    for call in spec.get("calls", ()):
        if "when" in call and not _given(use, call["when"]):
            continue
        if "unless" in call and _given(use, call["unless"]):
            continue
        params: dict[str, Values] = {}
        for member, source in call.get("params", {}).items():
            values = _source(use, source)
            if values:
                params[member] = values
            elif "arg" not in source or "field" in source:
                params[member] = one(Str(Text.unknown(f"{member} for {use.label}: not found in the code")))
        regions = _regions(region_values) if region_values else [None]
        if "region" in call:
            regions = _regions(_source(use, call["region"]))
        if regions == [None] and "region" in use.config:
            regions = _regions(use.config["region"])
        for region in regions:
            use.frame.record(
                call["service"], call["method"], params, use.location, CallKind.WRAPPER, use.label, region
            )
    if "http" in spec:
        _signed_http(use, spec["http"])


def _region(values: Values) -> Text | None:
    for value in values:
        if isinstance(value, ClientV):
            return value.region
    found = [t for t in texts(values) if t.known]
    return found[0] if len(found) == 1 else None


def _regions(values: Values) -> list[Text | None]:
    """Every region the values may name, each its own call; None: the deployment's region (a
    ``None`` among them, or nothing known). In one order whatever the hash seed."""
    found: set[Text | None] = {v.region for v in values if isinstance(v, ClientV)}
    found.update(t for t in texts(values) if t.known)
    if not found or any(isinstance(v, Other) and v.value is None for v in values):
        found.add(None)
    return sorted(found, key=lambda t: "" if t is None else str(t))


def _given(use: _Use, source: Spec) -> bool:
    if "self" in source:
        return bool(use.config.get(source["self"]))
    values = _argument(use, source)
    return values is not None and not all(isinstance(v, Other) and v.value is None for v in values)


def _argument(use: _Use, source: Spec) -> Values | None:
    for where in source.get("arg", ()):
        if isinstance(where, int) and where < len(use.args):
            return use.args[where]
        if isinstance(where, str) and where in use.kwargs:
            return use.kwargs[where]
    return None


def _source(use: _Use, source: Spec) -> Values:
    values: Values = EMPTY
    if source.get("this") and use.this is not None:
        values = one(use.this)
    elif "value" in source:
        values = one(Str(Text.of(str(source["value"]))))
    elif "hole" in source:
        values = one(Str(Text.unknown(str(source["hole"]))))
    elif "self" in source:
        values = use.config.get(source["self"], EMPTY)
    elif "arg" in source:
        values = _argument(use, source) or EMPTY
    values = _given_values(values)
    if "field" in source and values:
        fields = [_field(use.frame, v, source["field"]) for v in values]
        values = _given_values(union(*fields)) if fields else EMPTY
    if not values and "env" in source:
        values = use.frame.environ(one(Str(Text.of(source["env"]))), None, required=False)
    if values and "transact_item" in source:  # TransactItems: [{"Put": {"TableName": ...}}]
        body = DictV(((Str(Text.of("TableName")), values),), True)
        values = one(SeqV((one(DictV(((Str(Text.of(source["transact_item"])), one(body)),), True)),)))
    if values and source.get("keys"):
        values = one(DictV(tuple((v, one(Other(None))) for v in values), True))
    if values and source.get("key_list"):
        keys: set[Value] = set()
        for value in values:
            if isinstance(value, DictV):
                keys.update(k for k, _ in value.items)
                if not value.complete:
                    keys.add(Str(Text.unknown("names the analysis cannot see")))
            else:
                keys.add(Str(Text.unknown("names the analysis cannot see")))
        values = frozenset(keys)
    return values


def _given_values(values: Values) -> Values:
    """Without ``None`` (an argument not given, or a setting left to its default)."""
    return frozenset(v for v in values if not (isinstance(v, Other) and v.value is None))


def _field(frame: Site, value: Value, name: str) -> Values:
    """A configuration entry of a wrapper object, or of a project model class or instance (its
    library's nested ``Meta`` configuration): a PynamoDB model handed to a transaction."""
    if isinstance(value, WrapperV):
        return dict(value.config).get(name, EMPTY)
    if isinstance(value, Instance | ClassRef):
        cls = value.cls if isinstance(value, Instance) else value.key
        kind = _library_base(frame, cls)
        if kind is not None:
            return _nested_config(frame, cls, _class(kind).get("config", {})).get(name, EMPTY)
    return EMPTY


# SigV4-signed HTTP -------------------------------------------------------------------------------
def _signed_http(use: _Use, http: Spec) -> None:
    signers = [v for v in _source(use, http["signer"]) if isinstance(v, WrapperV)]
    signers = [s for s in signers if "service" in dict(s.config)]
    if not signers:
        return  # not signed for AWS (or signed by something the table does not know)
    method = http["method"]
    methods = [Text.of(method)] if isinstance(method, str) else list(texts(_source(use, method)))
    urls = texts(_source(use, http["url"]) or unknown("the request URL"))
    frame, label, location = use.frame, use.label, use.location
    for signer in signers:
        signer_config = dict(signer.config)
        for service in texts(signer_config["service"]):
            name = service.known
            if name is None:
                frame.unresolved_here(
                    "a SigV4-signed request for a service computed at run time: grant its actions by hand",
                    location,
                    str(service),
                )
                continue
            known = mapping.wrappers().get("signed_http", {}).get(name)
            if known is None:
                frame.unresolved_here(
                    f"a SigV4-signed request to '{name}', which mappings/wrappers.yaml does not describe: "
                    "grant the service's actions by hand",
                    location,
                    label,
                )
                continue
            for url in urls:
                members = _url_members(known, url)
                region = members.pop("Region", None)
                if region is None or region.known is None:
                    region = _region(signer_config.get("region", EMPTY))
                for verb in methods:
                    request = {k: one(Str(v)) for k, v in members.items()}
                    request["Method"] = one(Str(Text.of(verb.known.upper()) if verb.known else verb))
                    frame.record(
                        name,
                        (verb.known or "any").lower(),
                        request,
                        location,
                        CallKind.SIGNED_HTTP,
                        f"{label} (SigV4 for {name})",
                        region,
                    )


_SENTINEL = "\x00"


def _url_members(spec: Spec, url: Text) -> dict[str, Text]:
    """The table's URL pattern matched over a partly known URL: each named group as a `Text`,
    holes kept where the URL's unknown parts fall; groups the URL does not show are holes."""
    holes = [p for p in url.parts if isinstance(p, Hole)]
    flat = "".join(p if isinstance(p, str) else _SENTINEL for p in url.parts)
    pattern = re.compile(spec["url"])
    match = pattern.match(flat)
    out: dict[str, Text] = {}
    names = list(pattern.groupindex)
    for name in names:
        if match is None or match.group(name) is None:
            if name != "Region":
                out[name] = Text.unknown(f"{name}: the URL {url} does not show it")
            continue
        start = match.start(name)
        before = flat[:start].count(_SENTINEL)
        parts: list[str | Hole] = []
        for char in match.group(name):
            if char == _SENTINEL:
                parts.append(holes[before])
                before += 1
            elif parts and isinstance(parts[-1], str):
                parts[-1] += char
            else:
                parts.append(char)
        out[name] = Text(tuple(parts))
    for member, pieces in spec.get("compose", {}).items():
        out[member] = Text.join(*(out.get(p, Text.of("")) for p in pieces))
    return out
