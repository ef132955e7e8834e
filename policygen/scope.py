"""Scope stage: from an action a call needs to the ARNs it needs it on.

Consumes a `mapping.Need` and the `SdkCall`'s resolved arguments; produces `Permission`s and,
wherever part of an ARN had to become ``*``, a `Widening` that says where and why. Only the
unknown part is widened: ``f"orders/{oid}.json"`` in bucket ``orders-archive`` gives
``arn:aws:s3:::orders-archive/orders/*.json``.
"""

from __future__ import annotations

import itertools
import re
import urllib.parse
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


@dataclass(frozen=True)
class _Choice:
    """A resource option the call needs, the view of the call that scopes it, and why it is
    there when that is worth saying; ``arn`` when no single option could be chosen."""

    option: ResourceOption
    call: SdkCall
    reasons: tuple[str, ...] = ()
    arn: str | None = None


def scope(call: SdkCall, need: Need, target: Target, conditions: tuple[Condition, ...] = ()) -> Scoped:
    evidence = (Evidence(EvidenceKind.CODE, call.location, call.note or call.label),)
    if not need.options:
        return Scoped((Permission(need.action, Arn("*"), conditions, evidence),), ())
    region = target.region
    if call.region is not None and call.region.known:
        region = call.region.known
    choices = _select(call, need, target, region)
    paths = _api_gateway_paths(need, target, region) if not choices else []
    if paths:
        widened = ["no --region given"] if region == "*" else []
        return Scoped(
            tuple(Permission(need.action, Arn(path), conditions, evidence) for path in paths),
            tuple(Widening(need.action, Arn(path), widened[0], call.location) for path in paths if widened),
        )
    if not choices:
        types = ", ".join(sorted({o.type for o in need.options}))
        return Scoped(
            (Permission(need.action, Arn("*"), conditions, evidence),),
            (
                Widening(
                    need.action,
                    Arn("*"),
                    f"{call.label} names none of the optional resource types of {need.action} ({types}): "
                    "IAM authorizes the call on '*', which also covers every resource of those types",
                    call.location,
                ),
            ),
        )
    permissions: list[Permission] = []
    widenings: list[Widening] = []
    for choice in choices:
        if choice.arn is not None:
            permissions.append(Permission(need.action, Arn(choice.arn), conditions, evidence))
            widenings.append(Widening(need.action, Arn(choice.arn), "; ".join(choice.reasons), call.location))
            continue
        formats = need.arn_formats.get(choice.option.type) or ()
        if not formats:
            permissions.append(Permission(need.action, Arn("*"), conditions, evidence))
            reason = f"no ARN format is known for resource type {choice.option.type}"
            widenings.append(Widening(need.action, Arn("*"), reason, call.location))
            continue
        where = choice.option.region or region
        for arn, reasons in _arns(choice.call, choice.option, formats[0], target, where):
            permissions.append(Permission(need.action, Arn(arn), conditions, evidence))
            reasons = [*reasons, *choice.reasons]
            if reasons:
                widenings.append(
                    Widening(need.action, Arn(arn), "; ".join(sorted(set(reasons))), call.location)
                )
    return Scoped(tuple(dict.fromkeys(permissions)), tuple(dict.fromkeys(widenings)))


def _api_gateway_paths(need: Need, target: Target, region: str) -> list[str]:
    """API Gateway's management API authorizes a request on its path (GET /apikeys on
    ``arn:aws:apigateway:us-east-1::/apikeys``:
    https://docs.aws.amazon.com/apigateway/latest/developerguide/control-access-using-iam-policies-to-create-and-manage-api.html),
    so an operation that names no resource (a listing, the account's settings) needs the paths
    of the types whose ARN names no resource, not '*' (which reads every API, key and
    certificate)."""
    if not need.action.startswith("apigateway:") or any(o.members for o in need.options):
        return []  # a call that could name a resource and does not (**kwargs): its path is not known
    fixed = {"Partition": target.partition, "Region": region, "Account": target.account}
    paths = set()
    for option in need.options:
        for arn_format in need.arn_formats.get(option.type, ())[:1]:
            if set(_VAR.findall(arn_format)) <= set(fixed):
                paths.add(_fill(arn_format, fixed))
    return sorted(paths)


def _select(call: SdkCall, need: Need, target: Target, region: str) -> list[_Choice]:
    """The resource types ``call`` needs ``need.action`` on.

    Every option whose members the call passes is named by it, except one whose ARN is a prefix
    of a more specific named one (a table, when the call names the table's index). Options named
    by the same members are alternatives (a model id names a foundation model *or* an inference
    profile): each value picks its type by its shape. Required types the call does not name are
    granted too, unless the call's resource was one of several alternatives (then the IAM
    reference's required marks mean "one of these").
    """
    present = {a.name for a in call.arguments}
    named = [o for o in need.options if o.members and o.members <= present]
    kept = [o for o in named if not any(_covered(o, other, need) for other in named)]
    groups: dict[frozenset[str], list[ResourceOption]] = {}
    for option in kept:
        groups.setdefault(option.members, []).append(option)
    choices: list[_Choice] = []
    alternatives = False
    for group in groups.values():
        if any(o.any_type for o in group) or len({o.type for o in group}) > 1:
            alternatives = True
        if len({o.type for o in group}) > 1:
            choices.extend(_classify(call, group, need, target, region))
        else:
            choices.extend(_Choice(o, call) for o in group)
    if not alternatives:
        satisfied = {o.type for o in named}
        unnamed: dict[str, ResourceOption] = {}
        for option in need.options:
            replaces = option.type not in unnamed or unnamed[option.type].arn_param
            if option.required and option.type not in satisfied and replaces:
                unnamed[option.type] = option
        choices.extend(_Choice(o, call) for o in unnamed.values())
    for choice in list(choices):
        for companion in choice.option.also:
            note = (
                f"{need.action} through a {choice.option.type} is authorized on its {companion.type} too, "
                "in every Region it may route to"
            )
            choices.append(_Choice(companion, choice.call, (note,) if companion.region else ()))
    return choices


def _covered(option: ResourceOption, other: ResourceOption, need: Need) -> bool:
    """``option`` names a parent of what ``other`` names (``table/T`` of ``table/T/index/I``)."""
    if not option.members < other.members:
        return False
    mine, theirs = need.arn_formats.get(option.type, ()), need.arn_formats.get(other.type, ())
    return bool(mine and theirs and theirs[0].startswith(mine[0]))


def _classify(
    call: SdkCall, group: list[ResourceOption], need: Need, target: Target, region: str
) -> list[_Choice]:
    """Split the values of the member several resource types share by the type each names."""
    member = sorted(group[0].members)[0]
    transforms = {spec.partition("|")[2] for o in group for _, spec in o.bind if spec.startswith(member)}
    source = expand_structured(call, member) if transforms & {"list_items", "dict_keys"} else call
    argument = source.argument(member)
    chosen: dict[int, list[ArgValue]] = {}
    undecided: list[ArgValue] = []
    for value in argument.values if argument else ():
        picked = _types_named(value, group, need) if isinstance(value, Text) else []
        for index in picked:
            chosen.setdefault(index, []).append(value)
        if not picked:
            undecided.append(value)
    choices = [_Choice(group[i], _with_argument(source, member, *vs)) for i, vs in sorted(chosen.items())]
    if undecided:
        types = sorted({o.type for o in group})
        shown = ", ".join(str(v) for v in undecided[:3])
        reason = f"{member} ({shown}) may name any of {', '.join(types)}: could not tell which"
        if len(types) <= 4:
            first = {o.type: o for o in reversed(group)}
            view = _with_argument(source, member, *undecided)
            choices.extend(_Choice(first[t], view, (reason,)) for t in types)
        else:
            fixed = {"Partition": target.partition, "Region": region, "Account": target.account}
            filled = [_fill(f[0], fixed) for f in (need.arn_formats.get(t) for t in types) if f]
            prefix = _common_prefix(filled)
            choices.append(_Choice(group[0], call, (reason + f"; granted on {prefix}*",), prefix + "*"))
    return choices


def _types_named(value: Text, group: list[ResourceOption], need: Need) -> list[int]:
    """Which options of ``group`` the value may name: an ARN by its shape, a bare name or id by
    the options' ``match`` patterns (the first that matches)."""
    head = value.parts[0] if value.parts and isinstance(value.parts[0], str) else ""
    if head.startswith("arn:"):
        probe = "".join(p if isinstance(p, str) else "x" for p in value.parts)
        return [
            i
            for i, o in enumerate(group)
            if any(_format_regex(f).match(probe) for f in need.arn_formats.get(o.type, ()))
        ]
    if not head:
        return []
    for index, option in enumerate(group):
        if option.match and re.match(option.match, head):
            return [index]
    return []


def _format_regex(arn_format: str) -> re.Pattern[str]:
    pieces = re.split(r"(\$\{[^}]+\})", arn_format)
    out = []
    for piece in pieces:
        if piece.startswith("${"):
            out.append("[^:]*" if piece[2:-1] in {"Partition", "Region", "Account"} else ".+")
        else:
            out.append(re.escape(piece))
    return re.compile("^" + "".join(out) + "$")


def _common_prefix(texts: list[str]) -> str:
    if not texts:
        return ""
    first, last = min(texts), max(texts)
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    return first[:size]


def _arns(
    call: SdkCall, option: ResourceOption, arn_format: str, target: Target, region: str
) -> list[tuple[str, list[str]]]:
    fixed = {"Partition": target.partition, "Region": region, "Account": target.account}
    widen: list[str] = []
    if target.account == "*" and "${Account}" in arn_format:
        widen.append("no --account given")
    if region == "*" and "${Region}" in arn_format and option.region is None:
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
        if transform in {"copy_bucket", "copy_key"}:
            source = _copy_source(call, member, transform == "copy_bucket")
            transform = ""
        if transform == "any_key":
            source = _with_argument(call, member, Text((Hole(f"the keys listed in {member}"),)))
        if transform.startswith("default:") and call.argument(member) is None:
            # A member the service defaults when absent (Athena's work group "primary").
            per_variable.append([(variable, Text.of(transform[len("default:") :]), {})])
            continue
        if transform.startswith("path:"):
            source = _at_path(call, member, transform[len("path:") :].split("."))
            found = source.argument(member)
            if found is None or not found.values:
                per_variable.append([])  # the call does not use this (optional) resource
                continue
        for text in _argument_texts(source, member, widen):
            for value, extra in _transform(transform, text, option.type):
                if variable.endswith("WithoutLeadingSlash"):
                    # The ARN's own variable says so (SSM's parameter ARN), whatever the member:
                    # a list of names ("/shop/a") is stripped as a single name is.
                    value = _strip_leading_slash(value)
                values.append((variable, value, extra))
        per_variable.append(values)
    out = []
    for combination in itertools.product(*per_variable):
        reasons = list(widen)
        env = dict(fixed)
        full_arn: str | None = None
        for variable, text, extra in combination:
            reasons.extend(v for k, v in extra.items() if k == _NOTE)
            env.update({k: v for k, v in extra.items() if v and k != _NOTE})
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
        return [(_strip_leading_slash(text), {})]
    if name == "lambda_function":
        return [_lambda_function(text)]
    if name == "url_last_segment":
        return [_queue_name(text)]
    if name in {"copy_bucket", "copy_key"}:
        return [(_split_copy_source(text, name == "copy_bucket"), {})]
    if name == "kms_key":
        return [(_kms_key(text), {})]
    if name == "email_identity":
        return [_email_identity(text)]
    if name == "profile_model":
        return [(_profile_model(text), {})]
    return [(text, {})]


def _strip_leading_slash(text: Text) -> Text:
    parts = list(text.parts)
    if parts and isinstance(parts[0], str):
        parts[0] = parts[0].lstrip("/")
    return Text(tuple(parts))


_NOTE = "_note"  # an `extra` key of `_transform` that carries a reason to report, not an ARN part


def _email_identity(text: Text) -> tuple[Text, dict[str, str]]:
    """The address of a From/Source header value: ``"Orders <orders@example.com>"`` ->
    ``orders@example.com``. SES authorizes sending on the verified identity: the address when it
    is verified itself, else its domain. The address is granted (the narrower); the domain is
    reported as the identity to grant instead when only the domain is verified."""
    parts = list(text.parts)
    for index in range(len(parts) - 1, -1, -1):
        part = parts[index]
        if isinstance(part, str) and "<" in part:
            parts = [part.rsplit("<", 1)[1], *parts[index + 1 :]]
            break
    if parts and isinstance(parts[-1], str):
        parts[-1] = parts[-1].rstrip().rstrip(">").rstrip()
    if parts and isinstance(parts[0], str):
        parts[0] = parts[0].strip().strip('"')
    address = Text(tuple(p for p in parts if p != ""))
    last = address.parts[-1] if address.parts else ""
    domain = last.rsplit("@", 1)[1] if isinstance(last, str) and "@" in last else "<its domain>"
    note = (
        f"SES authorizes sending on the verified identity: granted the address identity {address.pattern()}; "
        f"if only the domain {domain} is verified, SES checks identity/{domain} instead"
    )
    return address, {_NOTE: note}


_GEOGRAPHY = re.compile(r"^[a-z-]+\.")


def _profile_model(text: Text) -> Text:
    """The foundation model behind an inference profile: a system-defined profile's id is the
    model's id with a geography prefix (``us.anthropic.claude...``); an application profile's
    models are not in its ARN."""
    known = text.known or (text.parts[0] if text.parts and isinstance(text.parts[0], str) else "")
    if ":application-inference-profile/" in known:
        return Text((Hole("the models behind an application inference profile"),))
    first = text.parts[0] if text.parts and isinstance(text.parts[0], str) else ""
    if first.startswith("arn:"):
        if ":inference-profile/" not in first:
            return Text((Hole("the model behind an inference profile"),))
        first = first.split(":inference-profile/", 1)[1]
    stripped = _GEOGRAPHY.sub("", first, count=1)
    if stripped == first:
        return Text((Hole("the model behind an inference profile"),))
    return Text((stripped, *text.parts[1:])) if stripped else Text(text.parts[1:])


def _at_path(call: SdkCall, member: str, keys: list[str]) -> SdkCall:
    """A view of ``call`` whose ``member`` holds the values found at ``keys`` inside it
    (``Content|path:Template.TemplateName``); none when the call's value has no such entry."""
    argument = call.argument(member)
    values: list[ArgValue] = list(argument.values) if argument else []
    for key in keys:
        found: list[ArgValue] = []
        for value in values:
            if isinstance(value, DictValue):
                found.extend(v for k, vs in value.items if k.known == key for v in vs)
        values = found
    return _with_argument(call, member, *values)


_LAMBDA_ARN = re.compile(
    r"^(?:arn:[^:]+:lambda:(?P<region>[^:]*):)?(?:(?P<account>\d{12}):)?function:(?P<rest>.*)$", re.S
)


def _lambda_function(name: Text) -> tuple[Text, dict[str, str]]:
    """A FunctionName as Lambda takes it (``name``, ``name:alias``, ``123456789012:function:name``
    or a full ARN, possibly with a version) -> ``name[:qualifier]`` and the Region and account
    an ARN names."""
    head = name.parts[0] if name.parts and isinstance(name.parts[0], str) else ""
    match = _LAMBDA_ARN.match(head)
    if not match:
        return name, {}
    rest = match["rest"]
    extra = {"Region": match["region"] or "", "Account": match["account"] or ""}
    return Text((rest, *name.parts[1:]) if rest else name.parts[1:]), extra


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
    pieces = [part for part in url.parts if isinstance(part, str) and part]
    if pieces and not pieces[0].lower().startswith(("http", "sqs")):
        # No '/' anywhere the text is known: what is known is the end of the URL, the queue's
        # name (SQS also takes a bare name such as {stack}-Queue-{suffix}, from a template's
        # QueueName): a hole in front of it may hold the URL's start, never a '/' after it.
        return url, {}
    return Text((Hole(f"queue URL {url}"),)), {}


def _copy_source(call: SdkCall, member: str, bucket: bool) -> SdkCall:
    """A view of ``call`` whose copy source ``member`` holds its bucket (or its key), from either
    form boto3 takes: ``{"Bucket": b, "Key": k}`` or the ``"b/k"`` string."""
    argument = call.argument(member)
    if argument is None:
        return call
    wanted = "Bucket" if bucket else "Key"
    values: list[ArgValue] = []
    for value in argument.values:
        if isinstance(value, DictValue):
            found = [v for k, vs in value.items if k.known == wanted for v in vs if isinstance(v, Text)]
            values.extend(found or [Text((Hole(f"the copy source {wanted.lower()}"),))])
        else:
            values.append(_split_copy_source(value, bucket))
    return _with_argument(call, member, *values)


def _split_copy_source(text: Text, bucket: bool) -> Text:
    """``"bucket/key?versionId=v"``: the string form's key is URL-encoded; the version is no part of the ARN."""
    parts: list[str | Hole] = []
    for part in text.parts:
        if isinstance(part, str) and "?versionId=" in part:
            parts.append(part.split("?versionId=", 1)[0])
            break
        parts.append(part)
    first = parts[0] if parts else ""
    if isinstance(first, str) and "/" in first.lstrip("/"):
        head, _, rest = first.lstrip("/").partition("/")
        if bucket:
            return Text.of(head)
        return Text(tuple(urllib.parse.unquote(p) if isinstance(p, str) else p for p in (rest, *parts[1:])))
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
