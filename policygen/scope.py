"""Scope stage: from an action a call needs to the ARNs it needs it on.

Consumes a `mapping.Need` and the `SdkCall`'s resolved arguments; produces `Permission`s and,
wherever part of an ARN had to become ``*``, a `Widening` that says where and why. Only the
unknown part is widened: ``f"orders/{oid}.json"`` in bucket ``orders-archive`` gives
``arn:aws:s3:::orders-archive/orders/*.json``.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace

from policygen.mapping import Need, ResourceOption
from policygen.model import (
    Argument,
    ArgValue,
    Arn,
    Condition,
    DictValue,
    Evidence,
    EvidenceKind,
    Hole,
    Permission,
    SdkCall,
    Target,
    Text,
    Widening,
)

MAX_RESOURCES_PER_CALL = 32
_VAR = re.compile(r"\$\{([^}]+)\}")
_QUEUE_URL = re.compile(
    r"^https?://(?:sqs\.)?(?P<region>[a-z0-9-]+)?\.?[^/]*/(?P<account>\d{12})/(?P<name>[^/]+)$"
)


@dataclass(frozen=True)
class Scoped:
    permissions: tuple[Permission, ...]
    widenings: tuple[Widening, ...]


def scope(call: SdkCall, need: Need, target: Target, conditions: tuple[Condition, ...] = ()) -> Scoped:
    evidence = (Evidence(EvidenceKind.CODE, str(call.location), call.note or call.label),)
    if not need.options:
        return Scoped((Permission(need.action, Arn("*"), conditions, evidence),), ())
    option = _choose(call, need.options)
    formats = need.arn_formats.get(option.type) or ()
    if not formats:
        return Scoped(
            (Permission(need.action, Arn("*"), conditions, evidence),),
            (
                Widening(
                    need.action,
                    Arn("*"),
                    f"no ARN format is known for resource type {option.type}",
                    call.location,
                ),
            ),
        )
    region = target.region
    if call.region is not None and call.region.known:
        region = call.region.known
    permissions: list[Permission] = []
    widenings: list[Widening] = []
    for arn, reasons in _arns(call, option, formats[0], target, region):
        permissions.append(Permission(need.action, Arn(arn), conditions, evidence))
        if reasons:
            widenings.append(Widening(need.action, Arn(arn), "; ".join(sorted(set(reasons))), call.location))
    return Scoped(tuple(permissions), tuple(widenings))


def _choose(call: SdkCall, options: tuple[ResourceOption, ...]) -> ResourceOption:
    present = {a.name for a in call.arguments}
    for option in options:
        if option.members and option.members <= present:
            return option
    by_name = [o for o in options if not o.arn_param]
    return min(by_name or options, key=lambda o: len(o.bind))


def _arns(
    call: SdkCall, option: ResourceOption, arn_format: str, target: Target, region: str
) -> list[tuple[str, list[str]]]:
    fixed = {"Partition": target.partition, "Region": region, "Account": target.account}
    widen: list[str] = []
    if target.account == "*" and "${Account}" in arn_format:
        widen.append("no --account given")
    if region == "*" and "${Region}" in arn_format:
        widen.append("no --region given")
    if option.arn_param and call.argument(option.arn_param) is not None:
        out = []
        variables = [v for v in _VAR.findall(arn_format) if v not in fixed]
        for text in _argument_texts(call, option.arn_param, widen):
            reasons = list(widen)
            head = text.parts[0] if text.parts else ""
            if len(variables) == 1 and not (isinstance(head, str) and head.startswith("arn:")):
                # A name where an ARN may go (a role name for RoleArn): build the ARN around it.
                named = {**fixed, variables[0]: _pattern(text, reasons, variables[0])}
                out.append((_fill(arn_format, named), reasons))
            else:
                out.append((_pattern(text, reasons, option.arn_param), reasons))
        return out[:MAX_RESOURCES_PER_CALL]
    per_variable: list[list[tuple[str, Text, dict[str, str]]]] = []
    variables = [v for v in _VAR.findall(arn_format) if v not in fixed]
    bind = dict(option.bind)
    for variable in variables:
        spec = bind.get(variable)
        if spec is None:
            per_variable.append(
                [(variable, Text((Hole(f"{option.type} {variable} is not named by {call.label}"),)), {})]
            )
            continue
        member, _, transform = spec.partition("|")
        values = []
        source = expand_structured(call, member) if transform in {"dict_keys", "list_items"} else call
        if transform.startswith("each:"):
            source = _each_entry(call, member, transform)
        if transform == "any_key":
            source = _with_argument(call, member, Text((Hole(f"the keys listed in {member}"),)))
        for text in _argument_texts(source, member, widen):
            for value, extra in _transform(transform, text, option.type):
                values.append((variable, value, extra))
        per_variable.append(values)
    out = []
    for combination in itertools.product(*per_variable):
        reasons = list(widen)
        env = dict(fixed)
        full_arn: str | None = None
        for variable, text, extra in combination:
            env.update({k: v for k, v in extra.items() if v})
            if text.known and text.known.startswith("arn:"):
                full_arn = text.known
            env[variable] = _pattern(text, reasons, variable)
        if full_arn is not None and len(combination) == 1:
            out.append((full_arn, reasons))
            continue
        arn = _fill(arn_format, env)
        out.append((arn, reasons))
    return out[:MAX_RESOURCES_PER_CALL]


def _fill(arn_format: str, values: dict[str, str]) -> str:
    """The ARN format with its variables filled in; a variable with no value becomes ``*``."""
    return _VAR.sub(lambda m: values.get(m.group(1), "*"), arn_format)


def _argument_texts(call: SdkCall, member: str, widen: list[str]) -> list[Text]:
    argument = call.argument(member)
    if argument is None:
        return [Text((Hole(f"{member} is not given at {call.label}"),))]
    return [v if isinstance(v, Text) else _dict_text(v) for v in argument.values] or [Text((Hole(member),))]


def _dict_text(value: ArgValue) -> Text:
    return Text((Hole("a structured value"),)) if isinstance(value, DictValue) else value


def _pattern(text: Text, reasons: list[str], what: str) -> str:
    for hole in text.holes:
        reasons.append(f"{what}: {hole.reason}")
    return text.pattern()


def _transform(name: str, text: Text, resource_type: str) -> list[tuple[Text, dict[str, str]]]:
    if not name:
        if resource_type == "Secret" and not (text.known or "").startswith("arn:"):
            # Secrets Manager appends six random characters to every secret's ARN.
            return [(Text((*text.parts, "-??????")), {})]
        return [(text, {})]
    if name == "strip_slash":
        parts = list(text.parts)
        if parts and isinstance(parts[0], str):
            parts[0] = parts[0].lstrip("/")
        return [(Text(tuple(parts)), {})]
    if name == "url_last_segment":
        return [_queue_name(text)]
    if name in {"copy_bucket", "copy_key"}:
        return [(_split_copy_source(text, name == "copy_bucket"), {})]
    if name == "kms_key":
        return [(_kms_key(text), {})]
    if name in {"dict_keys", "list_items", "any_key"}:
        return [(text, {})]
    return [(text, {})]


def _queue_name(url: Text) -> tuple[Text, dict[str, str]]:
    """The queue name (and the account and region the URL names) from a possibly partial URL:
    ``https://sqs.us-east-1.amazonaws.com/123456789012/orders-{suffix}`` -> ``orders-{suffix}``."""
    known = url.known
    if known:
        match = _QUEUE_URL.match(known)
        if match:
            return Text.of(match["name"]), {"Account": match["account"], "Region": match["region"] or ""}
    for index in range(len(url.parts) - 1, -1, -1):
        part = url.parts[index]
        if isinstance(part, str) and "/" in part:
            head, _, tail = part.rpartition("/")
            extra = {}
            prefix = (
                "".join(p for p in url.parts[:index] if isinstance(p, str)) + head
                if all(isinstance(p, str) for p in url.parts[:index])
                else ""
            )
            match = re.match(r"^https?://(?:sqs\.)?([a-z0-9-]+)\.[^/]*/(\d{12})$", prefix)
            if match:
                extra = {"Region": match.group(1), "Account": match.group(2)}
            return Text((tail, *url.parts[index + 1 :]) if tail else url.parts[index + 1 :]), extra
    return Text((Hole(f"queue URL {url}"),)), {}


def _split_copy_source(text: Text, bucket: bool) -> Text:
    first = text.parts[0] if text.parts else ""
    if isinstance(first, str) and "/" in first.lstrip("/"):
        head, _, rest = first.lstrip("/").partition("/")
        return Text.of(head) if bucket else Text((rest, *text.parts[1:]))
    return Text((Hole("the copy source"),)) if bucket else Text((Hole("the copy source key"),))


def _kms_key(text: Text) -> Text:
    known = text.known
    if known and known.startswith("alias/"):
        return Text((Hole(f"key behind {known} (IAM authorizes the key, not the alias)"),))
    if known and ":key/" in known:
        return Text.of(known.rsplit("/", 1)[1])
    return text


def _each_entry(call: SdkCall, member: str, transform: str) -> SdkCall:
    """``Entries|each:EventBusName:default``: the named key of every entry of a list argument."""
    _, key, default = [*transform.split(":"), "", ""][:3]
    argument = call.argument(member)
    values: list[ArgValue] = []
    for entries in argument.values if argument else ():
        if not isinstance(entries, DictValue):
            values.append(Text((Hole(f"the entries of {member}"),)))
            continue
        for _, items in entries.items:
            for item in items:
                if not isinstance(item, DictValue):
                    values.append(Text((Hole(f"an entry of {member}"),)))
                    continue
                found = [v for k, vs in item.items if k.known == key for v in vs if isinstance(v, Text)]
                if found:
                    values.extend(found)
                elif item.complete and default:
                    values.append(Text.of(default))
                else:
                    values.append(Text((Hole(f"{key} of an entry of {member}"),)))
    if not values:
        values.append(Text((Hole(f"the entries of {member}"),)))
    return _with_argument(call, member, *values)


def _with_argument(call: SdkCall, member: str, *values: ArgValue) -> SdkCall:
    others = tuple(a for a in call.arguments if a.name != member)
    return replace(call, arguments=(*others, Argument(member, tuple(dict.fromkeys(values)))))


def expand_structured(call: SdkCall, member: str) -> SdkCall:
    """Replace a dict/list argument by its keys (tables) or items (names), for the transforms
    that read them."""
    argument = call.argument(member)
    if argument is None:
        return call
    values: list[ArgValue] = []
    for value in argument.values:
        if isinstance(value, DictValue):
            if member in {"RequestItems"}:
                values.extend(k for k, _ in value.items)
            else:
                for _, inner in value.items:
                    values.extend(v for v in inner if isinstance(v, Text))
            if not value.complete:
                values.append(Text((Hole(f"entries of {member} the analysis cannot see"),)))
        else:
            values.append(value)
    arguments = tuple(Argument(a.name, tuple(values)) if a.name == member else a for a in call.arguments)
    return replace(call, arguments=arguments)
