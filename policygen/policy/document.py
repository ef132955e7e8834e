"""The policy model: IAM policy documents as IAM reads them, for reading and for writing.

A current policy (a JSON file, a template's statements, an AWS managed policy) and the policy
policygen generates are the same type here, so a comparison compares like with like:
`PolicyDocument` of `PolicyStatement`s with ``Allow``/``Deny``, ``Action``/``NotAction``,
``Resource``/``NotResource`` and conditions. ``Principal`` is kept (and written back) but never
evaluated: these are identity policies.

`parse_policy_text` reads JSON text and names the file, line and column of what is wrong;
`parse_policy` reads an already parsed value (from a template) and names the statement index.
`to_json` writes a document back as IAM takes it. `from_generated` converts policygen's own
`model.Policy`.
"""

from __future__ import annotations

import enum
import json
import json.decoder
import json.scanner
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from policygen.errors import PolicyError
from policygen.model import Condition, Policy

VERSION_2012 = "2012-10-17"
VERSION_2008 = "2008-10-17"
_VERSIONS = (VERSION_2012, VERSION_2008)

_DOCUMENT_KEYS = {"version": "Version", "id": "Id", "statement": "Statement"}
_STATEMENT_KEYS = {
    k.lower(): k
    for k in (
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    )
}
_ACTION = re.compile(r"\*|[A-Za-z0-9*?-]+:[A-Za-z0-9*?_-]+")


class Effect(enum.Enum):
    ALLOW = "Allow"
    DENY = "Deny"


@dataclass(frozen=True, order=True)
class Origin:
    """Where a statement was read: the source (a policy file, or a label naming a policy within a
    deployment file), its index in the document's ``Statement`` list, and its line when the source
    had positions (else 0). ``file``: the deployment file the labelled policy is written in (the
    line is then that file's), as its reader names it; empty when ``source`` is the file."""

    source: str
    index: int
    line: int = 0
    file: str = ""

    def __str__(self) -> str:
        if self.file:
            return f"{self.file}:{self.line} {self.source} Statement[{self.index}]"
        return (
            f"{self.source}:{self.line} Statement[{self.index}]"
            if self.line
            else (f"{self.source} Statement[{self.index}]")
        )


@dataclass(frozen=True)
class PolicyStatement:
    """One statement. ``actions`` are the ``Action`` patterns, or the ``NotAction`` ones when
    ``not_action``; likewise ``resources`` and ``not_resource``."""

    effect: Effect
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    not_action: bool = False
    not_resource: bool = False
    conditions: tuple[Condition, ...] = ()
    sid: str | None = None
    principal: str | None = None  # the Principal/NotPrincipal value as canonical JSON, not evaluated
    not_principal: bool = False
    origin: Origin | None = field(default=None, compare=False)

    @property
    def conditional(self) -> bool:
        return bool(self.conditions)

    def __str__(self) -> str:
        name = f'Sid "{self.sid}"' if self.sid else "a statement"
        return f"{name} ({self.origin})" if self.origin else name


@dataclass(frozen=True)
class PolicyDocument:
    statements: tuple[PolicyStatement, ...]
    version: str | None = VERSION_2012  # None: absent, which IAM reads as 2008-10-17
    id: str | None = None
    source: str = field(default="", compare=False)

    @property
    def variables(self) -> bool:
        """Policy variables (``${aws:username}``) are substituted only in version 2012-10-17."""
        return self.version == VERSION_2012


# -- reading --------------------------------------------------------------------------------------
class _Object(dict[str, Any]):
    """A JSON object that remembers the offset of its ``{`` in the text, and every key it was
    given (JSON keeps the last of duplicate keys; IAM rejects them)."""

    offset = -1
    pairs: list[tuple[str, Any]]


def _positioned_decoder() -> json.JSONDecoder:
    def keep_pairs(pairs: list[tuple[str, Any]]) -> _Object:
        obj = _Object(pairs)
        obj.pairs = pairs
        return obj

    decoder = json.JSONDecoder(object_pairs_hook=keep_pairs)

    def parse_object(s_and_end: tuple[str, int], *args: Any) -> tuple[_Object, int]:
        obj, end = json.decoder.JSONObject(s_and_end, *args)  # type: ignore[attr-defined]
        obj.offset = s_and_end[1] - 1
        return obj, end

    decoder.parse_object = parse_object  # type: ignore[attr-defined]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    return decoder


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - text.rfind("\n", 0, offset)


class _Reader:
    """Reads one source; knows how to say where a value is."""

    def __init__(
        self,
        source: str,
        text: str | None,
        resource_patterns: Callable[[Any], Iterable[str]] | None,
        clean: Callable[[Any], Any],
        strict: bool,
    ) -> None:
        self.source = source
        self.text = text
        self.resource_patterns = resource_patterns
        self.clean = clean
        self.strict = strict

    def position(self, value: Any) -> tuple[int, int]:
        if self.text is not None and isinstance(value, _Object) and value.offset >= 0:
            return _line_column(self.text, value.offset)
        return 0, 0

    def error(self, where: Any, message: str) -> PolicyError:
        line, column = self.position(where)
        return PolicyError(self.source, message, line, column)

    def fields(self, obj: Mapping[str, Any], known: Mapping[str, str], what: str) -> dict[str, Any]:
        """The object's keys as IAM reads them (case-insensitively), each known and given once."""
        out: dict[str, Any] = {}
        for key, value in obj.pairs if isinstance(obj, _Object) else obj.items():
            canonical = known.get(str(key).lower())
            if canonical is None:
                hint = _did_you_mean(str(key), known.values())
                raise self.error(obj, f"{what}: unknown element {key!r}{hint}")
            if canonical in out:
                raise self.error(
                    obj, f"{what}: {canonical} is given twice (IAM reads element names case-insensitively)"
                )
            out[canonical] = value
        return out

    def document(self, raw: Any) -> PolicyDocument:
        if not isinstance(raw, Mapping):
            raise self.error(raw, f"a policy document is a JSON object, not {_kind(raw)}")
        fields = self.fields(raw, _DOCUMENT_KEYS, "the policy document")
        version = self.clean(fields.get("Version")) if "Version" in fields else None
        if version is not None and version not in _VERSIONS:
            raise self.error(raw, f'Version is {json.dumps(version)}; use "{VERSION_2012}"')
        if "Statement" not in fields:
            raise self.error(raw, 'the policy document has no Statement; add "Statement": [...]')
        raw_statements = fields["Statement"]
        if isinstance(raw_statements, Mapping):
            raw_statements = [raw_statements]
        if not isinstance(raw_statements, list):
            raise self.error(
                raw, f"Statement is {_kind(raw_statements)}; it must be an object or a list of objects"
            )
        statements = tuple(self.statement(s, i) for i, s in enumerate(raw_statements))
        ident = fields.get("Id")
        return PolicyDocument(statements, version, str(ident) if ident is not None else None, self.source)

    def statement(self, raw: Any, index: int, sid: str | None = None) -> PolicyStatement:
        if not isinstance(raw, Mapping):
            raise self.error(raw, f"Statement[{index}] is {_kind(raw)}; each statement is a JSON object")
        label = f"Statement[{index}]"
        fields = self.fields(raw, _STATEMENT_KEYS, label)
        if "Sid" in fields and sid is None:
            sid = str(self.clean(fields["Sid"]))
            label = f'{label} (Sid "{sid}")'
        effect = self.effect(raw, fields, label)
        actions, not_action = self.pair(raw, fields, label, "Action", "NotAction")
        for action in actions:
            if self.strict and not _ACTION.fullmatch(action):
                raise self.error(
                    raw,
                    f'{label}: action {json.dumps(action)} is not "service:Action" (e.g. "s3:GetObject") or "*"',
                )
        resources, not_resource = self.pair(raw, fields, label, "Resource", "NotResource")
        if self.strict:
            for resource in resources:
                if resource != "*" and not resource.startswith("arn:"):
                    raise self.error(
                        raw, f'{label}: resource {json.dumps(resource)} is neither an ARN ("arn:...") nor "*"'
                    )
        if "Principal" in fields and "NotPrincipal" in fields:
            raise self.error(raw, f"{label}: give Principal or NotPrincipal, not both")
        principal_key = (
            "Principal" if "Principal" in fields else "NotPrincipal" if "NotPrincipal" in fields else None
        )
        principal = (
            json.dumps(fields[principal_key], sort_keys=True, separators=(",", ":"))
            if principal_key
            else None
        )
        line, _ = self.position(raw)
        return PolicyStatement(
            effect,
            actions,
            resources,
            not_action,
            not_resource,
            self.conditions(raw, fields.get("Condition"), label),
            sid,
            principal,
            principal_key == "NotPrincipal",
            Origin(self.source, index, line),
        )

    def effect(self, raw: Any, fields: Mapping[str, Any], label: str) -> Effect:
        if "Effect" not in fields:
            raise self.error(raw, f'{label}: no Effect; add "Effect": "Allow" or "Effect": "Deny"')
        value = self.clean(fields["Effect"])
        for effect in Effect:
            if value == effect.value:
                return effect
        raise self.error(
            raw,
            f'{label}: Effect is {json.dumps(value)}; IAM accepts only "Allow" or "Deny" (case-sensitive)',
        )

    def pair(
        self, raw: Any, fields: Mapping[str, Any], label: str, positive: str, negative: str
    ) -> tuple[tuple[str, ...], bool]:
        if positive in fields and negative in fields:
            raise self.error(raw, f"{label}: give {positive} or {negative}, not both")
        if positive not in fields and negative not in fields:
            raise self.error(raw, f"{label}: no {positive} or {negative}; a statement needs one of them")
        key = positive if positive in fields else negative
        value = fields[key]
        items = value if isinstance(value, list) else [value]
        if not items:
            raise self.error(raw, f"{label}: {key} is an empty list; list at least one pattern")
        out: list[str] = []
        for item in items:
            if key.endswith("Resource") and self.resource_patterns is not None:
                out.extend(self.resource_patterns(item))
                continue
            item = self.clean(item)
            if not isinstance(item, str):
                raise self.error(raw, f"{label}: {key} holds {_kind(item)}; each entry must be a string")
            out.append(item)
        return tuple(out), key == negative

    def conditions(self, raw: Any, value: Any, label: str) -> tuple[Condition, ...]:
        if value is None:
            return ()
        if not isinstance(value, Mapping):
            raise self.error(
                raw, f'{label}: Condition is {_kind(value)}; it must be {{"Operator": {{"key": values}}}}'
            )
        out = []
        for operator, keys in value.items():
            if not isinstance(keys, Mapping):
                raise self.error(
                    raw,
                    f"{label}: Condition operator {operator!r} holds {_kind(keys)}; it must map condition keys to values",
                )
            for key, values in keys.items():
                items = values if isinstance(values, list) else [values]
                strings = []
                for item in items:
                    item = self.clean(item)
                    if isinstance(item, bool):
                        strings.append("true" if item else "false")
                    elif isinstance(item, str | int | float):
                        strings.append(str(item))
                    else:
                        raise self.error(
                            raw,
                            f"{label}: Condition {operator}/{key} holds {_kind(item)}; values are strings, numbers or booleans",
                        )
                out.append(Condition(str(operator), str(key), tuple(strings)))
        return tuple(out)


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the string {json.dumps(value)}"
    if value is None:
        return "null"
    return f"the value {json.dumps(value)}"


def _did_you_mean(key: str, known: Iterable[str]) -> str:
    lowered = key.lower().rstrip("s")
    for name in known:
        if name.lower() == lowered or name.lower().rstrip("s") == lowered:
            return f' (did you mean "{name}"?)'
    return f"; IAM knows {', '.join(sorted(known))}"


def _same(value: Any) -> Any:
    return value


def load_json(text: str, path: str) -> Any:
    """JSON text whose objects remember where they are in ``text`` (for `parse_policy` to name
    the line and column of what is wrong). Invalid JSON is a `PolicyError` with its position."""
    try:
        raw, end = _positioned_decoder().raw_decode(text, len(text) - len(text.lstrip()))
    except json.JSONDecodeError as exc:
        raise PolicyError(path, f"not valid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    if text[end:].strip():
        line, column = _line_column(text, end + len(text[end:]) - len(text[end:].lstrip()))
        raise PolicyError(path, "not valid JSON: extra data after the document", line, column)
    return raw


def parse_policy_text(text: str, path: str) -> tuple[PolicyDocument, ...]:
    """A JSON file holding one policy document, or a list of them (as policygen writes a policy
    split to fit IAM's limits). Errors name ``path`` with the line and column."""
    raw = load_json(text, path)
    reader = _Reader(path, text, None, _same, strict=True)
    if isinstance(raw, list):
        if not raw:
            raise PolicyError(path, "an empty list; expected a policy document or a list of them", 1, 1)
        return tuple(
            _Reader(f"{path}[{i}]", text, None, _same, strict=True).document(item)
            for i, item in enumerate(raw)
        )
    return (reader.document(raw),)


def parse_policy(raw: Any, source: str, text: str | None = None) -> PolicyDocument:
    """An already parsed policy document (from a template, a managed policy, an API response);
    with the ``text`` `load_json` read it from, errors and statements have their lines."""
    return _Reader(source, text, None, _same, strict=True).document(raw)


def parse_statement(
    raw: Any,
    source: str,
    index: int,
    *,
    sid: str | None = None,
    resource_patterns: Callable[[Any], Iterable[str]] | None = None,
    clean: Callable[[Any], Any] = _same,
) -> PolicyStatement:
    """One statement as a deployment file declares it: ``resource_patterns`` turns each
    ``Resource`` entry (maybe an intrinsic function) into ARN patterns, ``clean`` reads scalar
    values (Terraform's quoted strings). Lenient about what templates produce (resources that
    are not yet ARNs), strict about the statement's structure."""
    return _Reader(source, None, resource_patterns, clean, strict=False).statement(raw, index, sid)


# -- writing --------------------------------------------------------------------------------------
def statement_json(statement: PolicyStatement) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    if statement.sid is not None:
        doc["Sid"] = statement.sid
    doc["Effect"] = statement.effect.value
    if statement.principal is not None:
        doc["NotPrincipal" if statement.not_principal else "Principal"] = json.loads(statement.principal)
    doc["NotAction" if statement.not_action else "Action"] = list(statement.actions)
    doc["NotResource" if statement.not_resource else "Resource"] = list(statement.resources)
    if statement.conditions:
        doc["Condition"] = condition_json(statement.conditions)
    return doc


def condition_json(conditions: Iterable[Condition]) -> dict[str, dict[str, list[str]]]:
    """``{"Operator": {"key": [values]}}``, in the conditions' order."""
    out: dict[str, dict[str, list[str]]] = {}
    for c in conditions:
        out.setdefault(c.operator, {})[c.key] = list(c.values)
    return out


def to_json(document: PolicyDocument) -> dict[str, Any]:
    """The document as IAM takes it (lists for every multi-valued element)."""
    doc: dict[str, Any] = {}
    if document.version is not None:
        doc["Version"] = document.version
    if document.id is not None:
        doc["Id"] = document.id
    doc["Statement"] = [statement_json(s) for s in document.statements]
    return doc


# -- policygen's own policies ---------------------------------------------------------------------
def from_generated(policy: Policy, source: str = "generated") -> PolicyDocument:
    """policygen's synthesized `Policy` in the policy model (the same JSON either way)."""
    return PolicyDocument(
        tuple(
            PolicyStatement(
                Effect(s.effect),
                tuple(s.actions),
                tuple(s.resources),
                conditions=s.conditions,
                sid=s.sid,
                origin=Origin(source, index),
            )
            for index, s in enumerate(policy.statements)
        ),
        policy.version,
        source=source,
    )
