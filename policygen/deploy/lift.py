"""serverless-lift ``constructs:`` in a ``serverless.yml``: the functions and names they add.

Lift (https://github.com/getlift/lift) turns each construct into CloudFormation at deploy time.
What matters for a function's role, as Lift's sources do it:
- ``type: queue``: an SQS queue named ``<stack>-<id>`` (``.fifo`` when ``fifo: true``) and a
  dead-letter queue ``<stack>-<id>-dlq``; its ``worker`` is a function ``<id>Worker`` (or the
  function a string ``worker`` names) subscribed to the queue, so Lambda polls the queue with the
  function's role. Lift grants every function ``sqs:SendMessage`` and
  ``sqs:ChangeMessageVisibility`` on the queue.
- ``type: storage``: an S3 bucket whose name CloudFormation generates; Lift grants every function
  object access on it.
- ``type: webhook``: an EventBridge bus whose name is generated; no function of its own.
``${construct:<id>.<property>}`` variables (``queueUrl``, ``queueArn``, ``dlqUrl``, ``dlqArn``,
``bucketName``, ``busName``) resolve to these names, partly unknown where the name is generated.
Other construct types declare no function; their variables are left open, and said so.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from policygen.model import Hole, Target, Text

STORAGE_ACTIONS = (
    "s3:PutObject",
    "s3:GetObject",
    "s3:DeleteObject",
    "s3:ListBucket",
    "s3:GetObjectAcl",
    "s3:PutObjectAcl",
)


@dataclass
class Constructs:
    functions: dict[str, Any] = field(default_factory=dict)  # worker functions Lift adds
    worker_events: dict[str, list[Any]] = field(default_factory=dict)  # events added to existing functions
    statements: list[dict[str, Any]] = field(default_factory=list)  # what Lift grants every function
    notes: tuple[str, ...] = ()
    generated: set[str] = field(default_factory=set)  # known starts of the names CloudFormation generates


class Lift:
    """The constructs of one service, named as Lift names them in stack ``stack``."""

    def __init__(self, constructs: Any, stack: Text, target: Target, label: str) -> None:
        self.constructs = constructs if isinstance(constructs, dict) else {}
        self.stack = stack
        self.target = target
        self.label = label

    def _region_account(self) -> tuple[Text, Text]:
        region = Text.of(self.target.region) if self.target.region != "*" else Text.unknown("the region")
        account = Text.of(self.target.account) if self.target.account != "*" else Text.unknown("the account")
        return region, account

    def _arn(self, service: str, name: Text) -> Text:
        region, account = self._region_account()
        return Text.join(f"arn:{self.target.partition}:{service}:", region, ":", account, ":", name)

    def _url(self, name: Text) -> Text:
        region, account = self._region_account()
        return Text.join("https://sqs.", region, ".amazonaws.com/", account, "/", name)

    def _queue_names(self, key: str, config: Any) -> tuple[Text, Text]:
        fifo = isinstance(config, dict) and config.get("fifo") is True
        base = Text.join(self.stack, f"-{key}")
        return Text.join(base, ".fifo" if fifo else ""), Text.join(base, "-dlq.fifo" if fifo else "-dlq")

    def _bucket_name(self, key: str) -> Text:
        stack = Text(tuple(p.lower() if isinstance(p, str) else p for p in self.stack.parts))
        hole = Hole(f"the suffix CloudFormation generates for Lift's storage bucket {key}")
        return Text.join(stack, f"-{key.lower()}bucket", hole)

    def variable(self, address: str) -> Any:
        """``${construct:<address>}``."""
        key, _, prop = address.partition(".")
        config = self.constructs.get(key)
        written = f"${{construct:{address}}}"
        if not isinstance(config, dict):
            return Text((Hole(f"{written}: {self.label} declares no construct {key}"),))
        kind = config.get("type")
        if kind == "queue":
            queue, dlq = self._queue_names(key, config)
            values = {
                "queueUrl": self._url(queue),
                "queueArn": self._arn("sqs", queue),
                "dlqUrl": self._url(dlq),
                "dlqArn": self._arn("sqs", dlq),
            }
            if prop in values:
                return values[prop]
        if kind == "storage" and prop == "bucketName":
            return self._bucket_name(key)
        if kind == "webhook" and prop == "busName":
            return Text((Hole(f"{written}: the event bus name Lift's webhook {key} generates"),))
        return Text((Hole(f"{written}: a {kind} construct property policygen does not model"),))

    def read(self) -> Constructs:
        out = Constructs()
        skipped = []
        for key, config in self.constructs.items():
            if not isinstance(config, dict):
                continue
            kind = config.get("type")
            if kind == "queue":
                queue, _ = self._queue_names(key, config)
                queue_arn = self._arn("sqs", queue)
                event = {"sqs": {"arn": queue_arn}}
                worker = config.get("worker")
                if isinstance(worker, str):
                    out.worker_events.setdefault(worker, []).append(event)
                elif isinstance(worker, dict):
                    function = copy.copy(worker)
                    function["events"] = [*(worker.get("events") or []), event]
                    out.functions[f"{key}Worker"] = function
                out.statements.append(
                    {
                        "Effect": "Allow",
                        "Action": ["sqs:SendMessage", "sqs:ChangeMessageVisibility"],
                        "Resource": [queue_arn],
                    }
                )
            elif kind == "storage":
                bucket = Text.join(f"arn:{self.target.partition}:s3:::", self._bucket_name(key))
                out.generated.add(f"{(self.stack.known or '').lower()}-{key.lower()}bucket")
                out.statements.append(
                    {
                        "Effect": "Allow",
                        "Action": list(STORAGE_ACTIONS),
                        "Resource": [bucket, Text.join(bucket, "/*")],
                    }
                )
            elif kind != "webhook":
                skipped.append(f"{key} ({kind})")
        if skipped:
            out.notes = (
                f"{self.label}: Lift constructs {', '.join(skipped)} add no function; their resources and "
                "the permissions Lift grants for them are not modelled",
            )
        return out
