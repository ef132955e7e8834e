"""Resolving CloudFormation intrinsic functions to (partially known) strings.

``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::Join``, ``Fn::If``, ``Fn::Select``, ``Fn::FindInMap``
and ``Fn::ImportValue`` become `Text` alternatives: known where the template (and the deploy
flags) say, a `Hole` naming what is unknown elsewhere. A resource without an explicit name gets
the shape of the name CloudFormation generates (``<stack>-<LogicalId>-*``). Circular references
are detected and reported with the template's line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from policygen.errors import DeploymentError
from policygen.model import Hole, Target, Text

MAX_ALTERNATIVES = 8


@dataclass(frozen=True)
class NameRule:
    """How a resource type answers Ref and GetAtt: which property names it, and ARN shapes."""

    name_property: str | None
    ref: str  # "name", "arn", "url", "id"
    arn: str  # template with {partition} {region} {account} {name}
    lowercase_generated: bool = False


NAME_RULES: dict[str, NameRule] = {
    "AWS::DynamoDB::Table": NameRule(
        "TableName", "name", "arn:{partition}:dynamodb:{region}:{account}:table/{name}"
    ),
    "AWS::Serverless::SimpleTable": NameRule(
        "TableName", "name", "arn:{partition}:dynamodb:{region}:{account}:table/{name}"
    ),
    "AWS::S3::Bucket": NameRule(
        "BucketName", "name", "arn:{partition}:s3:::{name}", lowercase_generated=True
    ),
    "AWS::SQS::Queue": NameRule("QueueName", "url", "arn:{partition}:sqs:{region}:{account}:{name}"),
    "AWS::SNS::Topic": NameRule("TopicName", "arn", "arn:{partition}:sns:{region}:{account}:{name}"),
    "AWS::Lambda::Function": NameRule(
        "FunctionName", "name", "arn:{partition}:lambda:{region}:{account}:function:{name}"
    ),
    "AWS::Serverless::Function": NameRule(
        "FunctionName", "name", "arn:{partition}:lambda:{region}:{account}:function:{name}"
    ),
    "AWS::StepFunctions::StateMachine": NameRule(
        "StateMachineName", "arn", "arn:{partition}:states:{region}:{account}:stateMachine:{name}"
    ),
    "AWS::Serverless::StateMachine": NameRule(
        "Name", "arn", "arn:{partition}:states:{region}:{account}:stateMachine:{name}"
    ),
    "AWS::SecretsManager::Secret": NameRule(
        "Name", "arn", "arn:{partition}:secretsmanager:{region}:{account}:secret:{name}-??????"
    ),
    "AWS::SSM::Parameter": NameRule(
        "Name", "name", "arn:{partition}:ssm:{region}:{account}:parameter/{name}"
    ),
    "AWS::Kinesis::Stream": NameRule(
        "Name", "name", "arn:{partition}:kinesis:{region}:{account}:stream/{name}"
    ),
    "AWS::Events::EventBus": NameRule(
        "Name", "name", "arn:{partition}:events:{region}:{account}:event-bus/{name}"
    ),
    "AWS::Logs::LogGroup": NameRule(
        "LogGroupName", "name", "arn:{partition}:logs:{region}:{account}:log-group:{name}"
    ),
    "AWS::IAM::Role": NameRule("RoleName", "name", "arn:{partition}:iam::{account}:role/{name}"),
    "AWS::KMS::Key": NameRule(None, "id", "arn:{partition}:kms:{region}:{account}:key/{name}"),
    # An alias is named <function>:<alias> in its ARN (see `_names`).
    "AWS::Lambda::Alias": NameRule(None, "arn", "arn:{partition}:lambda:{region}:{account}:function:{name}"),
    "AWS::Kinesis::DeliveryStream": NameRule(
        "DeliveryStreamName", "name", "arn:{partition}:firehose:{region}:{account}:deliverystream/{name}"
    ),
    "AWS::KinesisFirehose::DeliveryStream": NameRule(
        "DeliveryStreamName", "name", "arn:{partition}:firehose:{region}:{account}:deliverystream/{name}"
    ),
}


@dataclass
class Context:
    """What intrinsics resolve against: the template, its parameters and the deploy flags."""

    resources: Mapping[str, Any]
    parameters: Mapping[str, Any]
    overrides: Mapping[str, str]
    mappings: Mapping[str, Any]
    target: Target
    stack_name: str | None
    path: str
    resolving: list[str] = field(default_factory=list)
    # the known start of each physical name CloudFormation generates that was resolved
    generated: set[str] = field(default_factory=set)

    def pseudo(self, name: str) -> Text | None:
        known = {
            "AWS::Region": self.target.region if self.target.region != "*" else None,
            "AWS::AccountId": self.target.account if self.target.account != "*" else None,
            "AWS::Partition": self.target.partition,
            "AWS::StackName": self.stack_name,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": "",
        }
        if name not in known:
            return None
        value = known[name]
        return Text.of(value) if value is not None else Text((Hole(f"{name} (give --{_flag(name)})"),))


def _flag(pseudo: str) -> str:
    return {"AWS::Region": "region", "AWS::AccountId": "account", "AWS::StackName": "stack-name"}.get(
        pseudo, pseudo
    )


def resolve(value: Any, ctx: Context) -> list[Text]:
    """Every string ``value`` may be, as far as the template and the flags tell."""
    if isinstance(value, str):
        return [Text.of(value)]
    if isinstance(value, Text):  # a string a Serverless variable left partly unknown
        return [value]
    if isinstance(value, bool):
        return [Text.of("true" if value else "false")]
    if isinstance(value, int | float):
        return [Text.of(str(value))]
    if isinstance(value, dict) and len(value) == 1:
        ((name, arg),) = value.items()
        handler = _INTRINSICS.get(name)
        if handler is not None:
            return handler(arg, ctx)[:MAX_ALTERNATIVES]
    return [Text((Hole("a value that is not a string"),))]


def _ref(arg: Any, ctx: Context) -> list[Text]:
    if not isinstance(arg, str):
        return [Text((Hole("Ref to a computed name"),))]
    pseudo = ctx.pseudo(arg)
    if pseudo is not None:
        return [pseudo]
    if arg in ctx.overrides:
        return [Text.of(ctx.overrides[arg])]
    if arg in ctx.parameters:
        parameter = ctx.parameters[arg]
        default = parameter.get("Default") if isinstance(parameter, dict) else None
        if default is not None:
            return resolve(default, ctx)
        return [Text((Hole(f"parameter {arg} (give --parameter-overrides {arg}=...)"),))]
    if arg in ctx.resources:
        return _resource_value(arg, "Ref", ctx)
    base, _, suffix = arg.partition(".")
    resource = ctx.resources.get(base)
    if suffix in ("Alias", "Version") and isinstance(resource, dict):
        # SAM's ``!Ref Function.Alias`` / ``.Version`` with AutoPublishAlias.
        alias = (resource.get("Properties") or {}).get("AutoPublishAlias")
        if suffix == "Alias" and isinstance(alias, str) and f"{base}Alias{alias}" in ctx.resources:
            return _resource_value(f"{base}Alias{alias}", "Ref", ctx)
        return [Text((Hole(f"the {suffix.lower()} SAM publishes for {base}"),))]
    raise DeploymentError(
        f"{ctx.path}: Ref to {arg}, which is neither a parameter nor a resource of the template"
    )


def _get_att(arg: Any, ctx: Context) -> list[Text]:
    if isinstance(arg, str):
        arg = arg.split(".", 1)
    if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str)):
        return [Text((Hole("Fn::GetAtt with a computed name"),))]
    logical, attribute = arg
    if logical not in ctx.resources:
        raise DeploymentError(
            f"{ctx.path}: Fn::GetAtt {logical}.{attribute}: no resource {logical} in the template"
        )
    return _resource_value(logical, str(attribute), ctx)


def _resource_value(logical: str, attribute: str, ctx: Context) -> list[Text]:
    if logical in ctx.resolving:
        chain = " -> ".join([*ctx.resolving, logical])
        raise DeploymentError(f"{ctx.path}: circular reference: {chain}")
    resource = ctx.resources[logical]
    rtype = resource.get("Type", "") if isinstance(resource, dict) else ""
    rule = NAME_RULES.get(rtype)
    if rule is None:
        return [Text((Hole(f"{attribute} of {logical} ({rtype or 'unknown type'})"),))]
    ctx.resolving.append(logical)
    try:
        names = _names(logical, resource, rule, ctx)
    finally:
        ctx.resolving.pop()
    wanted = rule.ref if attribute == "Ref" else attribute
    out = []
    for name in names:
        if wanted in ("name", "Name", "TableName", "QueueName", "TopicName", "id", "KeyId"):
            out.append(name)
        elif wanted in ("Arn", "arn"):
            out.append(_fill(rule.arn, name, ctx))
        elif wanted == "StreamArn":
            out.append(
                Text.join(_fill(rule.arn, name, ctx), Text(("/stream/", Hole("the stream's creation time"))))
            )
        elif wanted in ("url", "QueueUrl"):
            region = ctx.pseudo("AWS::Region") or Text.of("*")
            account = ctx.pseudo("AWS::AccountId") or Text.of("*")
            out.append(
                Text.join(
                    *[
                        Text.of("https://sqs."),
                        region,
                        Text.of(".amazonaws.com/"),
                        account,
                        Text.of("/"),
                        name,
                    ]
                )
            )
        else:
            out.append(Text((Hole(f"{attribute} of {logical}"),)))
    return out


def _names(logical: str, resource: Any, rule: NameRule, ctx: Context) -> list[Text]:
    properties = resource.get("Properties") or {}
    if resource.get("Type") == "AWS::Lambda::Alias":
        function = resolve(properties.get("FunctionName"), ctx)
        return _product([function, [Text.of(":")], resolve(properties.get("Name"), ctx)])
    if rule.name_property and rule.name_property in properties:
        return resolve(properties[rule.name_property], ctx)
    # The name CloudFormation generates: <stack>-<LogicalId>-<random>.
    stack = Text.of(ctx.stack_name) if ctx.stack_name else Text((Hole("the stack name (give --stack-name)"),))
    middle = logical.lower() if rule.lowercase_generated else logical
    if rule.lowercase_generated and ctx.stack_name:
        stack = Text.of(ctx.stack_name.lower())
    ctx.generated.add(f"{stack.known or ''}-{middle}-")
    return [
        Text.join(
            *[
                stack,
                Text.of(f"-{middle}-"),
                Text((Hole(f"the suffix CloudFormation generates for {logical}"),)),
            ]
        )
    ]


def fill_arn(template: str, name: Text, partition: str, region: Text, account: Text) -> Text:
    """An ARN shape of `NAME_RULES` (``arn:{partition}:...{name}``) filled in."""
    values = {"{partition}": Text.of(partition), "{region}": region, "{account}": account, "{name}": name}
    pieces = re.split(r"(\{partition\}|\{region\}|\{account\}|\{name\})", template)
    return Text.join(*[values.get(p, Text.of(p)) for p in pieces if p])


def _fill(template: str, name: Text, ctx: Context) -> Text:
    region = ctx.pseudo("AWS::Region") or Text.of("*")
    return fill_arn(
        template, name, ctx.target.partition, region, ctx.pseudo("AWS::AccountId") or Text.of("*")
    )


def _product(options: list[list[Text]]) -> list[Text]:
    results = [Text(())]
    for choice in options:
        results = [Text.join(r, c) for r in results for c in choice][:MAX_ALTERNATIVES]
    return results


def _sub(arg: Any, ctx: Context) -> list[Text]:
    variables: Mapping[str, Any] = {}
    if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], dict):
        arg, variables = arg[0], arg[1]
    if isinstance(arg, str):
        arg = Text.of(arg)
    if not isinstance(arg, Text):
        return [Text((Hole("Fn::Sub of a computed string"),))]
    options: list[list[Text]] = []
    for part in arg.parts:
        if isinstance(part, Hole):
            options.append([Text((part,))])
            continue
        for index, piece in enumerate(re.split(r"\$\{([^}]*)\}", part)):
            if index % 2 == 0:
                options.append([Text.of(piece.replace("${!", "${"))])
            elif piece.startswith("!"):
                options.append([Text.of("${" + piece[1:] + "}")])
            elif piece in variables:
                options.append(resolve(variables[piece], ctx))
            elif "." in piece:
                options.append(_get_att(piece.split(".", 1), ctx))
            else:
                options.append(_ref(piece, ctx))
    return _product(options)


def _join_fn(arg: Any, ctx: Context) -> list[Text]:
    if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str)):
        return [Text((Hole("Fn::Join of a computed list"),))]
    delimiter, items = arg
    if not isinstance(items, list):
        return [Text((Hole("Fn::Join of a computed list"),))]
    options: list[list[Text]] = []
    for index, item in enumerate(items):
        if index:
            options.append([Text.of(delimiter)])
        options.append(resolve(item, ctx))
    return _product(options)


def _if(arg: Any, ctx: Context) -> list[Text]:
    if isinstance(arg, list) and len(arg) == 3:
        return resolve(arg[1], ctx) + resolve(arg[2], ctx)
    return [Text((Hole("Fn::If"),))]


def _select(arg: Any, ctx: Context) -> list[Text]:
    if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list):
        try:
            return resolve(arg[1][int(arg[0])], ctx)
        except (ValueError, IndexError, TypeError):
            pass
    return [Text((Hole("Fn::Select"),))]


def _find_in_map(arg: Any, ctx: Context) -> list[Text]:
    if isinstance(arg, list) and len(arg) == 3:
        keys = [resolve(a, ctx)[0].known for a in arg]
        if all(keys):
            value = ctx.mappings.get(keys[0] or "", {}).get(keys[1] or "", {}).get(keys[2] or "")
            if value is not None:
                return resolve(value, ctx)
    return [Text((Hole("Fn::FindInMap"),))]


def _import_value(arg: Any, ctx: Context) -> list[Text]:
    names = resolve(arg, ctx)
    return [Text((Hole(f"the value another stack exports as {names[0]}"),))]


_INTRINSICS = {
    "Ref": _ref,
    "Fn::GetAtt": _get_att,
    "Fn::Sub": _sub,
    "Fn::Join": _join_fn,
    "Fn::If": _if,
    "Fn::Select": _select,
    "Fn::FindInMap": _find_in_map,
    "Fn::ImportValue": _import_value,
}
