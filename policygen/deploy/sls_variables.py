"""Serverless Framework variables (``${source:address, fallback, ...}``) resolved offline.

`Variables.resolve` turns a raw ``serverless.yml`` value into one where every variable is
replaced: a whole-value variable by what it names (a string, a number, or a structure read from
the document or a file), a variable inside a string by its text. What cannot be known offline
(``${ssm:...}``, ``${cf:...}``, ``${s3:...}``, ``${env:...}`` without a default, ``${opt:...}``
not given) becomes a `Hole` naming the variable, so the string becomes a partially known `Text`;
nothing is ever left as the variable's literal text or as an empty string.

Sources (as the Framework resolves them, https://www.serverless.com/framework/docs/guides/variables):
``self:`` the document itself; ``opt:stage``/``opt:region`` the CLI flags; ``sls:stage`` the
stage (flag, else ``provider.stage``, else ``dev``); ``aws:region``/``aws:accountId``;
``file(path):key`` a YAML or JSON file of the project; ``env:`` the deploying machine's
environment, unknown here (a default is taken, and said so). Fallbacks are tried in order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from policygen.deploy.cfn_yaml import LineDict, load_yaml
from policygen.errors import DeploymentError
from policygen.model import Hole, Target, Text

MAX_FILE_BYTES = 1_000_000
MAX_FILES = 50
MAX_DEPTH = 20
FRAMEWORK_DEFAULT_STAGE = "dev"
FRAMEWORK_DEFAULT_REGION = "us-east-1"
# Sources resolved at deploy time from AWS or elsewhere: named, never guessed.
_DEPLOY_TIME = {
    "ssm": "an SSM parameter",
    "cf": "another stack's output",
    "s3": "an S3 object",
    "param": "a Serverless Dashboard parameter",
    "secretsmanager": "a Secrets Manager secret",
    "git": "the git repository's state",
}
_SOURCE = re.compile(r"^([A-Za-z][\w-]*)(\([^)]*\))?:")


class _Missing:
    """The variable has no value (flag not given, key absent): the next fallback applies."""


MISSING = _Missing()


def _find_variables(text: str) -> list[tuple[int, int]]:
    """(start, end) of each top-level ``${...}`` in ``text``, nested braces matched."""
    spans: list[tuple[int, int]] = []
    index = 0
    while True:
        start = text.find("${", index)
        if start < 0:
            return spans
        depth, position = 0, start
        while position < len(text):
            if text.startswith("${", position):
                depth += 1
                position += 2
                continue
            if text[position] == "}":
                depth -= 1
                if depth == 0:
                    break
            position += 1
        if depth != 0:
            return spans  # unbalanced: the rest is plain text
        spans.append((start, position + 1))
        index = position + 1


def _split_fallbacks(expression: str) -> list[str]:
    """``opt:stage, self:provider.stage, 'dev'`` -> its parts, commas inside quotes,
    parentheses or nested variables kept."""
    parts: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for char in expression:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "({":
            depth += 1
        elif char in ")}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return parts


def is_variable_source(expression: str) -> bool:
    """``self:x``, ``file(./a.yml):k``: a Serverless variable. ``AWS::Region`` and ``MyBucket.Arn``
    are CloudFormation's (``Fn::Sub``), left for the intrinsics."""
    match = _SOURCE.match(expression)
    return match is not None and not expression[match.end() :].startswith(":")


class Variables:
    def __init__(
        self, document: dict[str, Any], target: Target, stage: str | None, path: Path, root: Path
    ) -> None:
        self.document = document
        self.target = target
        self.stage_flag = stage
        self.path = path
        self.root = root.resolve()
        self.label = path.name
        self.assumptions: list[str] = []  # defaults taken for what only the deploying machine knows
        self._resolving: list[str] = []
        self._memo: dict[str, Any] = {}
        self.constructs: Callable[[str], Any] | None = None  # ``${construct:...}`` (serverless-lift)
        self._files: dict[Path, Any] = {}

    # the whole document -------------------------------------------------------------------
    def resolve(self, value: Any, depth: int = 0) -> Any:
        """``value`` with every variable replaced (see the module's docstring)."""
        if depth > MAX_DEPTH:
            raise DeploymentError(f"{self.label}: values nest more than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            if isinstance(value, LineDict):
                out = LineDict()
                out.line, out.lines = value.line, value.lines
            for key, item in value.items():
                out[key] = self.resolve(item, depth + 1)
            return out
        if isinstance(value, list):
            return [self.resolve(item, depth + 1) for item in value]
        if isinstance(value, str):
            return self.string(value, depth)
        return value

    def string(self, value: str, depth: int = 0) -> Any:
        spans = [s for s in _find_variables(value) if is_variable_source(value[s[0] + 2 : s[1] - 1].strip())]
        if not spans:
            return value
        if len(spans) == 1 and spans[0] == (0, len(value)):
            resolved = self.expression(value[2:-1], depth)
            return Text((Hole(f"{value} has no value"),)) if resolved is MISSING else resolved
        parts: list[str | Hole | Text] = []
        position = 0
        for start, end in spans:
            parts.append(value[position:start])
            resolved = self.expression(value[start + 2 : end - 1], depth)
            parts.append(self._as_text(resolved, value[start:end]))
            position = end
        parts.append(value[position:])
        text = Text.join(*parts)
        return text.known if text.known is not None else text

    def text(self, value: Any) -> Text:
        """A resolved value as a string, as far as it is known."""
        resolved = self.resolve(value)
        return self._as_text(resolved, str(value))

    @staticmethod
    def _as_text(value: Any, written: str) -> Text:
        if isinstance(value, Text):
            return value
        if isinstance(value, bool):
            return Text.of("true" if value else "false")
        if isinstance(value, str | int | float):
            return Text.of(str(value))
        if value is MISSING:
            return Text((Hole(f"{written} has no value"),))
        return Text((Hole(f"{written} is a structure, not a string"),))

    # one variable -------------------------------------------------------------------------
    def expression(self, expression: str, depth: int) -> Any:
        """The value of ``${expression}``: the first of its fallbacks that has one."""
        candidates = _split_fallbacks(expression.strip())
        holes: list[Text] = []
        for index, candidate in enumerate(candidates):
            value = self._candidate(candidate, depth)
            if value is MISSING:
                continue
            if isinstance(value, Text) and value.holes and index < len(candidates) - 1:
                # Known only at deploy time: the next fallback is what applies when it is unset.
                holes.append(value)
                continue
            if holes and candidates[0].startswith("env:"):
                self.assumptions.append(
                    f"{self.label}: ${{{expression.strip()}}}: the deploying machine's environment is unknown; "
                    f"took the default {value!r}"
                )
                return value
            return holes[0] if holes else value
        return holes[0] if holes else MISSING

    def _candidate(self, candidate: str, depth: int) -> Any:
        if candidate.startswith("${") and candidate.endswith("}"):
            return self.string(candidate, depth + 1)
        if len(candidate) >= 2 and candidate[0] == candidate[-1] and candidate[0] in "'\"":
            return candidate[1:-1]
        match = _SOURCE.match(candidate)
        if match is None:
            if re.fullmatch(r"-?\d+(\.\d+)?", candidate):
                return int(candidate) if candidate.lstrip("-").isdigit() else float(candidate)
            if candidate in ("true", "false"):
                return candidate == "true"
            return candidate  # a bare word as default
        address_raw = candidate[match.end() :].strip()
        address = self.string(address_raw, depth + 1) if "${" in address_raw else address_raw
        if isinstance(address, Text):
            return Text((Hole(f"${{{candidate}}}: its address is not known ({address})"),))
        written = "${" + match.group(0) + str(address) + "}"
        source, argument = match.group(1), (match.group(2) or "")[1:-1]
        return self._source(source, argument, str(address), written, depth)

    def _source(self, source: str, argument: str, address: str, written: str, depth: int) -> Any:
        if source == "self":
            return self.self_reference(address, depth)
        if source == "opt":
            if address == "stage":
                return self.stage_flag if self.stage_flag else MISSING
            if address == "region":
                return self.target.region if self.target.region != "*" else MISSING
            return MISSING  # other CLI options are not given to policygen
        if source == "sls" and address == "stage":
            return self.stage()
        if source == "aws" and address == "region":
            return self.region()
        if source == "aws" and address == "accountId":
            if self.target.account != "*":
                return self.target.account
            return Text((Hole(f"{written} (give --account)"),))
        if source == "env":
            return Text((Hole(f"{written}: the deploying machine's environment variable {address}"),))
        if source == "construct" and self.constructs is not None:
            return self.constructs(address)
        if source == "file":
            return self.file(argument, address, written, depth)
        what = _DEPLOY_TIME.get(source)
        if what is not None:
            return Text((Hole(f"{written}: {what}, read at deploy time"),))
        return Text((Hole(f"{written}: a variable source policygen does not resolve offline"),))

    def stage(self) -> Any:
        return self.stage_flag or self.self_reference("provider.stage", 0)

    def region(self) -> Any:
        if self.target.region != "*":
            return self.target.region
        return self.self_reference("provider.region", 0)

    def self_reference(self, address: str, depth: int) -> Any:
        """``${self:a.b}``: the document's value at ``a.b``, itself resolved."""
        if address in self._memo:
            return self._memo[address]
        if address in self._resolving:
            chain = " -> ".join(f"self:{a}" for a in [*self._resolving, address])
            raise DeploymentError(f"{self.label}: variables refer to each other: {chain}")
        self._resolving.append(address)
        try:
            value: Any = self.document
            for key in [k for k in address.split(".") if k]:
                if isinstance(value, str):
                    value = self.string(value, depth + 1)
                if isinstance(value, dict) and key in value:
                    value = value[key]
                elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
                    value = value[int(key)]
                else:
                    value = MISSING
                    break
            if address == "service" and isinstance(value, dict):
                value = value.get("name", MISSING)  # the older `service: {name: ...}` form
            if value is MISSING and address in ("provider.stage", "provider.region"):
                # The Framework fills these in before variables are resolved: the flag, else its default.
                if address == "provider.stage":
                    value = self.stage_flag or FRAMEWORK_DEFAULT_STAGE
                else:
                    value = self.target.region if self.target.region != "*" else FRAMEWORK_DEFAULT_REGION
            value = value if value is MISSING else self.resolve(value, depth + 1)
            self._memo[address] = value
            return value
        finally:
            self._resolving.pop()

    def file(self, argument: str, key: str, written: str, depth: int) -> Any:
        """``${file(./config.yml):a.b}``: a YAML or JSON file of the project, read safely."""
        if "${" in argument:
            resolved = self.string(argument, depth + 1)
            if isinstance(resolved, Text):
                return Text((Hole(f"{written}: its file name is not known ({resolved})"),))
            argument = str(resolved)
        path = (self.path.parent / argument.strip().strip("'\"")).resolve()
        try:
            shown = path.relative_to(self.root).as_posix()
        except ValueError:
            raise DeploymentError(f"{self.label}: {written} reads {path}, outside the project") from None
        if path.suffix not in (".yml", ".yaml", ".json"):
            return Text((Hole(f"{written}: {shown} is not YAML or JSON; policygen does not run code"),))
        if not path.is_file():
            return MISSING
        if path not in self._files:
            if len(self._files) >= MAX_FILES:
                raise DeploymentError(
                    f"{self.label}: more than {MAX_FILES} files read through ${{file(...)}}"
                )
            if path.stat().st_size > MAX_FILE_BYTES:
                raise DeploymentError(
                    f"{shown}: over the {MAX_FILE_BYTES}-byte limit for files read by {written}"
                )
            self._files[path] = load_yaml(path)
        value = self._files[path]
        for part in [k for k in key.split(".") if k]:
            if not isinstance(value, dict) or part not in value:
                return MISSING
            value = value[part]
        return self.resolve(value, depth + 1)
