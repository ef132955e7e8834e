"""Extract stage: parse one source file with libcst and lower it to `ir.ModuleIR`.

Consumes the bytes of a file; produces a `ModuleIR` or raises `SourceError` naming the file and
line. Nothing here imports or runs the analysed code.

Line numbers: libcst's `PositionProvider` costs about three times the parse itself on large code
bases, so the lines of calls and definitions are taken from the standard library's `ast` parse of
the same text, matched to the libcst nodes in source order and checked name by name. Where the two
disagree (which the check detects), the module falls back to `PositionProvider`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from policygen.errors import SourceError
from policygen.extract import ir

# Generated modules (protobuf, API clients) run to several MB. libcst's parse grows faster than
# the file: measured on a generated protobuf-style module on this project's 2-core CI machine,
# 1 MB took 2-4 s, 2 MB 7-20 s and 5 MB 50-85 s with 2.9 GB of memory (even the standard
# library's ast took 49 s and 1.6 GB on 20 MB). So a file up to FULL_ANALYSIS_BYTES is analysed in
# full; a larger one, up to MAX_SOURCE_BYTES, is scanned line by line for its top-level names
# (about a second for 20 MB), which is what importing modules need of generated code; above that
# it is skipped. Each case is reported with the file and the limit.
FULL_ANALYSIS_BYTES = 2_000_000
MAX_SOURCE_BYTES = 20_000_000
_AWS_NAMES = re.compile(rb"boto|aws|pynamodb", re.IGNORECASE)


def decode_source(path: str, data: bytes) -> str:
    if len(data) > MAX_SOURCE_BYTES:
        raise SourceError(
            path,
            1,
            f"file is {len(data):,} bytes, over policygen's {MAX_SOURCE_BYTES:,}-byte per-file limit; skipped "
            "(its names and calls are unknown to the analysis)",
        )
    if b"\x00" in data:
        raise SourceError(path, 1, "file contains NUL bytes (binary data with a .py name?); skipped")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(path, line, "file is not valid UTF-8; re-save it as UTF-8") from None


def lower_source(path: str, module_name: str, is_package: bool, data: bytes) -> ir.ModuleIR:
    text = decode_source(path, data)
    if len(data) > FULL_ANALYSIS_BYTES:
        return _names_only(path, module_name, is_package, text, len(data), bool(_AWS_NAMES.search(data)))
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        raise SourceError(
            path, exc.lineno or 1, f"syntax error: {exc.msg} (is this Python 3?)", exc.offset or 0
        ) from None
    except (RecursionError, MemoryError, ValueError):
        raise SourceError(path, 1, "source is too deeply nested or too large to parse") from None
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        raise SourceError(path, exc.raw_line, f"syntax error: {exc.message}", exc.raw_column + 1) from None
    except RecursionError:
        raise SourceError(path, 1, "source is too deeply nested to parse") from None
    positions = _match_positions(module, tree, text)
    try:
        body = _Lowerer(positions).stmts(module.body)
    except RecursionError:
        raise SourceError(path, 1, "source is too deeply nested to analyse") from None
    return ir.ModuleIR(path, module_name, is_package, body, text.count("\n") + 1)


_TOP_DEF = re.compile(r"(?:async\s+)?(def|class)\s+(\w+)")
_TOP_IMPORT = re.compile(r"import\s+(.+)")
_TOP_FROM = re.compile(r"from\s+(\.*)([\w.]*)\s+import\s+(.+)")
_TOP_ASSIGN = re.compile(r"(\w+)\s*(?::[^=]*)?=(?!=)")


def _names_only(
    path: str, module_name: str, is_package: bool, text: str, size: int, mentions_aws: bool
) -> ir.ModuleIR:
    """A large module's top-level names, from its unindented lines: definitions (no bodies),
    imports, and assigned names (opaque values). Enough for ``from big_pb2 import Order``."""
    body: list[ir.Stmt] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        number = index + 1
        index += 1
        if not line or line[0] in " \t#)]}":
            continue
        if match := _TOP_DEF.match(line):
            kind, name = match.groups()
            if kind == "def":
                body.append(ir.FunctionDef(name, (), (), (), number))
            else:
                body.append(ir.ClassDef(name, (), (), (), number))
        elif match := _TOP_FROM.match(line):
            names = match.group(3)
            if names.lstrip().startswith("(") and ")" not in names:
                while index < len(lines) and ")" not in lines[index]:
                    names += " " + lines[index]
                    index += 1
                if index < len(lines):
                    names += " " + lines[index]
                    index += 1
            pairs = []
            for item in names.strip().strip("()").split(","):
                parts = item.split()
                if (parts and parts[0].isidentifier()) or parts[:1] == ["*"]:
                    pairs.append((parts[0], parts[2] if len(parts) == 3 and parts[1] == "as" else None))
            body.append(ir.ImportFrom(match.group(2), len(match.group(1)), tuple(pairs), number))
        elif match := _TOP_IMPORT.match(line):
            for item in match.group(1).split(","):
                parts = item.split()
                if parts:
                    asname = parts[2] if len(parts) == 3 and parts[1] == "as" else None
                    body.append(ir.Import(parts[0], asname, number))
        elif match := _TOP_ASSIGN.match(line):
            body.append(ir.Assign((ir.Name(match.group(1)),), ir.Opaque("a large module's value")))
    why = (
        f"{size:,} bytes, over the {FULL_ANALYSIS_BYTES:,}-byte limit of full analysis: only its top-level "
        "names were read, not the code inside its functions"
    )
    return ir.ModuleIR(
        path, module_name, is_package, tuple(body), len(lines), names_only=why, mentions_aws=mentions_aws
    )


class _Collector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.calls: list[cst.Call] = []
        self.defs: list[cst.FunctionDef | cst.ClassDef] = []
        self.attributes: list[cst.Attribute] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.attributes.append(node)

    def visit_Import(self, node: cst.Import) -> bool:
        return False  # dotted module names are attributes to libcst, not to ast

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.defs.append(node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.defs.append(node)


def _match_positions(module: cst.Module, tree: ast.AST, text: str) -> dict[int, tuple[int, int]]:
    """Each call's, definition's and attribute's (line, column), keyed by the libcst node's id;
    columns 1-based, in characters (ast counts UTF-8 bytes)."""
    collector = _Collector()
    module.visit(collector)
    nodes = list(ast.walk(tree))  # one walk for the three kinds

    def in_source_order(kind: type | tuple[type, ...]) -> list[Any]:
        return sorted(
            (n for n in nodes if isinstance(n, kind)),
            key=lambda n: (n.lineno, n.col_offset, -(n.end_lineno or 0), -(n.end_col_offset or 0)),
        )

    ast_calls = in_source_order(ast.Call)
    ast_defs = in_source_order((ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    ast_attributes = in_source_order(ast.Attribute)
    agree = (
        len(ast_calls) == len(collector.calls)
        and len(ast_defs) == len(collector.defs)
        and len(ast_attributes) == len(collector.attributes)
        and all(_same_callee(c, a) for c, a in zip(collector.calls, ast_calls, strict=True))
        and all(d.name.value == a.name for d, a in zip(collector.defs, ast_defs, strict=True))
        and all(c.attr.value == a.attr for c, a in zip(collector.attributes, ast_attributes, strict=True))
    )
    if agree:
        column = _character_column(text)
        pairs = zip(
            [*collector.calls, *collector.defs, *collector.attributes],
            [*ast_calls, *ast_defs, *ast_attributes],
            strict=True,
        )
        return {id(c): (a.lineno, column(a.lineno, a.col_offset)) for c, a in pairs}
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    return {
        id(node): (positions[node].start.line, positions[node].start.column + 1)
        for node in [*collector.calls, *collector.defs, *collector.attributes]
    }


def _character_column(text: str) -> Callable[[int, int], int]:
    """(line, ast's UTF-8 byte offset) -> 1-based character column."""
    if text.isascii():
        return lambda _line, offset: offset + 1
    lines = re.split(r"\r\n|\r|\n", text)  # the line ends Python's tokenizer counts, no others

    def column(line: int, offset: int) -> int:
        source = lines[line - 1] if 0 < line <= len(lines) else ""
        return len(source.encode("utf-8")[:offset].decode("utf-8", "replace")) + 1

    return column


def _same_callee(node: cst.Call, call: ast.Call) -> bool:
    func = node.func
    if isinstance(func, cst.Name):
        return isinstance(call.func, ast.Name) and call.func.id == func.value
    if isinstance(func, cst.Attribute):
        return isinstance(call.func, ast.Attribute) and call.func.attr == func.attr.value
    return not isinstance(call.func, ast.Name | ast.Attribute)


def _evaluating(value: ir.Expr, *also: ir.Expr) -> ir.Expr:
    """``value``, with ``also`` evaluated beside it: the calls inside a comparison, a ``not`` or a
    conditional's test are made (``if table.item_count > 0``, ``x if s3.head_object(...) else y``)
    though the expression's value is not theirs."""
    return ir.Subscript(ir.SeqExpr((value, *also)), ir.Const(0))


class _Lowerer:
    def __init__(self, positions: dict[int, tuple[int, int]]) -> None:
        self._positions = positions

    def _line(self, node: cst.CSTNode) -> int:
        return self._positions.get(id(node), (0, 0))[0]

    # statements -------------------------------------------------------------------------
    def stmts(
        self, body: Sequence[cst.BaseStatement] | Sequence[cst.BaseSmallStatement]
    ) -> tuple[ir.Stmt, ...]:
        out: list[ir.Stmt] = []
        for index, node in enumerate(body):
            out.extend(self.stmt(node))
            ends = _ends_block(node)
            if ends and index + 1 < len(body):
                rest = self.stmts(body[index + 1 :])
                if rest:
                    out.append(ir.Dead(rest, f"after `{ends}`"))
                break
        return tuple(out)

    def block(self, node: cst.BaseSuite) -> tuple[ir.Stmt, ...]:
        if isinstance(node, cst.IndentedBlock):
            return self.stmts(node.body)
        if isinstance(node, cst.SimpleStatementSuite):
            return self.stmts(node.body)
        return ()

    def stmt(self, node: cst.CSTNode) -> Iterator[ir.Stmt]:
        if isinstance(node, cst.SimpleStatementLine):
            yield from self.stmts(node.body)
        elif isinstance(node, cst.Expr):
            yield ir.ExprStmt(self.expr(node.value))
        elif isinstance(node, cst.Assign):
            yield ir.Assign(tuple(self.expr(t.target) for t in node.targets), self.expr(node.value))
        elif isinstance(node, cst.AnnAssign):
            if node.value is not None:
                yield ir.Assign((self.expr(node.target),), self.expr(node.value))
            else:  # a bare annotation: a dataclass field without default, or a declaration
                yield ir.Assign(
                    (self.expr(node.target),),
                    ir.Opaque("annotation:" + _annotation(node.annotation.annotation)),
                )
        elif isinstance(node, cst.AugAssign):
            op = "+" if isinstance(node.operator, cst.AddAssign) else "?"
            target = self.expr(node.target)
            yield ir.Assign((target,), ir.BinOp(op, target, self.expr(node.value)), augmented=True)
        elif isinstance(node, cst.Return):
            yield ir.Return(self.expr(node.value) if node.value else ir.Const(None))
        elif isinstance(node, cst.Global):
            yield ir.Global(tuple(n.name.value for n in node.names))
        elif isinstance(node, cst.Import):
            for alias in node.names:
                asname = (
                    alias.asname.name.value
                    if alias.asname and isinstance(alias.asname.name, cst.Name)
                    else None
                )
                yield ir.Import(_dotted(alias.name), asname, 0)
        elif isinstance(node, cst.ImportFrom):
            yield self.import_from(node)
        elif isinstance(node, cst.Raise) and node.exc is not None:
            yield ir.ExprStmt(self.expr(node.exc))
        elif isinstance(node, cst.Assert):
            yield ir.ExprStmt(self.expr(node.test))
        elif isinstance(node, cst.FunctionDef):
            yield self.function(node)
        elif isinstance(node, cst.ClassDef):
            yield ir.ClassDef(
                node.name.value,
                tuple(self.expr(a.value) for a in node.bases),
                self.block(node.body),
                tuple(self.expr(d.decorator) for d in node.decorators),
                self._line(node),
            )
        elif isinstance(node, cst.If):
            yield self.if_chain(node)
        elif isinstance(node, cst.For):
            body = self.block(node.body) + (self.block(node.orelse.body) if node.orelse else ())
            yield ir.For(self.expr(node.target), self.expr(node.iter), body)
        elif isinstance(node, cst.While):
            body = self.block(node.body) + (self.block(node.orelse.body) if node.orelse else ())
            yield ir.Branches((self.expr(node.test),), (body, ()))
        elif isinstance(node, cst.Try | cst.TryStar):
            bodies = [self.block(node.body) + (self.block(node.orelse.body) if node.orelse else ())]
            bodies.extend(self.block(h.body) for h in node.handlers)
            yield ir.Branches((), (*bodies, ()))
            if node.finalbody:
                yield from self.block(node.finalbody.body)
        elif isinstance(node, cst.With):
            items = tuple(
                (self.expr(i.item), self.expr(i.asname.name) if i.asname else None) for i in node.items
            )
            yield ir.With(items, self.block(node.body))
        elif isinstance(node, cst.Match):
            yield ir.Branches((self.expr(node.subject),), (*(self.block(c.body) for c in node.cases), ()))

    def import_from(self, node: cst.ImportFrom) -> ir.ImportFrom:
        module = _dotted(node.module) if node.module else ""
        level = len(node.relative)
        if isinstance(node.names, cst.ImportStar):
            names: tuple[tuple[str, str | None], ...] = (("*", None),)
        else:
            names = tuple(
                (
                    _dotted(a.name),
                    a.asname.name.value if a.asname and isinstance(a.asname.name, cst.Name) else None,
                )
                for a in node.names
            )
        return ir.ImportFrom(module, level, names, 0)

    def if_chain(self, node: cst.If) -> ir.Branches:
        tests: list[ir.Expr] = []
        bodies: list[tuple[ir.Stmt, ...]] = []
        current: cst.If | cst.Else | None = node
        while isinstance(current, cst.If):
            tests.append(self.expr(current.test))
            body = self.block(current.body)
            never = _never_true(current.test)
            bodies.append((ir.Dead(body, f"under `if {never}:`"),) if never and body else body)
            current = current.orelse
        bodies.append(self.block(current.body) if isinstance(current, cst.Else) else ())
        return ir.Branches(tuple(tests), tuple(bodies))

    def function(self, node: cst.FunctionDef) -> ir.FunctionDef:
        return ir.FunctionDef(
            node.name.value,
            self.function_params(node.params),
            self.block(node.body),
            tuple(self.expr(d.decorator) for d in node.decorators),
            self._line(node),
        )

    def function_params(self, p: cst.Parameters) -> tuple[ir.Param, ...]:
        params: list[ir.Param] = []
        for param in (*p.posonly_params, *p.params):
            params.append(self.param(param, "normal"))
        if isinstance(p.star_arg, cst.Param):
            params.append(self.param(p.star_arg, "star"))
        for param in p.kwonly_params:
            params.append(self.param(param, "kwonly"))
        if p.star_kwarg is not None:
            params.append(self.param(p.star_kwarg, "kwargs"))
        return tuple(params)

    def param(self, node: cst.Param, kind: str) -> ir.Param:
        default = self.expr(node.default) if node.default is not None else None
        annotation = _annotation(node.annotation.annotation) if node.annotation else None
        return ir.Param(node.name.value, default, annotation, kind)

    # expressions ------------------------------------------------------------------------
    def expr(self, node: cst.BaseExpression | cst.CSTNode | None) -> ir.Expr:
        if node is None:
            return ir.Opaque()
        if isinstance(node, cst.Name):
            if node.value in ("True", "False", "None"):
                return ir.Const({"True": True, "False": False, "None": None}[node.value])
            return ir.Name(node.value)
        if isinstance(node, cst.Attribute):
            return ir.Attr(self.expr(node.value), node.attr.value, self._line(node))
        if isinstance(node, cst.Call):
            return self.call(node)
        if isinstance(node, cst.SimpleString):
            value = node.evaluated_value
            return ir.Const(value) if isinstance(value, str) else ir.Opaque("bytes")
        if isinstance(node, cst.ConcatenatedString):
            return ir.BinOp("+", self.expr(node.left), self.expr(node.right))
        if isinstance(node, cst.FormattedString):
            parts: list[str | ir.Expr] = []
            for part in node.parts:
                if isinstance(part, cst.FormattedStringText):
                    parts.append(part.value.replace("{{", "{").replace("}}", "}"))
                elif isinstance(part, cst.FormattedStringExpression):
                    parts.append(self.expr(part.expression))
            return ir.FString(tuple(parts))
        if isinstance(node, cst.Integer):
            return ir.Const(node.evaluated_value)
        if isinstance(node, cst.Subscript):
            index: ir.Expr = ir.Opaque("slice")
            if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
                index = self.expr(node.slice[0].slice.value)
            return ir.Subscript(self.expr(node.value), index)
        if isinstance(node, cst.BinaryOperation):
            op = (
                "+"
                if isinstance(node.operator, cst.Add)
                else "%"
                if isinstance(node.operator, cst.Modulo)
                else "?"
            )
            return ir.BinOp(op, self.expr(node.left), self.expr(node.right))
        if isinstance(node, cst.BooleanOperation):
            return ir.Choice((self.expr(node.left), self.expr(node.right)))
        if isinstance(node, cst.IfExp):
            choice = ir.Choice((self.expr(node.body), self.expr(node.orelse)))
            return _evaluating(choice, self.expr(node.test))
        if isinstance(node, cst.Dict):
            items: list[tuple[ir.Expr | None, ir.Expr]] = []
            for element in node.elements:
                if isinstance(element, cst.DictElement):
                    items.append((self.expr(element.key), self.expr(element.value)))
                elif isinstance(element, cst.StarredDictElement):
                    items.append((None, self.expr(element.value)))
            return ir.DictExpr(tuple(items))
        if isinstance(node, cst.List | cst.Tuple | cst.Set):
            return ir.SeqExpr(tuple(self.expr(e.value) for e in node.elements if isinstance(e, cst.Element)))
        if isinstance(node, cst.ListComp | cst.SetComp | cst.GeneratorExp):
            return self.comprehension(self.expr(node.elt), None, node.for_in)
        if isinstance(node, cst.DictComp):
            return self.comprehension(self.expr(node.value), self.expr(node.key), node.for_in)
        if isinstance(node, cst.Lambda):
            return ir.Lambda(self.expr(node.body), self.function_params(node.params))
        if isinstance(node, cst.Await):
            return self.expr(node.expression)
        if isinstance(node, cst.NamedExpr):
            return self.expr(node.value)
        if isinstance(node, cst.UnaryOperation):
            return _evaluating(ir.Opaque("unary"), self.expr(node.expression))
        if isinstance(node, cst.Comparison):
            operands = [self.expr(node.left), *(self.expr(c.comparator) for c in node.comparisons)]
            return _evaluating(ir.Opaque("comparison"), *operands)
        return ir.Opaque(type(node).__name__)

    def comprehension(self, elt: ir.Expr, key: ir.Expr | None, for_in: cst.CompFor | None) -> ir.Comp:
        generators: list[tuple[ir.Expr, ir.Expr]] = []
        conditions: list[ir.Expr] = []
        while for_in is not None:
            generators.append((self.expr(for_in.target), self.expr(for_in.iter)))
            conditions.extend(self.expr(i.test) for i in for_in.ifs)
            for_in = for_in.inner_for_in
        return ir.Comp(elt, key, tuple(generators), tuple(conditions))

    def call(self, node: cst.Call) -> ir.Call:
        args: list[ir.Expr] = []
        kwargs: list[tuple[str | None, ir.Expr]] = []
        star = False
        for arg in node.args:
            value = self.expr(arg.value)
            if arg.keyword is not None:
                kwargs.append((arg.keyword.value, value))
            elif arg.star == "**":
                kwargs.append((None, value))
            elif arg.star == "*":
                star = True
            else:
                args.append(value)
        line, column = self._positions.get(id(node), (0, 0))
        return ir.Call(self.expr(node.func), tuple(args), tuple(kwargs), line, star, column)


_ENDS = {cst.Return: "return", cst.Raise: "raise", cst.Continue: "continue", cst.Break: "break"}


def _ends_block(node: cst.CSTNode) -> str | None:
    """The keyword after which the rest of the block never runs, if ``node`` is one."""
    smalls = node.body if isinstance(node, cst.SimpleStatementLine) else (node,)
    for small in smalls:
        for kind, word in _ENDS.items():
            if isinstance(small, kind):
                return word
    return None


def _never_true(test: cst.BaseExpression) -> str | None:
    """How a test that is false whenever Lambda runs the code reads (``__name__ == "__main__"``:
    Lambda imports the handler's module; ``TYPE_CHECKING`` is False at run time)."""
    if isinstance(test, cst.Name) and test.value in {"False", "TYPE_CHECKING"}:
        return test.value
    if isinstance(test, cst.Attribute) and test.attr.value == "TYPE_CHECKING":
        return _dotted(test)
    if isinstance(test, cst.Integer) and test.evaluated_value == 0:
        return "0"
    if (
        isinstance(test, cst.Comparison)
        and len(test.comparisons) == 1
        and isinstance(test.comparisons[0].operator, cst.Equal)
    ):
        sides = [test.left, test.comparisons[0].comparator]
        names = [s for s in sides if isinstance(s, cst.Name) and s.value == "__name__"]
        strings = [s for s in sides if isinstance(s, cst.SimpleString) and s.evaluated_value == "__main__"]
        if names and strings:
            return '__name__ == "__main__"'
    return None


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return _dotted(node.value) + "." + node.attr.value
    return ""


def _annotation(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else ""
    if isinstance(node, cst.Subscript):
        return _dotted(node.value)
    return _dotted(node)
