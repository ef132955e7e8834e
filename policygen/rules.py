"""Map stage, second half: what a call needs beyond its own action.

`mapping.needs` answers from the generated data alone. The rules here read the call's arguments
for what the data cannot express: PartiQL statements and transaction items, S3 objects read by
Rekognition/Textract/Transcribe on the caller's behalf, SSE-KMS keys the code names or the
deployment declares (``--kms-key``), condition keys the code makes knowable, and roles passed in
ways a call does not show. Each rule names its source in its docstring.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace

from policygen import mapping
from policygen.mapping import Need, Unmapped
from policygen.model import Action, Argument, ArgValue, Condition, DictValue, Hole, SdkCall, Text, Unresolved


@dataclass(frozen=True)
class Requirement:
    """One action to grant, the call whose arguments scope it, and any conditions."""

    need: Need
    call: SdkCall
    conditions: tuple[Condition, ...] = ()


@dataclass
class Outcome:
    requirements: list[Requirement] = field(default_factory=list)
    notes: list[Unresolved] = field(default_factory=list)


@dataclass(frozen=True)
class ProgramContext:
    """What other calls of the same program tell about a call: the S3 locations the program's
    Athena queries write their results to (read back by GetQueryResults)."""

    athena_outputs: tuple[Text, ...] = ()


def program_context(calls: Iterable[SdkCall]) -> ProgramContext:
    outputs: list[Text] = []
    for call in calls:
        if call.service == "athena" and call.method == "start_query_execution":
            outputs.extend(v for v in _find(call.arguments, "OutputLocation") if isinstance(v, Text))
    return ProgramContext(tuple(dict.fromkeys(outputs)))


def requirements(
    call: SdkCall, kms_keys: tuple[str, ...] = (), region: str = "*", context: ProgramContext | None = None
) -> Outcome | Unmapped:
    found = mapping.entries(call)
    if isinstance(found, Unmapped):
        return found
    outcome = Outcome()
    for entry in found:
        if entry.rule:
            ruled = RULES[entry.rule](call, context or ProgramContext())
            outcome.requirements.extend(ruled.requirements)
            outcome.notes.extend(ruled.notes)
        if entry.hidden_pass_role:
            outcome.notes.append(
                Unresolved(
                    f"{call.label} passes IAM roles the call does not name (e.g. a task definition's roles): "
                    "grant iam:PassRole on them by hand",
                    call.location,
                    call.label,
                )
            )
    plain = mapping.needs(call, found)
    if isinstance(plain, Unmapped):
        return plain
    conditions = _condition_keys(call)
    outcome.requirements.extend(Requirement(n, call, conditions.get(n.action, ())) for n in plain)
    outcome.requirements.extend(_s3_reads_on_behalf(call))
    outcome.requirements.extend(_comprehend_text_extraction(call))
    outcome.requirements.extend(_sse_kms(call, kms_keys, region))
    outcome.requirements = [r for requirement in outcome.requirements for r in _kms_alias(requirement)]
    return outcome


def _spec(action: str, rtype: str | None = None, **bind: str) -> Need:
    resources = (mapping.ResourceOption(rtype, tuple(sorted(bind.items()))),) if rtype else ()
    return mapping.need(mapping.ActionEntry(Action(action), resources, "rule"))


def _with(call: SdkCall, **values: ArgValue) -> SdkCall:
    """A view of ``call`` whose arguments are exactly ``values`` (for scoping a derived need)."""
    return replace(call, arguments=tuple(Argument(k, (v,)) for k, v in sorted(values.items())))


def _items(value: ArgValue) -> Iterator[tuple[str | None, ArgValue]]:
    if isinstance(value, DictValue):
        for key, values in value.items:
            for v in values:
                yield key.known, v


def _get(value: ArgValue, key: str) -> ArgValue | None:
    for k, v in _items(value):
        if k == key:
            return v
    return None


# -- PartiQL ------------------------------------------------------------------------------------
_PARTIQL_VERBS = {
    "SELECT": "PartiQLSelect",
    "INSERT": "PartiQLInsert",
    "UPDATE": "PartiQLUpdate",
    "DELETE": "PartiQLDelete",
}
_PARTIQL_TABLE = re.compile(
    r'^\s*(?:SELECT\b.*?\bFROM|INSERT\s+INTO|UPDATE|DELETE\s+FROM|EXISTS\s*\(\s*SELECT\b.*?\bFROM)\s+"?([^\s".]+)"?(?:\."?([^\s"]+)"?)?',
    re.IGNORECASE | re.DOTALL,
)


def _statements(call: SdkCall) -> list[Text]:
    direct = call.argument("Statement")
    if direct is not None:
        return [v if isinstance(v, Text) else Text((Hole("a structured statement"),)) for v in direct.values]
    out: list[Text] = []
    for name in ("Statements", "TransactStatements"):
        argument = call.argument(name)
        for value in argument.values if argument else ():
            if not isinstance(value, DictValue) or not value.complete:
                out.append(Text((Hole(f"statements of {name} the analysis cannot see"),)))
            for _, item in _items(value):
                statement = _get(item, "Statement")
                out.append(statement if isinstance(statement, Text) else Text((Hole("a statement"),)))
    return out or [Text((Hole("no statement the analysis can see"),))]


def partiql(call: SdkCall) -> list[Requirement]:
    """ExecuteStatement and friends: the PartiQL action of each statement's verb, on its table.

    Source: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ql-iam.html
    """
    out = []
    for statement in _statements(call):
        text = statement.pattern()
        head = statement.parts[0] if statement.parts and isinstance(statement.parts[0], str) else ""
        verb = head.strip().split(None, 1)[0].upper() if head.strip() else ""
        verb = "SELECT" if verb == "EXISTS" else verb
        match = _PARTIQL_TABLE.match(text)
        if verb in _PARTIQL_VERBS and match:
            table = _pattern_text(match.group(1), "table name in a PartiQL statement")
            if match.group(2) and verb == "SELECT":
                index = _pattern_text(match.group(2), "index name in a PartiQL statement")
                need = _spec(
                    f"dynamodb:{_PARTIQL_VERBS[verb]}", "index", TableName="TableName", IndexName="IndexName"
                )
                out.append(Requirement(need, _with(call, TableName=table, IndexName=index)))
            else:
                need = _spec(f"dynamodb:{_PARTIQL_VERBS[verb]}", "table", TableName="TableName")
                out.append(Requirement(need, _with(call, TableName=table)))
            continue
        unknown = Text(
            (Hole(f"a PartiQL statement the analysis cannot read ({statement}); all four PartiQL actions"),)
        )
        for action in _PARTIQL_VERBS.values():
            out.append(
                Requirement(
                    _spec(f"dynamodb:{action}", "table", TableName="TableName"),
                    _with(call, TableName=unknown),
                )
            )
    return out


def _pattern_text(pattern: str, what: str) -> Text:
    parts: list[str | Hole] = []
    for index, piece in enumerate(pattern.split("*")):
        if index:
            parts.append(Hole(f"{what}, computed at run time"))
        if piece:
            parts.append(piece)
    return Text(tuple(parts))


# -- transactions -------------------------------------------------------------------------------
_TRANSACT = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


def transact(call: SdkCall) -> list[Requirement]:
    """TransactWriteItems/TransactGetItems: each item's own action on its table.

    Source: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
    """
    out = []
    argument = call.argument("TransactItems")
    seen_any = False
    for value in argument.values if argument else ():
        for _, item in _items(value):
            for kind, body in _items(item):
                if kind in _TRANSACT:
                    seen_any = True
                    table = _get(body, "TableName")
                    table_text = (
                        table if isinstance(table, Text) else Text((Hole("TableName of a transaction item"),))
                    )
                    need = _spec(f"dynamodb:{_TRANSACT[kind]}", "table", TableName="TableName")
                    out.append(Requirement(need, _with(call, TableName=table_text)))
        if not isinstance(value, DictValue) or not value.complete:
            seen_any = False
    if not seen_any:
        kinds = (
            ("Get",) if call.method == "transact_get_items" else ("Put", "Update", "Delete", "ConditionCheck")
        )
        hole = Text((Hole("transaction items the analysis cannot see; every item kind granted"),))
        for kind in kinds:
            out.append(
                Requirement(
                    _spec(f"dynamodb:{_TRANSACT[kind]}", "table", TableName="TableName"),
                    _with(call, TableName=hole),
                )
            )
    return out


# -- Athena -------------------------------------------------------------------------------------
_ATHENA_TABLE = re.compile(
    r"""\b(?:FROM|JOIN)\s+((?:"[^"]+"|`[^`]+`|[\w$*-]+)(?:\s*\.\s*(?:"[^"]+"|`[^`]+`|[\w$*-]+)){0,2})""",
    re.IGNORECASE,
)
_ATHENA_READS = ("SELECT", "WITH", "(", "SHOW", "DESCRIBE", "EXPLAIN")
_GLUE_READS = ("glue:GetDatabase", "glue:GetTable", "glue:GetPartitions")


def athena_query(call: SdkCall, _: ProgramContext) -> Outcome:
    """StartQueryExecution: Athena reads the Glue Data Catalog (GetDatabase, GetTable,
    GetPartitions on the catalog, the database and each table), reads the tables' data from S3
    and writes the results to S3, all with the caller's permissions.

    The database comes from ``QueryExecutionContext.Database``; tables from a literal query's
    FROM/JOIN clauses (``db.table``, ``"db"."table"`` or a table of the context's database).
    Results go to ``ResultConfiguration.OutputLocation`` (s3:PutObject and the multipart-upload
    actions under it, s3:GetBucketLocation and s3:ListBucketMultipartUploads on its bucket, as
    the Athena user guide's query-results permissions list them); without one, to the work group's location, which the
    code does not show: reported. The data's S3 locations are the Glue tables' and are reported.

    Sources: https://docs.aws.amazon.com/athena/latest/ug/fine-grained-access-to-glue-resources.html,
    https://docs.aws.amazon.com/athena/latest/ug/querying.html#query-results-specify-location,
    https://repost.aws/knowledge-center/athena-access-iam,
    https://docs.aws.amazon.com/athena/latest/ug/security-iam-athena.html
    """
    outcome = Outcome()
    context_db = next(iter(_find(call.arguments, "Database")), None)
    catalog = next(iter(_find(call.arguments, "Catalog")), None)
    if isinstance(catalog, Text) and catalog.known and catalog.known.lower() != "awsdatacatalog":
        outcome.notes.append(
            Unresolved(
                f"the query runs against the data catalog {catalog.known}, not the Glue Data Catalog: "
                "grant what that catalog's connector needs by hand",
                call.location,
                call.label,
            )
        )
        return outcome
    database = context_db if isinstance(context_db, Text) else None
    tables = _athena_tables(call, database)
    databases = {db.pattern(): db for db, _ in tables}
    if database is not None:
        databases.setdefault(database.pattern(), database)
    for action in _GLUE_READS:
        outcome.requirements.append(Requirement(_spec(action, "rootcatalog"), _with(call)))
        for db in databases.values():
            need = _spec(action, "database", DatabaseName="Database")
            outcome.requirements.append(Requirement(need, _with(call, Database=db)))
        for db, table in tables:
            if action == "glue:GetDatabase":
                continue
            need = _spec(action, "table", DatabaseName="Database", TableName="Table")
            outcome.requirements.append(Requirement(need, _with(call, Database=db, Table=table)))
    shown = ", ".join(f"{d}.{t}" for d, t in tables) or "the queried tables"
    outcome.notes.append(
        Unresolved(
            f"Athena reads the data of {shown} from S3 with the caller's permissions: grant s3:GetObject and "
            "s3:ListBucket on the tables' S3 locations (their Glue StorageDescriptor), which the code does not show",
            call.location,
            call.label,
        )
    )
    outputs = [v for v in _find(call.arguments, "OutputLocation") if isinstance(v, Text)]
    if not outputs:
        outcome.notes.append(
            Unresolved(
                "the query results go to the work group's output location, which the code does not name: grant "
                "s3:PutObject and s3:GetBucketLocation there (and s3:GetObject to read them back) by hand",
                call.location,
                call.label,
            )
        )
    for output in outputs:
        bucket, key = _split_s3_uri(output)
        prefix = Text((*key.parts, Hole("the query's result files (named by its execution id)")))
        for action in _ATHENA_RESULT_OBJECTS:
            need = _spec(action, "object", BucketName="Bucket", ObjectName="Key")
            outcome.requirements.append(Requirement(need, _with(call, Bucket=bucket, Key=prefix)))
        for action in _ATHENA_RESULT_BUCKET:
            need = _spec(action, "bucket", BucketName="Bucket")
            outcome.requirements.append(Requirement(need, _with(call, Bucket=bucket)))
    return outcome


# Athena writes large results as multipart uploads, with the caller's credentials.
_ATHENA_RESULT_OBJECTS = ("s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts")
_ATHENA_RESULT_BUCKET = ("s3:GetBucketLocation", "s3:ListBucketMultipartUploads")


def _athena_tables(call: SdkCall, database: Text | None) -> list[tuple[Text, Text]]:
    """(database, table) of each table a query string names; a table of an unknown query is
    every table of the context's database (a reported widening)."""
    out: list[tuple[Text, Text]] = []
    unknown_db = Text((Hole("the query's database"),))
    argument = call.argument("QueryString")
    for query in argument.values if argument else ():
        if not isinstance(query, Text):
            query = Text((Hole("a structured query"),))
        text = query.pattern()
        head = query.parts[0] if query.parts and isinstance(query.parts[0], str) else ""
        found = list(_ATHENA_TABLE.finditer(text)) if head.lstrip().upper().startswith(_ATHENA_READS) else []
        for match in found:
            names = [n.strip().strip('"`') for n in match.group(1).split(".")]
            table = _pattern_text(names[-1], "table name in the query")
            db = _pattern_text(names[-2], "database name in the query") if len(names) > 1 else database
            out.append((db or unknown_db, table))
        if not found:
            hole = Text((Hole(f"tables of a query the analysis cannot read ({query})"),))
            out.append((database or unknown_db, hole))
    return list(dict.fromkeys(out))


def athena_results(call: SdkCall, context: ProgramContext) -> Outcome:
    """GetQueryResults reads the results from S3 with the caller's permissions: s3:GetObject on
    the output locations the program's queries name.

    Source: https://docs.aws.amazon.com/athena/latest/APIReference/API_GetQueryResults.html
    """
    outcome = Outcome()
    if not context.athena_outputs:
        outcome.notes.append(
            Unresolved(
                "GetQueryResults reads the results from the query's S3 output location, which no query of this "
                "code names: grant s3:GetObject there by hand",
                call.location,
                call.label,
            )
        )
    get_object = _spec("s3:GetObject", "object", BucketName="Bucket", ObjectName="Key")
    for output in context.athena_outputs:
        bucket, key = _split_s3_uri(output)
        files = Text((*key.parts, Hole("the query's result files (named by its execution id)")))
        outcome.requirements.append(Requirement(get_object, _with(call, Bucket=bucket, Key=files)))
    return outcome


def _requirements_only(
    rule: Callable[[SdkCall], list[Requirement]],
) -> Callable[[SdkCall, ProgramContext], Outcome]:
    return lambda call, _: Outcome(rule(call))


RULES: dict[str, Callable[[SdkCall, ProgramContext], Outcome]] = {
    "partiql": _requirements_only(partiql),
    "transact": _requirements_only(transact),
    "athena_query": athena_query,
    "athena_results": athena_results,
}


# -- S3 objects read on the caller's behalf -----------------------------------------------------
_READS_S3_OBJECTS = {"rekognition", "textract"}


def _s3_reads_on_behalf(call: SdkCall) -> list[Requirement]:
    """Rekognition and Textract read an ``S3Object`` input with the caller's permissions, so the
    caller needs s3:GetObject on it; Transcribe reads ``Media.MediaFileUri`` the same way and
    writes its output to ``OutputBucketName`` (a file in it, or in ``OutputKey``'s folder when
    that ends in "/") unless a data-access role is given. Comprehend's and Transcribe's jobs that
    take a ``DataAccessRoleArn`` read and write S3 as that role: the caller needs only
    iam:PassRole on it (from the mapping data).

    Sources: https://docs.aws.amazon.com/rekognition/latest/dg/images-s3.html,
    https://docs.aws.amazon.com/textract/latest/dg/security_iam_id-based-policy-examples.html,
    https://docs.aws.amazon.com/transcribe/latest/dg/security_iam_id-based-policy-examples.html
    """
    out = []
    get_object = _spec("s3:GetObject", "object", BucketName="Bucket", ObjectName="Key")
    if call.service in _READS_S3_OBJECTS:
        for s3object in _find(call.arguments, "S3Object"):
            bucket, name = _get(s3object, "Bucket"), _get(s3object, "Name")
            out.append(
                Requirement(
                    get_object,
                    _with(
                        call,
                        Bucket=bucket if isinstance(bucket, Text) else Text((Hole("S3Object.Bucket"),)),
                        Key=name if isinstance(name, Text) else Text((Hole("S3Object.Name"),)),
                    ),
                )
            )
    if call.service == "transcribe" and next(_find(call.arguments, "DataAccessRoleArn"), None) is None:
        for media in _find(call.arguments, "Media"):
            uri = _get(media, "MediaFileUri")
            if isinstance(uri, Text):
                bucket, key = _split_s3_uri(uri)
                out.append(Requirement(get_object, _with(call, Bucket=bucket, Key=key)))
        output = call.argument("OutputBucketName")
        if output is not None:
            put = _spec("s3:PutObject", "object", BucketName="Bucket", ObjectName="Key")
            key_arg = call.argument("OutputKey")
            for bucket_value in output.values:
                key_value = key_arg.values[0] if key_arg else Text((Hole("the transcript's object key"),))
                last = key_value.parts[-1] if isinstance(key_value, Text) and key_value.parts else None
                if isinstance(key_value, Text) and isinstance(last, str) and last.endswith("/"):
                    # An OutputKey ending in "/" is a folder: Transcribe names the file in it.
                    key_value = Text(
                        (*key_value.parts, Hole("the transcript's file name in OutputKey's folder"))
                    )
                out.append(Requirement(put, _with(call, Bucket=bucket_value, Key=key_value)))
    return out


_COMPREHEND_EXTRACTS = {"classify_document", "detect_entities"}


def _comprehend_text_extraction(call: SdkCall) -> list[Requirement]:
    """Comprehend extracts the text of an image or PDF document (``Bytes``) by calling Textract
    with the caller's permissions: textract:DetectDocumentText and textract:AnalyzeDocument.

    Source: https://docs.aws.amazon.com/comprehend/latest/dg/security_iam_id-based-policy-examples.html#security-iam-based-policy-perform-cmp-actions
    """
    if (
        call.service != "comprehend"
        or call.method not in _COMPREHEND_EXTRACTS
        or call.argument("Bytes") is None
    ):
        return []
    return [
        Requirement(_spec("textract:DetectDocumentText"), _with(call)),
        Requirement(_spec("textract:AnalyzeDocument"), _with(call)),
    ]


def _find(arguments: tuple[Argument, ...], key: str) -> Iterator[ArgValue]:
    stack: list[ArgValue] = [v for a in arguments for v in a.values]
    for argument in arguments:
        if argument.name == key:
            yield from argument.values
    while stack:
        value = stack.pop()
        for k, v in _items(value):
            if k == key:
                yield v
            stack.append(v)


def _split_s3_uri(uri: Text) -> tuple[Text, Text]:
    """``s3://bucket/key`` -> (bucket, key), also when parts of the bucket name are not known
    (``f"s3://{project}-results-{account}/"``): the bucket ends at the first '/' the known text
    holds, and keeps its known parts instead of becoming '*'."""
    first = uri.parts[0] if uri.parts and isinstance(uri.parts[0], str) else ""
    if first.startswith("s3://"):
        parts = (first[5:], *uri.parts[1:])
        for index, part in enumerate(parts):
            if isinstance(part, str) and "/" in part:
                head, _, rest = part.partition("/")
                bucket = tuple(p for p in (*parts[:index], head) if p != "")
                if not any(isinstance(p, str) for p in bucket):
                    break  # nothing of the bucket's name is known
                return Text(bucket), Text(tuple(p for p in (rest, *parts[index + 1 :]) if p != ""))
    return Text((Hole("the bucket of an s3:// URI"),)), Text((Hole("the key of an s3:// URI"),))


# -- KMS ----------------------------------------------------------------------------------------
_SSE_WRITES = {
    "put_object",
    "copy_object",
    "create_multipart_upload",
    "upload_file",
    "upload_fileobj",
    "copy",
}
_MULTIPART = {"create_multipart_upload", "upload_file", "upload_fileobj", "copy"}
# (service, method) -> KMS actions AWS calls with the caller's permissions on a customer-managed key.
KMS_ON_BEHALF: dict[str, dict[str, tuple[str, ...]]] = {
    "s3": {
        "get_object": ("kms:Decrypt",),
        "head_object": ("kms:Decrypt",),
        "download_file": ("kms:Decrypt",),
        "download_fileobj": ("kms:Decrypt",),
        "put_object": ("kms:GenerateDataKey",),
        "copy_object": ("kms:Decrypt", "kms:GenerateDataKey"),
        "create_multipart_upload": ("kms:Decrypt", "kms:GenerateDataKey"),
        "upload_file": ("kms:Decrypt", "kms:GenerateDataKey"),
        "upload_fileobj": ("kms:Decrypt", "kms:GenerateDataKey"),
        "copy": ("kms:Decrypt", "kms:GenerateDataKey"),
    },
    "sqs": {
        "send_message": ("kms:Decrypt", "kms:GenerateDataKey"),
        "send_message_batch": ("kms:Decrypt", "kms:GenerateDataKey"),
        "receive_message": ("kms:Decrypt",),
    },
    "sns": {
        "publish": ("kms:Decrypt", "kms:GenerateDataKey"),
        "publish_batch": ("kms:Decrypt", "kms:GenerateDataKey"),
    },
    "kinesis": {
        "put_record": ("kms:GenerateDataKey",),
        "put_records": ("kms:GenerateDataKey",),
        "get_records": ("kms:Decrypt",),
    },
    "secretsmanager": {
        "get_secret_value": ("kms:Decrypt",),
        "batch_get_secret_value": ("kms:Decrypt",),
        "put_secret_value": ("kms:GenerateDataKey",),
    },
    "ssm": {
        "get_parameter": ("kms:Decrypt",),
        "get_parameters": ("kms:Decrypt",),
        "get_parameters_by_path": ("kms:Decrypt",),
    },
}


def _sse_kms(call: SdkCall, kms_keys: tuple[str, ...], region: str) -> list[Requirement]:
    """KMS actions AWS performs with the caller's permissions for encrypted resources.

    The key the code names (S3 ``SSEKMSKeyId``, also inside a transfer's ``ExtraArgs``) always
    counts; keys given with ``--kms-key`` (customer-managed keys of the function's resources)
    count for every call in `KMS_ON_BEHALF`. Each grant is held to the calling service with
    ``kms:ViaService``. SSM reads need the key only with ``WithDecryption``.

    Sources: https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html,
    https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html,
    https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
    """
    actions = KMS_ON_BEHALF.get(call.service, {}).get(call.method, ())
    if not actions:
        return []
    if call.service == "ssm" and call.argument("WithDecryption") is None:
        return []
    keys: list[Text] = [Text.of(k) for k in kms_keys]
    if call.service == "s3" and call.method in _SSE_WRITES:
        for value in _find(call.arguments, "SSEKMSKeyId"):
            if isinstance(value, Text):
                keys.append(value)
        if not kms_keys:
            actions = tuple(a for a in actions if a != "kms:Decrypt" or call.method in _MULTIPART)
    if not keys:
        return []
    via = Condition("StringEquals", "kms:ViaService", (f"{call.service}.{region}.amazonaws.com",))
    if region == "*":
        via = Condition("StringLike", "kms:ViaService", (f"{call.service}.*.amazonaws.com",))
    out = []
    for action in actions:
        need = _spec(action, "key", KeyId="KeyId|kms_key")
        for key in keys:
            out.append(Requirement(need, _with(call, KeyId=key), (via,)))
    return out


_ALIAS = re.compile(r"^(?:arn:[^:]+:kms:[^:]*:[^:]*:)?(alias/.*)$", re.DOTALL)


def _kms_alias(requirement: Requirement) -> list[Requirement]:
    """A KMS key named by its alias (``alias/app-data`` or an alias ARN) is authorized against
    the key, not the alias: an ARN built from the alias matches nothing. The key is granted as
    ``key/*``, held to the alias with ``kms:RequestAlias`` where the action supports that key
    (cryptographic operations, DescribeKey, GetPublicKey) and the code calls KMS itself; the
    widening is reported either way.

    Source: https://docs.aws.amazon.com/kms/latest/developerguide/alias-authorization.html,
    https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-request-alias
    """
    need, call = requirement.need, requirement.call
    if not need.action.startswith("kms:"):
        return [requirement]
    out: list[Requirement] = []
    for option in need.options:
        if option.type != "key":
            continue
        for variable, spec in option.bind:
            member = spec.partition("|")[0]
            argument = call.argument(member)
            if variable != "KeyId" or argument is None:
                continue
            aliases = [(v, _alias_of(v)) for v in argument.values if isinstance(v, Text) and _alias_of(v)]
            if not aliases:
                return [requirement]
            keys = tuple(v for v in argument.values if (v, _alias_of(v)) not in aliases or not _alias_of(v))
            if keys:
                out.append(replace(requirement, call=_replace_argument(call, member, keys)))
            names = sorted({name for _, name in aliases})
            held = call.service == "kms" and "kms:RequestAlias" in mapping.condition_keys(need.action)
            if held:
                how = "held to the alias with kms:RequestAlias"
            elif call.service != "kms":
                how = f"{call.service} uses the key for the code, so kms:RequestAlias cannot hold it: any key is granted"
            else:
                how = f"{need.action} does not support kms:RequestAlias: any key of the account is granted"
            hole = Text(
                (Hole(f"the key behind {', '.join(names)} (IAM authorizes the key, not the alias); {how}"),)
            )
            conditions = requirement.conditions
            if held:
                wildcard = any("*" in n for n in names)
                # The alias as the request gives it: its name, or its ARN when the code passes one.
                given = sorted({name for _, name in aliases} | {v.pattern() for v, _ in aliases})
                conditions = (
                    *conditions,
                    Condition("StringLike" if wildcard else "StringEquals", "kms:RequestAlias", tuple(given)),
                )
            out.append(Requirement(need, _replace_argument(call, member, (hole,)), conditions))
            return out
    return [requirement]


def _alias_of(value: ArgValue) -> str:
    """``alias/name`` when ``value`` names a KMS alias (a pattern when part is unknown)."""
    if not isinstance(value, Text) or not value.parts or not isinstance(value.parts[0], str):
        return ""
    match = _ALIAS.match(value.parts[0])
    if not match:
        return ""
    return Text((match.group(1), *value.parts[1:])).pattern()


def _replace_argument(call: SdkCall, member: str, values: tuple[ArgValue, ...]) -> SdkCall:
    others = tuple(a for a in call.arguments if a.name != member)
    return replace(call, arguments=(*others, Argument(member, values)))


# -- condition keys -----------------------------------------------------------------------------
def _condition_keys(call: SdkCall) -> dict[str, tuple[Condition, ...]]:
    """Condition keys the code makes knowable and that tighten without breaking the call.

    cloudwatch:namespace on PutMetricData: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html
    """
    if call.service == "cloudwatch" and call.method == "put_metric_data":
        namespace = call.argument("Namespace")
        if namespace and all(isinstance(v, Text) and v.known for v in namespace.values):
            values = tuple(sorted(v.known for v in namespace.values if isinstance(v, Text) and v.known))
            return {"cloudwatch:PutMetricData": (Condition("StringEquals", "cloudwatch:namespace", values),)}
    return {}
