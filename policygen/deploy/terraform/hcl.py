"""Terraform's language as far as policygen reads it.

`load` reads the ``*.tf`` files of one folder (python-hcl2) into a `Config`: resources, data
sources, module calls, locals, variables and outputs, each block with its file and line.
`parse_value` turns what python-hcl2 leaves as strings (``"${aws_s3_bucket.b.arn}/*"``,
``${each.value.handler}``, heredocs) into a small expression tree that `evaluate` walks.
Expressions outside that subset (``for`` expressions, arithmetic, splats) become `Opaque` and
evaluate to an unknown naming them: nothing is guessed.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policygen.errors import DeploymentError
from policygen.model import Location

MAX_TF_BYTES = 2_000_000
MAX_TF_FILES = 500


# expressions --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Literal:
    value: str | int | float | bool | None


@dataclass(frozen=True)
class Template:
    """A string with interpolations: ``"${var.prefix}-orders"``."""

    parts: tuple[str | Expr, ...]


@dataclass(frozen=True)
class Ref:
    """A traversal: ``aws_s3_bucket.b.arn``, ``each.value.handler``, ``module.m["k"].out``.
    Each step is an attribute name or an index expression."""

    root: str
    steps: tuple[str | Expr, ...]


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class ListExpr:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class ObjectExpr:
    items: tuple[tuple[Expr, Expr], ...]


@dataclass(frozen=True)
class Conditional:
    condition: Expr
    then: Expr
    otherwise: Expr


@dataclass(frozen=True)
class Operation:
    """``==``, ``!=``, ``&&``, ``||`` and ``!`` (with one operand)."""

    operator: str
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Opaque:
    """An expression policygen does not evaluate, kept as written."""

    text: str


@dataclass(frozen=True)
class Raw:
    """A value python-hcl2 already structured (a block, a map, a list)."""

    value: Any = field(hash=False, compare=False)


Expr = Literal | Template | Ref | Call | ListExpr | ObjectExpr | Conditional | Operation | Opaque | Raw


class _Syntax(Exception):
    pass


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self, token: str) -> bool:
        self.space()
        return self.text.startswith(token, self.pos)

    def take(self, token: str) -> bool:
        if self.peek(token):
            self.pos += len(token)
            return True
        return False

    def expect(self, token: str) -> None:
        if not self.take(token):
            raise _Syntax(token)

    def space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n":
            self.pos += 1

    def expression(self) -> Expr:
        condition = self.binary(0)
        if self.take("?"):
            then = self.expression()
            self.expect(":")
            return Conditional(condition, then, self.expression())
        return condition

    LEVELS = (("||",), ("&&",), ("==", "!="))

    def binary(self, level: int) -> Expr:
        if level == len(self.LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while True:
            operator = next((o for o in self.LEVELS[level] if self.peek(o)), None)
            if operator is None:
                return left
            self.pos += len(operator)
            left = Operation(operator, (left, self.binary(level + 1)))

    def unary(self) -> Expr:
        if self.peek("!") and not self.peek("!="):
            self.pos += 1
            return Operation("!", (self.unary(),))
        return self.postfix(self.primary())

    def primary(self) -> Expr:
        self.space()
        if self.pos >= len(self.text):
            raise _Syntax("end")
        char = self.text[self.pos]
        if char == '"':
            self.pos += 1
            return self.template('"')
        if char == "(":
            self.pos += 1
            inner = self.expression()
            self.expect(")")
            return inner
        if char == "[":
            self.pos += 1
            if self.peek("for "):
                raise _Syntax("for")
            items = []
            while not self.take("]"):
                items.append(self.expression())
                if not self.take(","):
                    self.expect("]")
                    break
            return ListExpr(tuple(items))
        if char == "{":
            self.pos += 1
            if self.peek("for "):
                raise _Syntax("for")
            pairs = []
            while not self.take("}"):
                key = self.expression()
                if not (self.take("=") or self.take(":")):
                    raise _Syntax("=")
                pairs.append((key, self.expression()))
                self.take(",")
            return ObjectExpr(tuple(pairs))
        number = re.compile(r"-?\d+(\.\d+)?").match(self.text, self.pos)
        if number:
            self.pos = number.end()
            return Literal(float(number.group()) if number.group(1) else int(number.group()))
        name = re.compile(r"[A-Za-z_][\w-]*").match(self.text, self.pos)
        if not name:
            raise _Syntax(char)
        self.pos = name.end()
        word = name.group()
        if word in ("true", "false"):
            return Literal(word == "true")
        if word == "null":
            return Literal(None)
        if self.take("("):
            args = []
            while not self.take(")"):
                args.append(self.expression())
                if self.take("..."):
                    raise _Syntax("...")
                if not self.take(","):
                    self.expect(")")
                    break
            return Call(word, tuple(args))
        return Ref(word, ())

    def postfix(self, base: Expr) -> Expr:
        while True:
            if self.peek("..."):
                return base
            if self.peek(".") and isinstance(base, Ref):
                self.pos += 1
                self.space()
                step = re.compile(r"[A-Za-z_][\w-]*|\d+|\*").match(self.text, self.pos)
                if not step or step.group() == "*":
                    raise _Syntax("splat")
                self.pos = step.end()
                text = step.group()
                base = Ref(base.root, (*base.steps, Literal(int(text)) if text.isdigit() else text))
            elif self.peek("[") and isinstance(base, Ref):
                self.pos += 1
                if self.peek("*"):
                    raise _Syntax("splat")
                index = self.expression()
                self.expect("]")
                base = Ref(base.root, (*base.steps, index))
            else:
                return base

    def template(self, end: str | None) -> Template:
        """A string's body up to ``end`` (or the end of the text for heredocs), with escapes read
        when the string is a quoted one."""
        parts: list[str | Expr] = []
        buffer: list[str] = []
        text = self.text
        while True:
            if self.pos >= len(text):
                if end is None:
                    break
                raise _Syntax("unterminated string")
            char = text[self.pos]
            if end is not None and char == end:
                self.pos += 1
                break
            if end is not None and char == "\\" and self.pos + 1 < len(text):
                escaped = text[self.pos + 1]
                buffer.append({"n": "\n", "t": "\t", "r": "\r"}.get(escaped, escaped))
                self.pos += 2
                continue
            if text.startswith("$${", self.pos) or text.startswith("%%{", self.pos):
                buffer.append(text[self.pos + 1 : self.pos + 3])
                self.pos += 3
                continue
            if text.startswith("${", self.pos):
                self.pos += 2
                if buffer:
                    parts.append("".join(buffer))
                    buffer = []
                self.take("~")
                parts.append(self.expression())
                self.take("~")
                self.expect("}")
                continue
            buffer.append(char)
            self.pos += 1
        if buffer:
            parts.append("".join(buffer))
        return Template(tuple(parts))


def parse_expression(text: str) -> Expr:
    parser = _Parser(text)
    try:
        expr = parser.expression()
        parser.space()
        if parser.pos != len(text):
            return Opaque(text)
        return expr
    except (_Syntax, RecursionError, ValueError):
        return Opaque(text)


_HEREDOC = re.compile(r'^"<<(-?)([A-Za-z_]\w*)\n(.*)\n\s*\2"$', re.DOTALL)


def parse_value(value: Any) -> Expr:
    """What python-hcl2 gives for an attribute -> an expression."""
    if isinstance(value, str):
        heredoc = _HEREDOC.match(value)
        if heredoc:
            body = heredoc.group(3) + "\n"
            if heredoc.group(1):
                body = textwrap.dedent(body)
            parser = _Parser(body)
            try:
                return parser.template(None)
            except (_Syntax, RecursionError, ValueError):
                return Literal(body)
        if len(value) >= 2 and value[0] == value[-1] == '"':
            parser = _Parser(value)
            parser.pos = 1
            try:
                template = parser.template('"')
                if parser.pos == len(value):
                    return template
            except (_Syntax, RecursionError, ValueError):
                pass
            return Literal(value[1:-1])
        if value.startswith("${") and value.endswith("}"):
            parser = _Parser(value)
            parser.pos = 2
            try:
                expr = parser.expression()
                parser.expect("}")
                if parser.pos == len(value):
                    return expr
            except (_Syntax, RecursionError, ValueError):
                pass
            return Opaque(value[2:-1])
        return parse_expression(value)
    if isinstance(value, bool | int | float) or value is None:
        return Literal(value)
    return Raw(value)


def unquote(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def render(expr: Expr) -> str:
    """An expression as Terraform spells it (for messages)."""
    if isinstance(expr, Ref):
        out = expr.root
        for step in expr.steps:
            out += f".{step}" if isinstance(step, str) else f"[{render(step)}]"
        return out
    if isinstance(expr, Literal):
        return f'"{expr.value}"' if isinstance(expr.value, str) else str(expr.value).lower()
    if isinstance(expr, Template):
        return '"' + "".join(p if isinstance(p, str) else "${" + render(p) + "}" for p in expr.parts) + '"'
    if isinstance(expr, Call):
        return f"{expr.name}({', '.join(render(a) for a in expr.args)})"
    if isinstance(expr, Opaque):
        return expr.text
    return "an expression"


# configuration ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Block:
    kind: str  # resource, data, module
    type: str  # aws_lambda_function ("" for modules)
    name: str
    body: dict[str, Any] = field(hash=False, compare=False)
    location: Location  # the file relative to the project, and the block's line

    @property
    def where(self) -> str:
        """``main.tf:12``, for messages."""
        return str(self.location)


@dataclass
class Config:
    """The ``*.tf`` files of one folder: one Terraform module's source."""

    folder: Path  # absolute
    shown: str  # relative to the project: "." or "modules/lambda"
    resources: dict[tuple[str, str], Block] = field(default_factory=dict)
    data: dict[tuple[str, str], Block] = field(default_factory=dict)
    modules: dict[str, Block] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, tuple[bool, Any]] = field(default_factory=dict)  # name -> (has default, default)
    outputs: dict[str, Any] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)  # "local.x" / "var.x" -> "main.tf:3"
    texts: dict[str, str] = field(default_factory=dict)  # each file as its blocks' locations name it
    providers: list[Block] = field(default_factory=list)  # provider blocks, in file order


def load(folder: Path, shown: str) -> Config:
    import hcl2

    config = Config(folder, shown)
    paths = sorted(folder.glob("*.tf"))
    if len(paths) > MAX_TF_FILES:
        raise DeploymentError(f"{shown}: more than {MAX_TF_FILES} .tf files in one folder")
    for path in paths:
        name = path.name if shown == "." else f"{shown}/{path.name}"
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise DeploymentError(f"{name}: cannot read it ({exc.__class__.__name__})") from None
        if len(text) > MAX_TF_BYTES:
            raise DeploymentError(f"{name}: over the {MAX_TF_BYTES}-byte limit for Terraform files")
        config.texts[name] = text
        try:
            document = hcl2.loads(text)
        except Exception as exc:
            line = getattr(exc, "line", None) or 1
            raise DeploymentError(
                f"{name}:{line}: cannot parse Terraform ({exc.__class__.__name__}); check the file with `terraform validate`"
            ) from None
        for kind, table in (("resource", config.resources), ("data", config.data)):
            for group in document.get(kind, []):
                for rtype, named in group.items():
                    for rname, body in named.items():
                        key = (unquote(rtype), unquote(rname))
                        line = _line_of(text, rf'{kind}\s+"?{re.escape(key[0])}"?\s+"?{re.escape(key[1])}"?')
                        table[key] = Block(kind, key[0], key[1], body, Location(name, line))
        for group in document.get("module", []):
            for mname, body in group.items():
                key_name = unquote(mname)
                line = _line_of(text, rf'module\s+"?{re.escape(key_name)}"?')
                config.modules[key_name] = Block("module", "", key_name, body, Location(name, line))
        for group in document.get("provider", []):
            for pname, body in group.items():
                if isinstance(body, dict):
                    key_name = unquote(pname)
                    line = _line_of(text, rf'provider\s+"?{re.escape(key_name)}"?')
                    config.providers.append(Block("provider", key_name, "", body, Location(name, line)))
        for group in document.get("locals", []):
            for key, value in group.items():
                if key != "__is_block__":
                    config.locals[key] = value
                    line = _line_of(text, rf"^\s*{re.escape(key)}\s*=")
                    config.where[f"local.{key}"] = f"{name}:{line}"
        for group in document.get("variable", []):
            for vname, body in group.items():
                key_name = unquote(vname)
                has_default = isinstance(body, dict) and "default" in body
                config.variables[key_name] = (has_default, body.get("default") if has_default else None)
                line = _line_of(text, rf'variable\s+"?{re.escape(key_name)}"?')
                config.where[f"var.{key_name}"] = f"{name}:{line}"
        for group in document.get("output", []):
            for oname, body in group.items():
                if isinstance(body, dict):
                    config.outputs[unquote(oname)] = body.get("value")
    return config


def _line_of(text: str, pattern: str) -> int:
    match = re.search(pattern, text, re.MULTILINE)
    return text[: match.start()].count("\n") + 1 if match else 1


def block(body: dict[str, Any], name: str) -> dict[str, Any]:
    """A nested block (``environment { ... }``) as python-hcl2 gives it: a list of one dict."""
    value = body.get(name)
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return value if isinstance(value, dict) else {}
