"""The handler's ``event`` as its deployment shows it: the abstract value the resolver starts from.

Consumes the `Trigger`s a deployment reader found for a function (S3 buckets, SQS queues, SNS
topics, Kinesis/DynamoDB streams) and produces the value of the handler's first parameter: the
fields of each event's records that name the resource (``Records[].s3.bucket.name``,
``Records[].eventSourceARN``, ``Records[].Sns.TopicArn``) hold the names the template gives;
the fields the caller fills at run time (an object key, a message body) are unknown, and say so.
Record shapes: https://docs.aws.amazon.com/lambda/latest/dg/with-s3.html (and with-sqs,
with-sns, with-kinesis, with-ddb).
"""

from __future__ import annotations

from collections.abc import Iterable

from policygen.model import Text, Trigger
from policygen.resolve.values import DictV, SeqV, Str, Value, Values, one, union, unknown


def _entries(**fields: Values) -> DictV:
    return DictV(tuple((Str(Text.of(name)), values) for name, values in fields.items()), complete=False)


def _names(texts: Iterable[Text]) -> Values:
    return frozenset(Str(t) for t in texts)


def _run_time(kind: str, *fields: str, prefix: str = "") -> dict[str, Values]:
    """Fields whose values only the invocation knows, each saying which field it is."""
    return {f: unknown(f"the {kind} event's {prefix}{f}, known only at run time") for f in fields}


def _record(trigger: Trigger, partition: str) -> Value | None:
    names = _names(trigger.names)
    kind = trigger.kind
    source = one(Str(Text.of(f"aws:{kind}")))
    if kind == "s3":
        arns = _names(Text.join(f"arn:{partition}:s3:::", t) for t in trigger.names)
        bucket = _entries(name=names, arn=arns)
        fields = _run_time("S3", "key", "size", "eTag", "versionId", prefix="object ")
        if trigger.keys:  # the notification's filter: only keys of this shape arrive
            fields["key"] = _names(trigger.keys)
        s3_object = _entries(**fields)
        return _entries(
            eventSource=source,
            s3=one(_entries(bucket=one(bucket), object=one(s3_object))),
            **_run_time("S3", "eventName", "eventTime"),
        )
    if kind == "sqs":
        sqs_fields = ("messageId", "receiptHandle", "body", "attributes", "messageAttributes", "md5OfBody")
        return _entries(eventSource=source, eventSourceARN=names, **_run_time("SQS", *sqs_fields))
    if kind == "sns":
        sns_fields = ("Message", "MessageId", "Subject", "MessageAttributes", "Timestamp")
        message = _entries(TopicArn=names, **_run_time("SNS", *sns_fields, prefix="Sns "))
        return _entries(EventSource=source, Sns=one(message))
    if kind in ("kinesis", "dynamodb"):
        inner = ("data", "partitionKey", "sequenceNumber") if kind == "kinesis" else (
            "Keys", "NewImage", "OldImage", "SequenceNumber"
        )  # fmt: skip
        return _entries(
            eventSource=source,
            eventSourceARN=names,
            **{kind: one(_entries(**_run_time(kind, *inner, prefix=f"{kind} ")))},
            **_run_time(kind, "eventID", "eventName"),
        )
    return None


def _pattern_event(fields: Iterable[tuple[tuple[str, ...], tuple[Text, ...]]]) -> DictV:
    """An EventBridge event with the fields its rule's pattern fixes (the rest unknown)."""
    tree: dict[str, object] = {}
    for path, names in fields:
        node = tree
        for key in path[:-1]:
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node[path[-1]] = names

    def build(node: dict[str, object]) -> DictV:
        entries: dict[str, Values] = {}
        for key, value in node.items():
            entries[key] = one(build(value)) if isinstance(value, dict) else _names(value)  # type: ignore[arg-type]
        return _entries(**entries)

    return build(tree)


def event_value(triggers: Iterable[Trigger], partition: str = "aws") -> Values | None:
    """The ``event`` a handler invoked by ``triggers`` receives, or None if none is modelled."""
    triggers = tuple(triggers)
    records = [r for r in (_record(t, partition) for t in triggers) if r is not None]
    events: list[Values] = [
        one(_pattern_event(t.fields)) for t in triggers if t.kind == "eventbridge" and t.fields
    ]
    if records:
        events.append(one(_entries(Records=one(SeqV((union(*(one(r) for r in records)),))))))
    return union(*events) if events else None
