"""The values that flow between pipeline stages.

discover -> extract -> resolve -> map -> evidence -> scope -> synthesize -> render

Every stage consumes and produces these frozen dataclasses; nothing passes bare dicts. A
`Permission` always carries the `Evidence` that justifies it: a source location today, a
CloudTrail event or a deployment template line as those readers arrive.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, NewType

if TYPE_CHECKING:  # the policy model builds on these types; a FunctionSpec only holds one
    from policygen.policy.document import PolicyDocument

Action = NewType("Action", str)  # "s3:GetObject"
Arn = NewType("Arn", str)  # "arn:aws:s3:::bucket/*" or "*"


@dataclass(frozen=True, order=True)
class Location:
    """Where a piece of evidence, a widening or an unresolved item is: a value, never a string to
    parse back. Three shapes, one type (so they sort together):

    - a source position: ``path`` as the user finds the file (``handler.py``,
      ``dist/fn.zip!/app.py``), ``line`` and ``column`` (1-based; 0: not known);
    - a deployment-file position: the template's ``path`` and ``line`` (the evidence's kind,
      `EvidenceKind.DEPLOYMENT`, says it is a template);
    - an event: ``event_id`` (a CloudTrail ``eventID``, a recorded call's id) and its ``time``
      (ISO 8601, UTC); ``path`` is the file the event was read from (``line`` 0 when unknown).

    SARIF, Markdown and the terminal each format it their own way; `str` is the terminal's.
    """

    path: str
    line: int = 0
    column: int = 0
    event_id: str = ""
    time: str = ""

    @staticmethod
    def event(path: str, event_id: str, time: str = "", line: int = 0) -> Location:
        return Location(path, line, 0, event_id, time)

    @property
    def is_event(self) -> bool:
        return bool(self.event_id)

    def __str__(self) -> str:
        if self.event_id:
            where = f"{self.path}:{self.line}" if self.line else self.path
            when = f" at {self.time}" if self.time else ""
            return f"{where} event {self.event_id}{when}" if where else f"event {self.event_id}{when}"
        return f"{self.path}:{self.line}:{self.column}" if self.column else f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Hole:
    """The unknown part of a partially known string, and why it is unknown."""

    reason: str


@dataclass(frozen=True)
class Text:
    """A string value whose parts are known text or `Hole`s: ``f"orders/{oid}.json"``."""

    parts: tuple[str | Hole, ...]

    @property
    def known(self) -> str | None:
        if all(isinstance(p, str) for p in self.parts):
            return "".join(p for p in self.parts if isinstance(p, str))
        return None

    @property
    def holes(self) -> tuple[Hole, ...]:
        return tuple(p for p in self.parts if isinstance(p, Hole))

    @property
    def reasons(self) -> str:
        """Why the unknown parts are unknown, as a reader sees them (empty when all is known)."""
        return "; ".join(h.reason for h in self.holes)

    def pattern(self, wildcard: str = "*") -> str:
        """IAM pattern: known text with IAM's wildcard characters escaped away, holes as ``*``."""
        out = []
        for part in self.parts:
            out.append(wildcard if isinstance(part, Hole) else part)
        text = "".join(out)
        while wildcard + wildcard in text:
            text = text.replace(wildcard + wildcard, wildcard)
        return text

    def __str__(self) -> str:
        return "".join(p if isinstance(p, str) else "{" + p.reason + "}" for p in self.parts)

    @staticmethod
    def of(value: str) -> Text:
        return Text((value,))

    @staticmethod
    def join(*pieces: Text | str | Hole) -> Text:
        """Pieces one after another, adjacent known text merged, empty text dropped."""
        parts: list[str | Hole] = []
        for piece in pieces:
            for part in piece.parts if isinstance(piece, Text) else (piece,):
                if part == "":
                    continue
                if parts and isinstance(part, str) and isinstance(parts[-1], str):
                    parts[-1] += part
                else:
                    parts.append(part)
        return Text(tuple(parts))

    @staticmethod
    def unknown(reason: str) -> Text:
        return Text((Hole(reason),))


class CallKind(enum.Enum):
    CLIENT = "client"
    RESOURCE = "resource"
    PAGINATOR = "paginator"
    WAITER = "waiter"
    TRANSFER = "transfer"
    PRESIGNED = "presigned-url"
    WRAPPER = "wrapper"  # made by a library for the code (mappings/wrappers.yaml)
    SIGNED_HTTP = "signed-http"  # an HTTP request SigV4-signed for a service: service is the signing name


@dataclass(frozen=True)
class Argument:
    """One keyword argument of an SDK call: each value it may take (strings, or nested mappings
    flattened to the few shapes mapping needs)."""

    name: str
    values: tuple[ArgValue, ...]


@dataclass(frozen=True)
class DictValue:
    """A dict argument: known keys with their possible values; ``complete`` if no key is unknown."""

    items: tuple[tuple[Text, tuple[ArgValue, ...]], ...]
    complete: bool


ArgValue = Text | DictValue


@dataclass(frozen=True)
class SdkCall:
    """One AWS API call the code can make, as the resolver pinned it down."""

    service: str  # boto3 client name: "s3", "stepfunctions"
    method: str  # client method: "get_object"
    arguments: tuple[Argument, ...]
    location: Location
    kind: CallKind = CallKind.CLIENT
    region: Text | None = None
    reachable: bool = True
    note: str = ""  # how it was reached, e.g. "Bucket.upload_file" or "paginator list_objects_v2"
    # Made with other credentials (a role the code assumes, keys from a secret): whose. None: the
    # function's own role. Such calls belong in that principal's policy, not the function's.
    principal: str | None = None
    # The method name was computed at run time and can be any of these (each is its own call,
    # granted, and reported as a widening): ``getattr(s3, f"{mode}_object")``, mode "get" or "put".
    computed_from: tuple[str, ...] = ()

    def argument(self, name: str) -> Argument | None:
        for argument in self.arguments:
            if argument.name == name:
                return argument
        return None

    @property
    def label(self) -> str:
        return f"{self.service}.{self.method}"


@dataclass(frozen=True)
class Unresolved:
    """Something the analysis saw but could not pin down. Never dropped: always shown."""

    reason: str
    location: Location
    detail: str = ""


@dataclass(frozen=True)
class FileError:
    """A source file that could not be analysed at all; the rest of the run went on."""

    path: str
    line: int
    message: str
    column: int = 0  # 1-based; 0 when not known

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.column}" if self.column else f"{self.path}:{self.line}"
        return f"{where}: {self.message}"


class EvidenceKind(enum.Enum):
    """Which evidence source found a permission (`policygen.evidence`)."""

    CODE = "code"  # the function's code, read statically
    DEPLOYMENT = "deployment"  # what the Lambda service does with the role, from the deployment file
    CLOUDTRAIL = "cloudtrail"  # calls the role made, from CloudTrail events
    RECORDED = "recorded"  # calls recorded while the function ran (tests, a staging run)


@dataclass(frozen=True)
class Evidence:
    """Why one permission is needed: which source saw it, where, and what (``s3.get_object``,
    ``Lambda writes the function's logs``, the event name)."""

    kind: EvidenceKind
    location: Location
    detail: str

    @property
    def source(self) -> str:
        """The location as the terminal shows it: ``handler.py:12``, ``template.yaml:40``."""
        return str(self.location)

    def sort_key(self) -> tuple[str, str, str]:
        return (str(self.location), self.detail, self.kind.value)

    def __lt__(self, other: Evidence) -> bool:
        return self.sort_key() < other.sort_key()

    def __str__(self) -> str:
        return f"{self.source} ({self.detail})"


@dataclass(frozen=True, order=True)
class Widening:
    """A place where the grant is wider than the code's exact need, and why."""

    action: Action
    resource: Arn
    reason: str
    location: Location


@dataclass(frozen=True, order=True)
class Condition:
    operator: str  # "StringEquals"
    key: str  # "cloudwatch:namespace"
    values: tuple[str, ...]


@dataclass(frozen=True)
class Permission:
    """One action on one resource pattern, with every piece of evidence that needs it."""

    action: Action
    resource: Arn
    conditions: tuple[Condition, ...] = ()
    evidence: tuple[Evidence, ...] = ()


class Only(enum.StrEnum):
    """Which permissions a policy made with access history grants (``generate --only``)."""

    BOTH = "both"  # the union: what the code needs and what the trail shows
    OBSERVED = "observed"  # only what the trail shows the role used
    CODE = "code"  # only what the code (and the deployment) needs; observed-only ones reported


class HistoryLabel(enum.StrEnum):
    """How a function's access history bears on one permission."""

    BOTH = "in-code-and-observed"
    NEVER_OBSERVED = "in-code-never-observed"  # a rare path, dead code, or a call the trail does not log
    OBSERVED_ONLY = "observed-only"  # code the analysis could not pin down, or a path it does not see


@dataclass(frozen=True, order=True)
class History:
    """How the trail bears on the permission ``action`` on ``resource``: ``label``, and ``why``
    (which reason it is, for a permission never observed; what it explains, for one observed
    only); ``explains``: the code's unresolved or widened calls an observed-only one accounts for."""

    action: Action
    resource: Arn
    label: HistoryLabel
    why: str
    explains: tuple[Location, ...] = ()


@dataclass(frozen=True)
class Statement:
    sid: str
    actions: tuple[Action, ...]
    resources: tuple[Arn, ...]
    conditions: tuple[Condition, ...] = ()
    effect: str = "Allow"


@dataclass(frozen=True)
class Policy:
    statements: tuple[Statement, ...]
    version: str = "2012-10-17"


@dataclass(frozen=True)
class Target:
    """Where the resource ARNs live: partition, region and account of the deployment."""

    partition: str = "aws"
    region: str = "*"
    account: str = "*"


@dataclass(frozen=True, order=True)
class Excluded:
    """A file or folder under the code directory that is not the function's code (tests, build
    and virtualenv output), with why."""

    path: str  # relative to the code directory; a folder ends with "/"
    reason: str


@dataclass(frozen=True)
class Analysis:
    """What the static stages found in one code directory."""

    root: str
    handler: str | None
    calls: tuple[SdkCall, ...]
    unresolved: tuple[Unresolved, ...]
    errors: tuple[FileError, ...]
    files: int
    lines: int
    excluded: tuple[Excluded, ...] = ()
    # Set when the code calls AWS but the policy grants none of it: why, and what to do.
    empty_policy: str | None = None


@dataclass(frozen=True)
class OtherPrincipal:
    """Calls the code makes as another principal (a role it assumes, keys it was given), and the
    policy that principal needs for them. None of it is in the function's own policy."""

    principal: str  # the role ARN (pattern), or "other credentials"
    calls: tuple[SdkCall, ...]
    policy: Policy
    permissions: tuple[Permission, ...]
    widenings: tuple[Widening, ...]


@dataclass(frozen=True, order=True)
class RecordedMatch:
    """A gap of the static analysis (a call it left unresolved, a resource it widened) at a call
    site where the user's recorded tests made calls (``generate --observed``): what they made there."""

    kind: str  # "unresolved" or "widened"
    location: Location
    what: str  # the unresolved reason, or "<action> on <widened ARN>"
    observed: tuple[tuple[str, str], ...]  # (action, resource) the recording saw at that call site


@dataclass(frozen=True)
class Result:
    """The whole outcome of `policygen.generate`."""

    analysis: Analysis
    policy: Policy
    permissions: tuple[Permission, ...]
    widenings: tuple[Widening, ...]
    unresolved: tuple[Unresolved, ...]
    unreachable: tuple[SdkCall, ...]
    target: Target
    errors: tuple[FileError, ...] = ()  # inputs no evidence source could read (the code's among them)
    # `policy` as IAM takes it: one document, or several when it had to be split to fit IAM's size
    # limits (`policygen.fit`), with what fitting did.
    documents: tuple[Policy, ...] = ()
    fit_notes: tuple[str, ...] = ()
    other_principals: tuple[OtherPrincipal, ...] = ()  # calls made with other credentials
    # with access history (CloudTrail): how the trail bears on each permission, and why
    history: tuple[History, ...] = ()
    recorded_matches: tuple[RecordedMatch, ...] = ()  # static gaps the recorded tests resolved

    @property
    def clean(self) -> bool:
        return not self.unresolved and not self.errors


@dataclass(frozen=True)
class EventSource:
    """An event source mapping: a queue or stream Lambda polls with the function's role."""

    kind: str  # sqs, kinesis, dynamodb, msk
    arns: tuple[Text, ...]
    source: Location  # where the deployment file declares it
    name: str


@dataclass(frozen=True)
class Destination:
    """Where Lambda sends an invocation's outcome (dead-letter queue, on-failure destination)."""

    kind: str  # sqs, sns, lambda, eventbridge
    arns: tuple[Text, ...]
    name: str


@dataclass(frozen=True)
class FunctionConfig:
    """A function's configuration as its deployment file gives it: what the Lambda service itself
    does with the role follows from it."""

    name: Text
    source: Location  # where the deployment file declares the function
    vpc: bool = False
    tracing: bool = False
    event_sources: tuple[EventSource, ...] = ()
    destinations: tuple[Destination, ...] = ()
    kms_key: Text | None = None
    log_group: Text | None = None
    # the execution role's ARN, as far as the deployment file knows it (a generated role name
    # has holes); None: not known
    role_arn: Text | None = None


@dataclass(frozen=True)
class DeclaredPolicy:
    """A managed policy a deployment file attaches to a role, or sets as its permissions boundary:
    its document when the project defines it, else the ARN or name to look up among the AWS
    managed policies; ``unknown`` says why it can't be read at all (an ARN from a variable without
    a value, a policy from a data source)."""

    reference: str  # an ARN or name as the file gives it, or the logical id / address defining it
    document: PolicyDocument | None = None
    unknown: str | None = None
    where: str = ""  # file:line


@dataclass(frozen=True)
class FunctionSpec:
    """One function a deployment file declares, with what the deployment knows of it."""

    name: str  # logical id (SAM/CloudFormation), function key (Serverless), resource address (Terraform)
    code_dir: str  # relative to the project folder
    handler: str | None  # "module.function", as Lambda's handler setting
    environment: tuple[tuple[str, tuple[Text, ...]], ...]
    deployed: PolicyDocument | None  # the role's policy as the deployment file declares it, expanded
    kms_keys: tuple[str, ...]
    source: str  # "template.yaml:12"
    notes: tuple[str, ...] = ()
    role: str | None = None  # where the role is declared (logical id / address), for the renderers
    references: tuple[IacReference, ...] = ()  # names the deployment file can refer to symbolically
    managed_policies: tuple[
        str, ...
    ] = ()  # AWS managed policies on the role: names, paths or ARNs as written
    # Why the function's code is not analysed (another runtime, a container image, code that is
    # not in the repository); None: it is analysed. Such a function is listed, never dropped.
    skipped: str | None = None
    triggers: tuple[Trigger, ...] = ()  # what invokes it, with the resources that name the event's fields
    bundle: CodeBundle | None = (
        None  # the code, when it is not the folder code_dir (an archive, inline source)
    )
    error: str | None = None  # set: the reader could not read this function (file:line, what to do)
    # What the Lambda service does with the role (logs, pollers, ...) is derived from this by
    # `policygen.evidence.deployment`; None: the reader knows nothing of it.
    config: FunctionConfig | None = None
    boundary: DeclaredPolicy | None = None  # the role's permissions boundary as declared
    # Policies on the role the reader could not read: what, where and why (the comparison with
    # the declared role is then incomplete, and says so).
    unknown_policies: tuple[str, ...] = ()
    # Policies on the role IAM would reject (file:line: what): comparing with it is an input error.
    policy_errors: tuple[str, ...] = ()
    # The known starts of the physical names CloudFormation generates in its template
    # (``shop-Orders-``): compared with its role, the rest is one name (no '/').
    generated_names: tuple[str, ...] = ()

    @staticmethod
    def unreadable(name: str, source: str, error: str) -> FunctionSpec:
        """A function the deployment declares but its reader could not read: reported as that
        function's failure while the others are analysed."""
        return FunctionSpec(name, ".", None, (), None, (), source, error=error)


@dataclass(frozen=True)
class Trigger:
    """An event source as the handler's ``event`` shows it: ``s3`` with bucket names, ``sqs``
    with queue ARNs, ``sns`` with topic ARNs, ``kinesis``/``dynamodb`` with stream ARNs,
    ``eventbridge`` with the fields its rule's pattern fixes."""

    kind: str
    names: tuple[Text, ...]
    keys: tuple[Text, ...] = ()  # s3: the object keys its filter lets through (prefix*suffix)
    # eventbridge: the fields its rule's pattern fixes, by path (("detail", "bucket", "name"), names)
    fields: tuple[tuple[tuple[str, ...], tuple[Text, ...]], ...] = ()


@dataclass(frozen=True)
class CodeFile:
    """One file of a function's package as Lambda unpacks it, and where a user finds it."""

    path: str  # inside the package: "handler.py", "orders/db.py"
    shown: str  # in evidence and errors: "build/lambda.zip!/handler.py", "main.tf:12!/index.py"
    data: bytes


@dataclass(frozen=True)
class CodeBundle:
    """A function's code that is not a plain folder: an archive's members, one file, or source
    written inline in a deployment file. Read by the deployment reader, bounded, in memory."""

    label: str  # "build/lambda.zip", "src/handler.py"
    files: tuple[CodeFile, ...]

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class IacReference:
    """A resource name as resolved (``orders-prod``, ``orders-EventsQueue-*``) and how the
    deployment file itself spells it (``${OrdersTable}``, ``aws_dynamodb_table.orders.name``)."""

    pattern: str
    expression: str
    service: str | None = None  # the ARN service the name belongs to; None: any (a parameter)
