"""The judge: moto's IAM enforcement, made to speak IAM, with every decision recorded.

What moto 5 (5.2.x) enforces on its own, found by reading `moto/core/authorization.py`,
`moto/iam/access_control.py` and by the probes in `test_judge.py`:

- Switch: `moto.core.enable_iam_authentication()` / `disable_iam_authentication()` (context
  managers; `moto.core.set_initial_no_auth_action_count(n)` is the older decorator form and
  `INITIAL_NO_AUTH_ACTION_COUNT` the environment variable behind both). Fixtures are created with
  enforcement off, the handler runs with it on.
- ACTIONS: every request to a service whose responses go through moto's common dispatch is checked
  (`test_moto_alone_denies_an_ungranted_action_of_every_service_used`),
  i.e. every service the runtime cases use (s3, dynamodb, sqs, sns, lambda, kms, secretsmanager,
  ssm, ses/sesv2, events, states, kinesis, firehose, athena, sts, iam, ec2, cloudwatch...). The action
  moto checks is `<signing name>:<API operation name>`, which is not always the IAM action:
  `lambda:Invoke` (IAM: `lambda:InvokeFunction`), `monitoring:PutMetricData` (`cloudwatch:`),
  `s3:HeadBucket` (`s3:ListBucket`), `sqs:DeleteMessageBatch` (`sqs:DeleteMessage`),
  `dynamodb:TransactWriteItems` (one action per item).
- RESOURCES: only S3 (bucket ARN, or `bucket/key` for object requests; DeleteObjects is checked as
  `s3:DeleteObject` on the bucket), SQS (the queue ARN, for requests that carry a QueueUrl), IAM
  role requests and `sts:AssumeRole` (the role ARN). Every other request is checked against the
  resource `*`, which no ARN-scoped statement matches: a correct scoped policy would be denied.
- CONDITIONS: not evaluated for identity policies (no request context is passed; a `Condition`
  block is treated as satisfied). `kms:ViaService`, `kms:RequestAlias`... are never judged.
- Signatures: moto recomputes SigV4 and gets it wrong for some REST requests (Lambda with a
  query string, `GetFunction`, EventBridge Scheduler), answering SignatureDoesNotMatch. Signatures
  say nothing about the policy; the judge skips that check.
- Side actions AWS performs with the caller's credentials (S3 reading through KMS, Athena reading
  Glue and S3, CopyObject reading its source) are not simulated by moto (the judge adds the last).

What the judge adds (each piece proven by a test in `test_judge.py` that a wrong grant is denied):

- the IAM name of the action (the table `ACTION_ALIASES`, and one action per transaction item);
- the resource, for services where moto passes `*`: `RESOLVERS` read the request the way AWS
  authorizes it (DynamoDB table/index per item, SNS topic, SSM parameter, Secrets Manager secret ARN
  from moto's store, Lambda function with its qualifier, KMS key behind an alias, SES identity from
  `Source`/`FromEmailAddress`, EventBridge bus per entry, Step Functions, Kinesis, Firehose,
  Bedrock foundation model or inference profile, EC2 instances and volumes being tagged);
- the source read of an S3 copy (CopyObject, UploadPartCopy): `s3:GetObject` (or
  `s3:GetObjectVersion`) on the object named by the `x-amz-copy-source` header;
- where no resolver knows the resource, the request is judged on its action alone (every statement's
  resource read as `*`), and the check is recorded as `resource_judged=False` so that ablations of
  one resource of such an action are counted as "not judged", never as passed.

- the statement matcher: moto turns an IAM pattern into a regular expression by replacing `*`
  alone, so `?` (Secrets Manager's `secret:name-??????`) raises "multiple repeat" and `.` or `$`
  match wrongly. The judge matches `*` and `?` as IAM does, Deny before Allow, NotAction and
  NotResource included; conditions are read as satisfied, like moto.

Every check (action, resource, allowed) is recorded in `Judge.checks`, including denials that the
handler swallowed (`except ClientError`) and those moto turns into per-key errors (DeleteObjects).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, unquote, urlparse

from moto.iam import access_control

ACTION_ALIASES = {
    "lambda:Invoke": "lambda:InvokeFunction",
    "s3:HeadBucket": "s3:ListBucket",
    # batch requests are authorized as their single-item action (SQS and SNS API references)
    "sqs:DeleteMessageBatch": "sqs:DeleteMessage",
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
    "sns:PublishBatch": "sns:Publish",
}
SERVICE_ALIASES = {"monitoring": "cloudwatch"}
TRANSACT_ITEM_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}
UNRESOLVED = "*"


@dataclass(frozen=True)
class Check:
    """One authorization decision: the IAM action, the resource it was judged on, the answer."""

    action: str
    resource: str
    allowed: bool

    @property
    def resource_judged(self) -> bool:
        return self.resource != UNRESOLVED


@dataclass
class Judge:
    checks: list[Check] = field(default_factory=list)

    @property
    def denials(self) -> list[Check]:
        return [check for check in self.checks if not check.allowed]


class Request:
    """What a resolver may read of one request: its parameters, path, region and account."""

    def __init__(self, iam_request: Any) -> None:
        self.region: str = iam_request._region
        self.account: str = iam_request.account_id
        self.path: str = iam_request._path
        self.data: dict[str, Any] = dict(iam_request._data or {})
        self._body: bytes | str | None = iam_request._body

    def json(self) -> dict[str, Any]:
        body = self._body
        if not body:
            return {}
        try:
            loaded = json.loads(body)
        except ValueError:
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def param(self, name: str) -> str | None:
        value = self.data.get(name)
        if isinstance(value, list):
            return str(value[0]) if value else None
        return str(value) if value is not None else None

    def arn(self, service: str, rest: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account}:{rest}"


Resolver = Callable[[Request, str], list[tuple[str, str]]]


def _dynamodb(request: Request, action: str) -> list[tuple[str, str]]:
    body = request.json()

    def table(name: str) -> str:
        return name if name.startswith("arn:") else request.arn("dynamodb", f"table/{name}")

    if "TransactItems" in body:
        found = []
        for item in body["TransactItems"]:
            for kind, detail in item.items():
                found.append((f"dynamodb:{TRANSACT_ITEM_ACTIONS[kind]}", table(detail["TableName"])))
        return found
    if "RequestItems" in body:
        return [(action, table(name)) for name in body["RequestItems"]]
    if "TableName" in body:
        arn = table(body["TableName"])
        if body.get("IndexName"):
            arn += f"/index/{body['IndexName']}"
        return [(action, arn)]
    return []


def _sns(request: Request, action: str) -> list[tuple[str, str]]:
    topic = request.param("TopicArn") or request.param("TargetArn")
    return [(action, topic)] if topic else []


def _ssm(request: Request, action: str) -> list[tuple[str, str]]:
    body = request.json()
    names = body.get("Names") or [body[key] for key in ("Name", "Path") if key in body]
    return [(action, request.arn("ssm", "parameter" + (n if n.startswith("/") else "/" + n))) for n in names]


def _secretsmanager(request: Request, action: str) -> list[tuple[str, str]]:
    from moto.secretsmanager.models import secretsmanager_backends

    secret_id = request.json().get("SecretId")
    if not secret_id:
        return []
    secret = secretsmanager_backends[request.account][request.region].secrets.get(secret_id)
    return [(action, secret.arn)] if secret is not None else []


def _lambda(request: Request, action: str) -> list[tuple[str, str]]:
    url = urlparse(request.path)
    parts = url.path.split("/")
    if "functions" not in parts or parts.index("functions") + 1 >= len(parts):
        return []
    name = unquote(parts[parts.index("functions") + 1])
    qualifier = parse_qs(url.query).get("Qualifier", [None])[0]
    if name.startswith("arn:"):
        arn = name
    else:
        name, _, inline = name.partition(":")
        qualifier = qualifier or inline or None
        arn = request.arn("lambda", f"function:{name}")
    if qualifier and arn.count(":") == 6:
        arn += f":{qualifier}"
    return [(action, arn)]


def _kms(request: Request, action: str) -> list[tuple[str, str]]:
    from moto.kms.models import kms_backends

    key = request.json().get("KeyId")
    if not key:
        return []
    try:
        key_id = kms_backends[request.account][request.region].any_id_to_key_id(key)
    except Exception:  # an unknown alias: the call fails anyway, judge the action only
        return []
    return [(action, request.arn("kms", f"key/{key_id}"))]


def _ses(request: Request, action: str) -> list[tuple[str, str]]:
    from moto.ses.models import ses_backends

    body = request.json()
    source = request.param("Source") or body.get("FromEmailAddress")
    if not source:
        return []
    _, address = parseaddr(source)
    verified = ses_backends[request.account][request.region].email_identities
    identity = address if address in verified or "@" not in address else address.split("@", 1)[1]
    found = [(action, request.arn("ses", f"identity/{identity}"))]
    config_set = request.param("ConfigurationSetName") or body.get("ConfigurationSetName")
    if config_set:
        found.append((action, request.arn("ses", f"configuration-set/{config_set}")))
    return found


def _events(request: Request, action: str) -> list[tuple[str, str]]:
    entries = request.json().get("Entries")
    if action != "events:PutEvents" or not entries:
        return []
    buses = sorted({entry.get("EventBusName") or "default" for entry in entries})
    return [(action, bus if bus.startswith("arn:") else request.arn("events", f"event-bus/{bus}")) for bus in buses]


def _states(request: Request, action: str) -> list[tuple[str, str]]:
    body = request.json()
    arn = body.get("stateMachineArn") or body.get("executionArn")
    return [(action, arn)] if arn else []


def _kinesis(request: Request, action: str) -> list[tuple[str, str]]:
    body = request.json()
    if body.get("StreamARN"):
        return [(action, body["StreamARN"])]
    return [(action, request.arn("kinesis", f"stream/{body['StreamName']}"))] if "StreamName" in body else []


def _firehose(request: Request, action: str) -> list[tuple[str, str]]:
    name = request.json().get("DeliveryStreamName")
    return [(action, request.arn("firehose", f"deliverystream/{name}"))] if name else []


def _bedrock(request: Request, action: str) -> list[tuple[str, str]]:
    parts = urlparse(request.path).path.split("/")
    if "model" not in parts or parts.index("model") + 1 >= len(parts):
        return []
    model = unquote(parts[parts.index("model") + 1])
    if model.startswith("arn:"):
        return [(action, model)]
    if model.split(".", 1)[0] in {"us", "eu", "apac", "global"}:  # a system-defined inference profile
        return [(action, request.arn("bedrock", f"inference-profile/{model}"))]
    return [(action, f"arn:aws:bedrock:{request.region}::foundation-model/{model}")]


EC2_TYPES = {"i": "instance", "vol": "volume", "sg": "security-group", "vpc": "vpc", "subnet": "subnet"}


def _ec2(request: Request, action: str) -> list[tuple[str, str]]:
    if action not in {"ec2:CreateTags", "ec2:DeleteTags"}:
        return []
    found = []
    for key in sorted(k for k in request.data if k.startswith("ResourceId.")):
        resource = request.param(key) or ""
        kind = EC2_TYPES.get(resource.split("-", 1)[0])
        found.append((action, request.arn("ec2", f"{kind}/{resource}") if kind else UNRESOLVED))
    return found


RESOLVERS: dict[str, Resolver] = {
    "bedrock": _bedrock,
    "ec2": _ec2,
    "dynamodb": _dynamodb,
    "sns": _sns,
    "ssm": _ssm,
    "secretsmanager": _secretsmanager,
    "lambda": _lambda,
    "kms": _kms,
    "ses": _ses,
    "events": _events,
    "states": _states,
    "kinesis": _kinesis,
    "firehose": _firehose,
}


def _s3_delete_objects(request: Request, bucket_arn: str) -> list[tuple[str, str]]:
    body = request._body.decode() if isinstance(request._body, bytes) else (request._body or "")
    keys = re.findall(r"<Key>(.*?)</Key>", body)
    return [("s3:DeleteObject", f"{bucket_arn}/{key}") for key in keys]


def _s3_copy_source(iam_request: Any) -> list[tuple[str, str]]:
    """CopyObject and UploadPartCopy also read their source (``x-amz-copy-source: bucket/key``,
    URL-encoded, with ``?versionId=`` for a version): S3 authorizes that read as the caller."""
    headers = {str(k).lower(): v for k, v in dict(getattr(iam_request, "_headers", None) or {}).items()}
    source = headers.get("x-amz-copy-source")
    if not source:
        return []
    path, _, query = str(source).lstrip("/").partition("?")
    action = "s3:GetObjectVersion" if "versionId=" in query else "s3:GetObject"
    return [(action, f"arn:aws:s3:::{unquote(path)}")]


def requests_for(iam_request: Any, moto_action: str, resource: str) -> list[tuple[str, str]]:
    """The (IAM action, resource) pairs AWS would authorize for the request moto is checking."""
    service, _, operation = moto_action.partition(":")
    service = SERVICE_ALIASES.get(service, service)
    action = ACTION_ALIASES.get(f"{service}:{operation}", f"{service}:{operation}")
    request = Request(iam_request)
    if resource != UNRESOLVED:
        if action == "s3:DeleteObject" and "/" not in resource.split(":::", 1)[-1]:
            return _s3_delete_objects(request, resource) or [(action, resource)]
        if service == "s3":
            return [(action, resource), *_s3_copy_source(iam_request)]
        return [(action, resource)]
    resolver = RESOLVERS.get(service)
    return (resolver(request, action) if resolver else []) or [(action, UNRESOLVED)]


def _matches(pattern: str, value: str, *, fold: bool) -> bool:
    """IAM's wildcards: `*` any run of characters, `?` one character; nothing else is special."""
    if fold:
        pattern, value = pattern.lower(), value.lower()
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _applies(statement: Mapping[str, Any], action: str, resource: str) -> bool:
    if "NotAction" in statement:
        action_hit = not any(_matches(p, action, fold=True) for p in _listed(statement["NotAction"]))
    else:
        action_hit = any(_matches(p, action, fold=True) for p in _listed(statement.get("Action")))
    if not action_hit:
        return False
    if resource == UNRESOLVED:  # moto cannot name the resource: judge the action alone
        return True
    if "NotResource" in statement:
        return not any(_matches(p, resource, fold=False) for p in _listed(statement["NotResource"]))
    return any(_matches(p, resource, fold=False) for p in _listed(statement.get("Resource")))


def allowed(policies: list[Any], action: str, resource: str) -> bool:
    """AWS's evaluation for identity policies: an explicit deny wins, then any allow; else denied.

    Conditions are read as satisfied, as moto reads them (it has no request context to test them
    against): a grant held to a condition is judged on its action and resource only.
    """
    permitted = False
    for policy in policies:
        document = json.loads(policy) if isinstance(policy, str) else _document(policy)
        statements = document["Statement"]
        for statement in statements if isinstance(statements, list) else [statements]:
            if _applies(statement, action, resource):
                if statement["Effect"] == "Deny":
                    return False
                permitted = True
    return permitted


def _document(policy: Any) -> dict[str, Any]:
    return dict(access_control.IAMPolicy(policy)._policy_json)


@contextlib.contextmanager
def judging() -> Iterator[Judge]:
    """Replace moto's per-request permission check by the judge for the duration of the block."""
    judge = Judge()

    def check(iam_request: Any, resource: str) -> None:
        if iam_request._action == "sts:GetCallerIdentity":  # AWS allows it whatever the policy says
            return
        policies = iam_request._access_key.collect_policies()
        for action, arn in requests_for(iam_request, iam_request._action, resource):
            verdict = allowed(policies, action, arn)
            judge.checks.append(Check(action, arn, verdict))
            if not verdict:
                iam_request._action = action
                iam_request._raise_access_denied()

    with (
        mock.patch.object(access_control.IAMRequestBase, "check_action_permitted", check),
        mock.patch.object(access_control.IAMRequestBase, "check_signature", lambda self: None),
    ):
        yield judge
