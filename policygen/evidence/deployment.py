"""Deployment evidence: what the Lambda service itself does with a function's role, from the
function's configuration in its deployment file (`FunctionSpec.config`).

Consumes a `Subject` with a deployment; produces `Findings` whose permissions carry `Evidence`
of kind ``deployment`` at the template line. Sources:
- logs: https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
- X-Ray: https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html
- VPC: https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html
- event source mappings: https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html (and
  with-kinesis, with-ddb, with-msk)
- destinations and dead-letter queues: https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html
- environment encryption: https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-encryption.html
"""

from __future__ import annotations

from policygen import mapping
from policygen.errors import MappingError
from policygen.evidence import Findings, Subject
from policygen.model import (
    Action,
    Arn,
    Evidence,
    EvidenceKind,
    FunctionConfig,
    FunctionSpec,
    Location,
    Permission,
    Target,
    Text,
    Widening,
)


class DeploymentSource:
    """The deployment file's evidence for a function it declares; none for a bare code folder."""

    kind = EvidenceKind.DEPLOYMENT

    def collect(self, subject: Subject) -> Findings:
        return Findings() if subject.deployment is None else for_spec(subject.deployment, subject.target)


def for_spec(spec: FunctionSpec, target: Target) -> Findings:
    """What the Lambda service does with the role of the function ``spec`` declares."""
    return for_function(spec.config, target) if spec.config is not None else Findings()


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
    # an enhanced fan-out consumer the mapping reads a Kinesis stream through
    "kinesis-consumer": ("kinesis:SubscribeToShard",),
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


def _has_resource_types(action: str) -> bool:
    prefix, _, name = action.partition(":")
    try:
        return bool(mapping.iam_service(prefix)["actions"].get(name))
    except MappingError:
        return True


def for_function(config: FunctionConfig, target: Target) -> Findings:
    out: list[Permission] = []
    widened: list[Widening] = []

    def grant(
        actions: tuple[str, ...],
        resource: str,
        detail: str,
        source: Location | None = None,
        text: Text | None = None,
    ) -> None:
        location = source or config.source
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
    return Findings(tuple(out), tuple(widened))
