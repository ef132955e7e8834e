"""What the Lambda service itself does with a function's role, from the function's configuration.

Each permission carries `Evidence` of kind ``deployment`` pointing at the template line. Sources:
- logs: https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
- X-Ray: https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html
- VPC: https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html
- event source mappings: https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html (and
  with-kinesis, with-ddb, with-msk)
- destinations and dead-letter queues: https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html
- environment encryption: https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-encryption.html
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from policygen import mapping
from policygen.errors import MappingError
from policygen.model import (
    Action,
    Arn,
    Evidence,
    EvidenceKind,
    Hole,
    Location,
    Permission,
    Target,
    Text,
    Widening,
)


@dataclass(frozen=True)
class EventSource:
    kind: str  # sqs, kinesis, dynamodb, msk
    arns: tuple[Text, ...]
    source: str
    name: str


@dataclass(frozen=True)
class Destination:
    kind: str  # sqs, sns, lambda, eventbridge
    arns: tuple[Text, ...]
    name: str


@dataclass(frozen=True)
class FunctionConfig:
    name: Text
    source: str  # "template.yaml:12"
    vpc: bool = False
    tracing: bool = False
    event_sources: tuple[EventSource, ...] = ()
    destinations: tuple[Destination, ...] = ()
    kms_key: Text | None = None
    log_group: Text | None = None


POLLER_ACTIONS = {
    "sqs": ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"),
    "kinesis": (
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:DescribeStream",
        "kinesis:DescribeStreamSummary",
        "kinesis:ListShards",
    ),
    "dynamodb": (
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:DescribeStream",
        "dynamodb:ListStreams",
    ),
    "msk": ("kafka:DescribeCluster", "kafka:DescribeClusterV2", "kafka:GetBootstrapBrokers"),
}
DESTINATION_ACTIONS = {
    "sqs": ("sqs:SendMessage",),
    "sns": ("sns:Publish",),
    "lambda": ("lambda:InvokeFunction",),
    "eventbridge": ("events:PutEvents",),
}
VPC_ACTIONS = (
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
)


def object_keys(prefix: object, suffix: object) -> tuple[Text, ...]:
    """The object keys an S3 notification filter lets through, or () if it names none."""
    if not isinstance(prefix, str) and not isinstance(suffix, str):
        return ()
    rest = Hole("the rest of the object key of the S3 event")
    return (
        Text.join(prefix if isinstance(prefix, str) else "", rest, suffix if isinstance(suffix, str) else ""),
    )


def pattern_fields(
    pattern: object, texts_of: Callable[[object], list[Text]], path: tuple[str, ...] = ()
) -> tuple[tuple[tuple[str, ...], tuple[Text, ...]], ...]:
    """The event fields an EventBridge pattern fixes: a list of exact values (or prefixes) at a
    path. A field matched any other way (anything-but, numeric, exists) is not fixed."""
    out: list[tuple[tuple[str, ...], tuple[Text, ...]]] = []
    if isinstance(pattern, dict) and not any(str(k).startswith("Fn::") or k == "Ref" for k in pattern):
        for key, value in pattern.items():
            out.extend(pattern_fields(value, texts_of, (*path, str(key))))
    elif isinstance(pattern, list) and path and pattern:
        values: list[Text] = []
        for item in pattern:
            if isinstance(item, dict) and set(item) == {"prefix"} and isinstance(item["prefix"], str):
                values.append(Text.join(item["prefix"], Hole(f"the rest of the event's {'.'.join(path)}")))
            elif isinstance(item, dict) and not any(str(k).startswith("Fn::") or k == "Ref" for k in item):
                return ()  # an operator: the field is not fixed
            else:
                values.extend(texts_of(item))
        out.append((path, tuple(values)))
    return tuple(out)


def _has_resource_types(action: str) -> bool:
    prefix, _, name = action.partition(":")
    try:
        return bool(mapping.iam_service(prefix)["actions"].get(name))
    except MappingError:
        return True


def for_function(config: FunctionConfig, target: Target) -> tuple[list[Permission], list[Widening]]:
    out: list[Permission] = []
    widened: list[Widening] = []

    def grant(
        actions: tuple[str, ...],
        resource: str,
        detail: str,
        source: str | None = None,
        text: Text | None = None,
    ) -> None:
        where = source or config.source
        path, _, line = where.rpartition(":")
        location = Location(path, int(line) if line.isdigit() else 0)
        evidence = (Evidence(EvidenceKind.DEPLOYMENT, location, detail),)
        for action in actions:
            # An action without resource-level permissions is granted on "*" alone.
            scoped = resource if _has_resource_types(action) else "*"
            out.append(Permission(Action(action), Arn(scoped), (), evidence))
        if all(not _has_resource_types(a) for a in actions):
            return
        holes = [h.reason for h in (text.holes if text else ())]
        if "*" in (target.account, target.region) and resource != "*":
            holes.append("no --account/--region given")
        if holes:
            widened.extend(Widening(Action(a), Arn(resource), "; ".join(holes), location) for a in actions)

    account = target.account
    region = target.region
    log_group = config.log_group.pattern() if config.log_group else "/aws/lambda/" + config.name.pattern()
    group_arn = f"arn:{target.partition}:logs:{region}:{account}:log-group:{log_group}"
    name_text = config.log_group or config.name
    grant(
        ("logs:CreateLogGroup",), group_arn + ":*", "Lambda creates the function's log group", text=name_text
    )
    grant(
        ("logs:CreateLogStream", "logs:PutLogEvents"),
        group_arn + ":log-stream:*",
        "Lambda writes the function's logs",
        text=name_text,
    )
    if config.tracing:
        grant(("xray:PutTraceSegments", "xray:PutTelemetryRecords"), "*", "Tracing: Active")
    if config.vpc:
        grant(VPC_ACTIONS, "*", "VpcConfig: Lambda manages the function's network interfaces")
    for source in config.event_sources:
        actions = POLLER_ACTIONS.get(source.kind, ())
        for arn in source.arns:
            resource = arn.pattern()
            if source.kind == "kinesis":
                grant(
                    ("kinesis:ListStreams",),
                    "*",
                    f"event source {source.name}: the poller lists streams",
                    source.source,
                )
            grant(
                actions,
                resource,
                f"event source {source.name}: Lambda polls it with the function's role",
                source.source,
                arn,
            )
    for destination in config.destinations:
        for arn in destination.arns:
            grant(
                DESTINATION_ACTIONS.get(destination.kind, ()),
                arn.pattern(),
                f"{destination.name}: Lambda sends to it",
                text=arn,
            )
    if config.kms_key is not None:
        grant(
            ("kms:Decrypt",),
            config.kms_key.pattern(),
            "KmsKeyArn: Lambda decrypts the environment variables",
            text=config.kms_key,
        )
    return out, widened
