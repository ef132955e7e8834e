"""Resolve stage: abstract interpretation of the lowered modules of one code directory.

Consumes `ir.ModuleIR`s and the deployment environment; produces every `SdkCall` the code can
make (with its arguments resolved as far as the code and environment allow), every `Unresolved`
thing it saw, and the call graph (networkx) used for reachability from the handler.

The analysis is flow-insensitive within a scope (a name holds every value assigned to it) and
context-insensitive across calls (a parameter holds every value passed to it anywhere). It runs
to a fixed point with a worklist: when a parameter, return value, attribute or module global gains
a value, the functions that read it are evaluated again. Nothing is imported or executed.
"""

from __future__ import annotations

import collections
import fnmatch
import functools
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TypeGuard

import networkx as nx

from policygen import mapping
from policygen.extract import ir
from policygen.model import (
    Argument,
    ArgValue,
    CallKind,
    DictValue,
    Hole,
    Location,
    SdkCall,
    Text,
    Unresolved,
)
from policygen.resolve import callbacks, containers, credentials, sdk, wrappers
from policygen.resolve.values import (
    EMPTY,
    MAX_ALTERNATIVES,
    BatchWriterV,
    BoundMethod,
    ClassRef,
    ClientV,
    CollectionV,
    CredentialsV,
    DictV,
    DynamicSdkMethod,
    External,
    FuncKey,
    FuncRef,
    Instance,
    LambdaV,
    ModuleRef,
    Other,
    PaginatorV,
    PartialV,
    ResourceV,
    SdkMethod,
    SeqV,
    SessionV,
    Str,
    Unknown,
    Value,
    Values,
    WaiterV,
    WrapperV,
    bound_all,
    bounded,
    in_stable_order,
    one,
    text_of,
    texts,
    union,
    unknown,
)

MODULE_SCOPE = "<module>"
UNREACHABLE_SUFFIX = ".<never runs>"  # the record key of statements that can never run
MAX_EVALUATIONS_PER_FUNCTION = 12
MAX_INLINE_DEPTH = 2
EVALUATIONS_PER_FUNCTION_BUDGET = 4  # on average; a whole-program bound on the fixed point
MAX_INLINE_STATEMENTS = 40
MAX_LAMBDA_DEPTH = 4
MAX_CANDIDATES_SHOWN = 8  # operations a computed method name can be, named in its unresolved item
FACTORY_ATTRIBUTES = {
    "client",
    "resource",
    "create_client",
    "Session",
    "Table",
    "Bucket",
    "Queue",
    "Object",
    "Topic",
}
StateKey = tuple[str, ...]


@dataclass
class FunctionInfo:
    key: FuncKey
    node: ir.FunctionDef
    module: str
    cls: FuncKey | None
    parent: FuncKey | None  # enclosing function, for closures


@dataclass
class ClassInfo:
    key: FuncKey
    node: ir.ClassDef
    module: str
    methods: dict[str, FuncKey] = field(default_factory=dict)
    body_names: dict[str, Values] = field(default_factory=dict)
    fields: list[str] = field(default_factory=list)  # dataclass fields, in order
    bases: list[FuncKey] = field(default_factory=list)
    is_dataclass: bool = False


@dataclass
class Resolution:
    calls: list[tuple[SdkCall, FuncKey]]
    unresolved: list[tuple[Unresolved, FuncKey]]
    graph: nx.DiGraph
    functions: dict[FuncKey, FunctionInfo]
    exhausted: int = 0  # functions still waiting for re-evaluation when the budget ran out


class Program:
    def __init__(
        self,
        modules: Mapping[str, ir.ModuleIR],
        environment: Mapping[str, str | tuple[Text, ...]],
        arguments: Mapping[FuncKey, tuple[Values, ...]] | None = None,
        entries: Iterable[FuncKey] = (),
    ) -> None:
        self.modules = dict(modules)
        # What a caller outside the code passes (Lambda calling the handler with its event).
        self.arguments = dict(arguments or {})
        # Functions something outside the code calls (the Lambda handler): whatever the code's own
        # callers (a test, a local runner) pass them, they also get the arguments Lambda passes
        # (``arguments``, else unknown), and what they do is recorded under their own name, never
        # folded into such a caller.
        self.entries = frozenset(entries)
        # Each variable's possible values: a deployment template may leave part of one unknown.
        self.environment = {
            k: (Text.of(v),) if isinstance(v, str) else tuple(v) for k, v in environment.items()
        }
        self.functions: dict[FuncKey, FunctionInfo] = {}
        self.classes: dict[FuncKey, ClassInfo] = {}
        self.state: dict[StateKey, Values] = {}
        self.readers: dict[StateKey, set[FuncKey]] = collections.defaultdict(set)
        self.local_envs: dict[FuncKey, dict[str, Values]] = {}
        self.worklist: collections.deque[FuncKey] = collections.deque()
        self.queued: set[FuncKey] = set()
        self.evaluations: collections.Counter[FuncKey] = collections.Counter()
        self.graph: nx.DiGraph = nx.DiGraph()
        # What each function's latest evaluation found: an earlier one saw less (values still empty).
        self.calls: dict[FuncKey, dict[tuple[int, str, str, str, str, str], SdkCall]] = (
            collections.defaultdict(dict)
        )
        self.unresolved: dict[FuncKey, dict[tuple[int, str, str], Unresolved]] = collections.defaultdict(dict)
        self.module_names: dict[str, set[str]] = {}
        self.inlined: set[FuncKey] = set()
        self.exhausted = 0  # evaluations left undone when the budget ran out
        self._factories: dict[FuncKey, bool] = {}
        self.mutated_params: dict[FuncKey, set[str]] = {}  # parameters a function changes in place

    def note_mutation(self, key: FuncKey, param: str) -> None:
        """``key`` changes the list or dict passed as ``param``: its callers apply that change
        to what they passed (they read it as they are evaluated again)."""
        changed = self.mutated_params.setdefault(key, set())
        if param not in changed:
            changed.add(param)
            for caller in sorted(self.graph.predecessors(key)) if key in self.graph else ():
                live = (caller[0], caller[1].removesuffix(UNREACHABLE_SUFFIX))
                if live in self.functions or live[1] == MODULE_SCOPE:
                    self._enqueue(live)

    def is_factory(self, key: FuncKey) -> bool:
        """A small top-level function or method that makes a client or resource: worth
        evaluating per call site."""
        if key not in self._factories:
            info = self.functions[key]
            if key in self.entries:
                self._factories[key] = False
                return False
            statements = list(_walk_statements(info.node.body))
            self._factories[key] = (
                info.parent is None
                and len(statements) <= MAX_INLINE_STATEMENTS
                and not any(isinstance(s, ir.FunctionDef | ir.ClassDef | ir.Global) for s in statements)
                and any(_makes_clients(s) for s in statements)
            )
        return self._factories[key]

    def _import_order(self) -> list[str]:
        """Modules with the ones they import first, so most globals are known when read."""
        graph = nx.DiGraph()
        for name, module in sorted(self.modules.items()):
            graph.add_node(name)
            for stmt in module.body:
                targets: list[str] = []
                if isinstance(stmt, ir.Import):
                    targets = [stmt.module]
                elif isinstance(stmt, ir.ImportFrom):
                    base = self.resolve_import(stmt.module, stmt.level, name)
                    targets = [base, *(f"{base}.{n}" for n, _ in stmt.names)]
                for target in targets:
                    if target in self.modules and target != name:
                        graph.add_edge(target, name)
        condensed = nx.condensation(graph)
        order = []
        for component in nx.lexicographical_topological_sort(
            condensed, key=lambda c: min(condensed.nodes[c]["members"])
        ):
            order.extend(sorted(condensed.nodes[component]["members"]))
        return order

    # driver --------------------------------------------------------------------------------
    def run(self) -> Resolution:
        for name in sorted(self.modules):
            self.graph.add_node((name, MODULE_SCOPE))
            self._collect_defs(self.modules[name].body, name, None, None, "")
            self.module_names[name] = _assigned_names(self.modules[name].body)
        for key, given in sorted(self.arguments.items()):
            if key in self.functions:
                for param, values in zip(self.functions[key].node.params, given, strict=False):
                    # Not cut to MAX_NESTING: an event's records nest deeper than values code builds.
                    self.state[("param", *key, param.name)] = values
        for name in self._import_order():
            self._enqueue((name, MODULE_SCOPE))
        for key in sorted(self.functions):
            self._enqueue(key)
        budget = EVALUATIONS_PER_FUNCTION_BUDGET * (len(self.functions) + len(self.modules)) + 1000
        while self.worklist:
            if sum(self.evaluations.values()) >= budget:
                self.exhausted = len(self.worklist)
                break
            key = self.worklist.popleft()
            self.queued.discard(key)
            if self.evaluations[key] >= MAX_EVALUATIONS_PER_FUNCTION:
                continue
            self.evaluations[key] += 1
            self.calls.pop(key, None)
            self.unresolved.pop(key, None)
            self._evaluate(key)
        # A helper evaluated per call site: its own context-free evaluation (all call sites'
        # arguments merged) only adds noise; what it does is recorded under each caller.
        for key in self.inlined:
            self.calls.pop(key, None)
            self.unresolved.pop(key, None)
        return Resolution(
            [(call, where) for where in sorted(self.calls) for _, call in sorted(self.calls[where].items())],
            [
                (item, where)
                for where in sorted(self.unresolved)
                for _, item in sorted(self.unresolved[where].items())
            ],
            self.graph,
            self.functions,
            self.exhausted,
        )

    def _enqueue(self, key: FuncKey) -> None:
        if key not in self.queued:
            self.queued.add(key)
            self.worklist.append(key)

    def _read(self, key: StateKey, reader: FuncKey) -> Values:
        self.readers[key].add(reader)
        return self.state.get(key, EMPTY)

    def _write(self, key: StateKey, values: Values) -> None:
        old = self.state.get(key, EMPTY)
        new = union(old, bound_all(values))
        if new != old:
            self.state[key] = new
            for reader in sorted(self.readers.get(key, ())):  # sorted: the same order in every run
                self._enqueue(reader)

    # definitions ---------------------------------------------------------------------------
    def _collect_defs(
        self, body: Iterable[ir.Stmt], module: str, cls: FuncKey | None, parent: FuncKey | None, prefix: str
    ) -> None:
        for stmt in body:
            if isinstance(stmt, ir.FunctionDef):
                key = (module, prefix + stmt.name)
                self.functions[key] = FunctionInfo(key, stmt, module, cls, parent)
                self.graph.add_node(key)
                self._collect_defs(stmt.body, module, None, key, prefix + stmt.name + ".<locals>.")
                if cls is not None:
                    self.classes[cls].methods[stmt.name] = key
            elif isinstance(stmt, ir.ClassDef):
                key = (module, prefix + stmt.name)
                info = ClassInfo(key, stmt, module)
                info.is_dataclass = any(
                    _decorator_name(d) in {"dataclass", "dataclasses.dataclass"} for d in stmt.decorators
                )
                for s in stmt.body:
                    if isinstance(s, ir.Assign) and len(s.targets) == 1 and isinstance(s.targets[0], ir.Name):
                        info.fields.append(s.targets[0].id)
                self.classes[key] = info
                self._collect_defs(stmt.body, module, key, parent, prefix + stmt.name + ".")
            elif isinstance(stmt, ir.Branches):
                for b in stmt.bodies:
                    self._collect_defs(b, module, cls, parent, prefix)
            elif isinstance(stmt, ir.For | ir.With | ir.Dead):
                self._collect_defs(stmt.body, module, cls, parent, prefix)

    # evaluation ----------------------------------------------------------------------------
    def _evaluate(self, key: FuncKey) -> None:
        module_name, qualname = key
        if qualname == MODULE_SCOPE:
            frame = Frame(self, key, module_name, None, is_module=True)
            frame.exec_block(self.modules[module_name].body)
            return
        info = self.functions[key]
        frame = Frame(self, key, info.module, info.cls)
        for index, param in enumerate(info.node.params):
            values = self._read(("param", *key, param.name), key)
            if index == 0 and info.cls is not None and param.kind == "normal" and not _is_static(info.node):
                values = union(values, one(Instance(info.cls)))
            if param.default is not None:
                values = union(values, frame.eval(param.default))
            if param.kind == "kwargs":
                values = union(values, one(DictV((), complete=False)))
            if not values or (key in self.entries and index >= len(self.arguments.get(key, ()))):
                values = union(values, unknown(f"parameter '{param.name}' of {qualname}()"))
            frame.locals[param.name] = values
        frame.exec_block(info.node.body)
        self.local_envs[key] = frame.locals

    # records -------------------------------------------------------------------------------
    def record_call(self, call: SdkCall, where: FuncKey, arguments_text: str | None = None) -> None:
        # One line may make the call on several clients (``replica if failover else primary``)
        # or resources: each is its own call, kept apart by its region and arguments.
        region = str(call.region) if call.region is not None else ""
        key = (
            call.location.line,
            call.service,
            call.method,
            call.note,
            region + "@" + (call.principal or ""),
            _arguments_text(call.arguments) if arguments_text is None else arguments_text,
        )
        self.calls[where][key] = call

    def record_unresolved(self, item: Unresolved, where: FuncKey) -> None:
        self.unresolved[where][(item.location.line, item.reason, item.detail)] = item

    def module_path(self, module: str) -> str:
        return self.modules[module].path

    def resolve_import(self, module: str, level: int, importer: str) -> str:
        if level == 0:
            return module
        base = importer.split(".")
        if not self.modules[importer].is_package:
            base = base[:-1]
        if level > 1:
            base = base[: len(base) - (level - 1)]
        return ".".join([*base, module] if module else base)


def _walk_statements(body: Iterable[ir.Stmt]) -> Iterator[ir.Stmt]:
    for stmt in body:
        yield stmt
        if isinstance(stmt, ir.Branches):
            for inner in stmt.bodies:
                yield from _walk_statements(inner)
        elif isinstance(stmt, ir.For | ir.With):
            yield from _walk_statements(stmt.body)


def _names_read(expr: object) -> set[str]:
    """The names an expression reads (for what a lambda takes from its enclosing function)."""
    names: set[str] = set()
    todo = [expr]
    while todo:
        node = todo.pop()
        if isinstance(node, ir.Name):
            names.add(node.id)
        elif isinstance(node, tuple):
            todo.extend(node)
        elif hasattr(node, "__slots__") and not isinstance(node, ir.Const | ir.Opaque | str):
            todo.extend(getattr(node, slot) for slot in node.__slots__)
    return names


def _makes_clients(stmt: ir.Stmt) -> bool:
    exprs: list[object] = []
    if isinstance(stmt, ir.Assign):
        exprs = [stmt.value]
    elif isinstance(stmt, ir.Return | ir.ExprStmt):
        exprs = [stmt.value if isinstance(stmt, ir.Return) else stmt.expr]
    while exprs:
        expr = exprs.pop()
        if isinstance(expr, ir.Call):
            func = expr.func
            if (isinstance(func, ir.Attr) and func.attr in FACTORY_ATTRIBUTES) or (
                isinstance(func, ir.Name) and func.id in FACTORY_ATTRIBUTES
            ):
                return True
            exprs.append(func)
            exprs.extend(expr.args)
        elif isinstance(expr, ir.Attr):
            exprs.append(expr.value)
        elif isinstance(expr, ir.Choice):
            exprs.extend(expr.options)
    return False


def _assigned_names(body: Iterable[ir.Stmt]) -> set[str]:
    names: set[str] = set()
    for stmt in body:
        if isinstance(stmt, ir.Assign):
            for target in stmt.targets:
                if isinstance(target, ir.Name):
                    names.add(target.id)
                elif isinstance(target, ir.SeqExpr):
                    names.update(t.id for t in target.items if isinstance(t, ir.Name))
        elif isinstance(stmt, ir.Import):
            names.add(stmt.asname or stmt.module.split(".")[0])
        elif isinstance(stmt, ir.ImportFrom):
            names.update(asname or name for name, asname in stmt.names)
        elif isinstance(stmt, ir.FunctionDef | ir.ClassDef):
            names.add(stmt.name)
        elif isinstance(stmt, ir.Branches):
            for body_ in stmt.bodies:
                names |= _assigned_names(body_)
        elif isinstance(stmt, ir.For | ir.With):
            names |= _assigned_names(stmt.body)
    return names


def _decorator_name(expr: ir.Expr) -> str:
    if isinstance(expr, ir.Call):
        expr = expr.func
    parts = []
    while isinstance(expr, ir.Attr):
        parts.append(expr.attr)
        expr = expr.value
    if isinstance(expr, ir.Name):
        parts.append(expr.id)
    return ".".join(reversed(parts))


def _is_static(node: ir.FunctionDef) -> bool:
    return any(_decorator_name(d) == "staticmethod" for d in node.decorators)


_UNQUOTE = {"urllib.parse.unquote": "%", "urllib.parse.unquote_plus": "%+"}
_HEX = frozenset("0123456789abcdefABCDEF")


def _unquoted(text: Text, qualname: str) -> Text:
    """``unquote(key)``/``unquote_plus(key)`` of a partly known string. A known string is decoded;
    otherwise known text with no ``%`` (nor ``+`` for unquote_plus) comes out unchanged (an S3 event
    key keeps its filter's prefix and suffix), except the one or two hex digits right after a hole,
    which may end an escape that began in it; any other known text becomes part of a hole."""
    special = _UNQUOTE[qualname]
    known = text.known
    if known is not None:
        return Text.of(urllib.parse.unquote_plus(known) if "+" in special else urllib.parse.unquote(known))
    hole = Hole(f"{qualname}() of {text}")
    parts: list[str | Hole] = []
    for index, part in enumerate(text.parts):
        if isinstance(part, Hole):
            parts.append(part)
            continue
        if any(c in part for c in special):
            parts.append(hole)
            continue
        if index and isinstance(text.parts[index - 1], Hole):
            digits = len(part) - len(part.lstrip("".join(sorted(_HEX))))
            if digits:
                parts.append(hole)
                part = part[min(digits, 2) :]
        parts.append(part)
    return Text.join(*parts)


class Frame:
    """One evaluation of one function body (or module body)."""

    def __init__(
        self, program: Program, key: FuncKey, module: str, cls: FuncKey | None, is_module: bool = False
    ) -> None:
        self.p = program
        self.key = key
        self.module = module
        self.cls = cls
        self.is_module = is_module
        self.locals: dict[str, Values] = {}
        self.globals_declared: set[str] = set()
        self.path = program.module_path(module)
        self.function: FunctionInfo | None = program.functions.get(key)  # whose body this frame runs
        self.returns: list[Values] | None = None  # set: an inlined body, its return values
        self.depth = 0
        # Statements that never run are evaluated in a frame of their own: what they call is
        # recorded under `record_key`, which nothing reaches, and they change no shared state.
        self.dead = ""  # set: why this frame's statements never run
        self.record_key = key

    def write(self, key: StateKey, values: Values) -> None:
        if not self.dead:
            self.p._write(key, values)

    def exec_dead(self, stmt: ir.Dead) -> None:
        dead = Frame(self.p, self.key, self.module, self.cls, self.is_module)
        dead.function, dead.returns, dead.depth = self.function, [], self.depth
        dead.locals = dict(self.locals)
        dead.globals_declared = set(self.globals_declared)
        dead.dead = f"never runs: {stmt.why}"
        dead.record_key = (self.record_key[0], self.record_key[1] + UNREACHABLE_SUFFIX)
        dead.exec_block(stmt.body)

    # statements ----------------------------------------------------------------------------
    def exec_block(self, body: Iterable[ir.Stmt], replace: bool = True) -> None:
        for stmt in body:
            self.exec(stmt, replace)

    def exec(self, stmt: ir.Stmt, replace: bool) -> None:
        self.replacing = replace
        if isinstance(stmt, ir.Assign):
            value = self.eval(stmt.value)
            for target in stmt.targets:
                if (
                    stmt.augmented
                    and isinstance(stmt.value, ir.BinOp)
                    and any(isinstance(v, SeqV | DictV) for v in value)
                ):  # ``items += [...]`` extends the list in place
                    more = self.eval(stmt.value.right)
                    self.mutate(target, functools.partial(containers.concatenated, right=more, iterate=self.iterate))
                else:
                    self.assign(target, value, replace and not stmt.augmented)
        elif isinstance(stmt, ir.ExprStmt):
            self.eval(stmt.expr)
        elif isinstance(stmt, ir.Return):
            if self.returns is not None:
                self.returns.append(self.eval(stmt.value))
            elif not self.is_module:
                self.write(("return", *self.key), self.eval(stmt.value))
        elif isinstance(stmt, ir.Global):
            self.globals_declared.update(stmt.names)
        elif isinstance(stmt, ir.Import):
            self.do_import(stmt)
        elif isinstance(stmt, ir.ImportFrom):
            self.do_import_from(stmt)
        elif isinstance(stmt, ir.FunctionDef):
            fkey = self.def_key(stmt.name)
            for decorator in stmt.decorators:
                self.eval(decorator)
            self.assign(ir.Name(stmt.name), one(FuncRef(fkey)), replace)
        elif isinstance(stmt, ir.ClassDef):
            ckey = self.def_key(stmt.name)
            for base in stmt.bases:
                for base_value in self.eval(base):
                    if isinstance(base_value, ClassRef) and base_value.key not in self.p.classes[ckey].bases:
                        self.p.classes[ckey].bases.append(base_value.key)
            self.exec_class_body(ckey, stmt)
            self.assign(ir.Name(stmt.name), one(ClassRef(ckey)), replace)
        elif isinstance(stmt, ir.Branches):
            for test in stmt.tests:
                self.eval(test)
            for body in stmt.bodies:
                self.exec_block(body, replace=False)
        elif isinstance(stmt, ir.For):
            self.assign(stmt.target, self.iterate(self.eval(stmt.iter)), replace=False)
            self.exec_block(stmt.body, replace=False)
        elif isinstance(stmt, ir.Dead):
            self.exec_dead(stmt)
        elif isinstance(stmt, ir.With):
            for item, alias in stmt.items:
                entered = self.eval(item)
                if alias is not None:
                    self.assign(alias, entered, replace)
            self.exec_block(stmt.body, replace)

    def def_key(self, name: str) -> FuncKey:
        if self.is_module:
            return (self.module, name)
        return (self.module, self.key[1] + ".<locals>." + name)

    def exec_class_body(self, ckey: FuncKey, node: ir.ClassDef) -> None:
        info = self.p.classes[ckey]
        for stmt in node.body:
            if (
                isinstance(stmt, ir.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ir.Name)
            ):
                value = self.eval(stmt.value)
                name = stmt.targets[0].id
                value = union(value, self.field_default(stmt.value))
                info.body_names[name] = union(info.body_names.get(name, EMPTY), value)
                self.write(("attr", *ckey, name), value)
            elif isinstance(stmt, ir.FunctionDef):
                for decorator in stmt.decorators:
                    self.eval(decorator)

    def field_default(self, expr: ir.Expr) -> Values:
        """``field(default_factory=lambda: boto3.client("s3"))``: the value the factory makes."""
        if isinstance(expr, ir.Call):
            for name, arg in expr.kwargs:
                if name == "default_factory":
                    return self.call_values(self.eval(arg), (), {}, expr.line)
        return EMPTY

    def assign(self, target: ir.Expr, values: Values, replace: bool) -> None:
        if isinstance(target, ir.Name):
            name = target.id
            if self.is_module or name in self.globals_declared:
                self.write(("global", self.module, name), values)
                if self.is_module:
                    self.locals[name] = union(self.locals.get(name, EMPTY), values)
                return
            self.locals[name] = values if replace else union(self.locals.get(name, EMPTY), values)
        elif isinstance(target, ir.Attr):
            for owner in self.eval(target.value):
                if isinstance(owner, Instance):
                    self.write(("attr", *owner.cls, target.attr), values)
                elif isinstance(owner, ClassRef):
                    self.write(("attr", *owner.key, target.attr), values)
                elif isinstance(owner, ModuleRef) and owner.name in self.p.modules:
                    self.write(("global", owner.name, target.attr), values)
        elif isinstance(target, ir.Subscript):
            keys = self.eval(target.index)
            self.mutate(target.value, lambda current: containers.with_items(current, keys, values))
        elif isinstance(target, ir.SeqExpr):
            for index, element in enumerate(target.items):
                self.assign(element, self.index(values, one(Other(index))), replace)

    replacing = True  # whether the statement being run replaces a name's value (else: may)

    def mutate(self, target: ir.Expr, change: Callable[[Values], Values]) -> None:
        """Change in place the list or dict ``target`` names (``items.append(x)``,
        ``request[table] = ...``, ``groups.setdefault(k, []).append(x)``, ``self.batch += ...``)."""
        if isinstance(target, ir.Call) and isinstance(target.func, ir.Attr) and target.func.attr == "setdefault":
            if target.args:  # ``d.setdefault(k, default)``: the entry, created from the default
                default = self.eval(target.args[1]) if len(target.args) > 1 else one(Other(None))
                target = ir.Subscript(target.func.value, target.args[0])
                self._mutate_entry(target, change, default)
            return
        if isinstance(target, ir.Subscript):
            self._mutate_entry(target, change, EMPTY)
            return
        if isinstance(target, ir.Attr):
            self.assign(target, change(self.eval(target)), replace=False)
            return
        if not isinstance(target, ir.Name):
            return
        name = target.id
        if self.is_module or name in self.globals_declared:
            self.assign(target, change(self.lookup(name)), replace=False)
        elif name in self.locals:
            new = change(self.locals[name])
            self.locals[name] = new if self.replacing else union(self.locals[name], new)
            info = self.function
            if info is not None and self.returns is None and any(p.name == name for p in info.node.params):
                # The callers' own lists change too: what this adds to an empty one, they add.
                self.p.note_mutation(info.key, name)
                self.write(("mutated", *info.key, name), change(containers.EMPTY_STRUCTURES))
        else:  # a module's list filled by its functions
            self.write(("global", self.module, name), change(self.lookup(name)))

    def _mutate_entry(self, target: ir.Subscript, change: Callable[[Values], Values], default: Values) -> None:
        keys = self.eval(target.index)

        def change_entry(container: Values) -> Values:
            current = containers.entry(container, keys) or default
            if not current:  # a defaultdict's missing entry
                current = containers.EMPTY_STRUCTURES
            return containers.with_items(container, keys, change(current))

        self.mutate(target.value, change_entry)

    def apply_mutations(self, funcs: Values, expr: ir.Call) -> None:
        """A project function that changes a list or dict it was given changes the caller's."""
        for func in funcs:
            if not isinstance(func, FuncRef | BoundMethod):
                continue
            fkey = func.key if isinstance(func, FuncRef) else func.func
            changed = self.p.mutated_params.get(fkey)
            info = self.p.functions.get(fkey)
            if not changed or info is None:
                continue
            params = list(info.node.params)
            if isinstance(func, BoundMethod) and params:
                params = params[1:]
            positional = [p.name for p in params if p.kind == "normal"]
            passed = [*zip(positional, expr.args, strict=False), *((k, a) for k, a in expr.kwargs if k)]
            for name, arg in passed:
                if name in changed:
                    added = self.p._read(("mutated", *fkey, name), self.key)
                    self.mutate(arg, functools.partial(containers.merged, added=added))

    def comprehension(self, expr: ir.Comp) -> Values:
        """``[item for x in xs if ...]``: one element standing for each the loop makes; the loop
        names are the comprehension's own and leave the frame as they were."""
        saved = dict(self.locals)
        for target, iterable in expr.generators:
            self.bind(target, self.iterate(self.eval(iterable)))
        for condition in expr.conditions:
            self.eval(condition)
        element = self.eval(expr.elt)
        keys = self.eval(expr.key) if expr.key is not None else None
        self.locals = saved
        if keys is None:
            return one(SeqV((element,) if element else ()))
        return containers.with_items(one(DictV(())), keys, element) if element else one(DictV(()))

    def bind(self, target: ir.Expr, values: Values) -> None:
        if isinstance(target, ir.Name):
            self.locals[target.id] = values
        elif isinstance(target, ir.SeqExpr):
            for index, element in enumerate(target.items):
                self.bind(element, self.index(values, one(Other(index))))

    def do_import(self, stmt: ir.Import) -> None:
        name = stmt.module
        if stmt.asname:
            self.assign(ir.Name(stmt.asname), self.module_value(name), True)
        else:
            top = name.split(".")[0]
            self.assign(ir.Name(top), self.module_value(top), True)
            self.import_edge(name)

    def do_import_from(self, stmt: ir.ImportFrom) -> None:
        base = self.p.resolve_import(stmt.module, stmt.level, self.module)
        self.import_edge(base)
        for name, asname in stmt.names:
            if name == "*":
                if base in self.p.modules:
                    for global_name in self._module_globals(base):
                        self.assign(
                            ir.Name(global_name), self.p._read(("global", base, global_name), self.key), True
                        )
                continue
            full = f"{base}.{name}"
            if full in self.p.modules:
                value = one(ModuleRef(full))
                self.import_edge(full)
            elif base in self.p.modules:
                value = self.module_attr(base, name)
            else:
                value = one(External(full))
            self.assign(ir.Name(asname or name), value, True)

    def _module_globals(self, module: str) -> list[str]:
        return sorted(
            k[2] for k in self.p.state if k[0] == "global" and k[1] == module and not k[2].startswith("_")
        )

    def import_edge(self, module: str) -> None:
        if module in self.p.modules:
            self.p.graph.add_edge(self.record_key, (module, MODULE_SCOPE))
            parts = module.split(".")
            for i in range(1, len(parts)):
                parent = ".".join(parts[:i])
                if parent in self.p.modules:
                    self.p.graph.add_edge(self.record_key, (parent, MODULE_SCOPE))

    def module_value(self, name: str) -> Values:
        if name in self.p.modules or any(m.startswith(name + ".") for m in self.p.modules):
            return one(ModuleRef(name))
        return one(External(name))

    def module_attr(self, module: str, name: str) -> Values:
        full = f"{module}.{name}"
        if full in self.p.modules:
            return one(ModuleRef(full))
        if (module, name) in self.p.functions:
            return one(FuncRef((module, name)))
        if (module, name) in self.p.classes:
            return one(ClassRef((module, name)))
        values = self.p._read(("global", module, name), self.key)
        if values or name in self.p.module_names.get(module, ()):
            return values  # empty: assigned there, not evaluated yet; the worklist comes back
        return unknown(f"{module}.{name} has no value the analysis can see")

    # names ---------------------------------------------------------------------------------
    def lookup(self, name: str) -> Values:
        if name in self.locals and name not in self.globals_declared:
            return self.locals[name]
        info = self.function
        parent = info.parent if info else None
        while parent is not None:
            env = self.p.local_envs.get(parent)
            if env and name in env:
                self.p.readers[("closure", *parent)].add(self.key)
                return env[name]
            parent = self.p.functions[parent].parent
        if (self.module, name) in self.p.functions:
            return one(FuncRef((self.module, name)))
        if (self.module, name) in self.p.classes:
            return one(ClassRef((self.module, name)))
        values = self.p._read(("global", self.module, name), self.key)
        if values or name in self.p.module_names.get(self.module, ()):
            return values
        if name in _BUILTINS:
            return one(External("builtins." + name))
        return unknown(f"'{name}'")

    # expressions ---------------------------------------------------------------------------
    def eval(self, expr: ir.Expr) -> Values:
        if isinstance(expr, ir.Const):
            return one(Str(Text.of(expr.value))) if isinstance(expr.value, str) else one(Other(expr.value))
        if isinstance(expr, ir.Name):
            return self.referenced(self.lookup(expr.id))
        if isinstance(expr, ir.Attr):
            if _is_super_call(expr.value) and self.eval(expr.value.func) == one(External("builtins.super")):
                found = self.super_attribute(expr.value, expr.attr)
                if found is not None:
                    return self.referenced(found)
            return self.referenced(
                union(*(self.attribute(v, expr.attr, expr.line) for v in self.eval(expr.value)))
            )
        if isinstance(expr, ir.Call):
            return self.call(expr)
        if isinstance(expr, ir.FString):
            result = [Text.of("")]
            for part in expr.parts:
                if not isinstance(part, str):
                    part_values = self.eval(part)
                    if not part_values:
                        return EMPTY  # not known yet: the worklist comes back
                options = [Text.of(part)] if isinstance(part, str) else list(texts(part_values))
                result = [Text.join(a, b) for a in result for b in options][:12]
            return frozenset(Str(t) for t in result)
        if isinstance(expr, ir.BinOp):
            return self.binop(expr)
        if isinstance(expr, ir.Choice):
            return union(*(self.eval(o) for o in expr.options))
        if isinstance(expr, ir.Subscript):
            return self.index(self.eval(expr.value), self.eval(expr.index))
        if isinstance(expr, ir.DictExpr):
            items: list[tuple[Value, Values]] = []
            complete = True
            for k, v in expr.items:
                value = self.eval(v)
                if k is None:
                    for other in value:
                        if isinstance(other, DictV):
                            items.extend(other.items)
                            complete = complete and other.complete
                        else:
                            complete = False
                    continue
                for key in self.eval(k):
                    if isinstance(key, Str | Other):
                        items.append((key, value))
                    else:
                        complete = False
            return one(DictV(tuple(items), complete))
        if isinstance(expr, ir.SeqExpr):
            return one(SeqV(tuple(self.eval(i) for i in expr.items)))
        if isinstance(expr, ir.Comp):
            return self.comprehension(expr)
        if isinstance(expr, ir.Lambda):
            params = {p.name for p in expr.params}
            captured = () if self.is_module else tuple(
                (name, bound_all(self.locals[name]))
                for name in sorted(_names_read(expr.body) - params)
                if name in self.locals and name not in self.globals_declared
            )
            return one(LambdaV(expr.body, self.module, expr.params, captured))
        return unknown(
            f"an expression the analysis does not follow ({expr.what})"
            if isinstance(expr, ir.Opaque)
            else "expression"
        )

    def referenced(self, values: Values) -> Values:
        """A function or class named here may be called from here (directly, or as a callback)."""
        for value in values:
            if isinstance(value, FuncRef | ClassRef):
                self.p.graph.add_edge(self.record_key, value.key)
            elif isinstance(value, BoundMethod):
                self.p.graph.add_edge(self.record_key, value.func)
        return values

    def binop(self, expr: ir.BinOp) -> Values:
        left, right = self.eval(expr.left), self.eval(expr.right)
        if not left or not right:
            return EMPTY
        if expr.op == "+":
            if any(isinstance(v, SeqV) for v in (*left, *right)):
                return containers.concatenated(left, right, self.iterate)
            if all(isinstance(v, Str) for v in left) or all(isinstance(v, Str) for v in right):
                lefts, rights = texts(left), texts(right)
                if len(lefts) * len(rights) > MAX_ALTERNATIVES:  # keep the product bounded
                    return one(Str(Text((Hole("one of many concatenated values"),))))
                return frozenset(Str(Text.join(a, b)) for a in lefts for b in rights)
            return unknown("arithmetic")
        if expr.op == "%":
            return frozenset(Str(_percent(t, right)) for t in texts(left))
        return unknown("operator")

    def index(self, containers: Values, keys: Values) -> Values:
        out: list[Values] = []
        for container in containers:
            if isinstance(container, DictV):
                found = [v for k, v in container.items for key in keys if k == key]
                if found:
                    out.extend(found)
                else:
                    out.append(unknown("a dictionary entry the analysis cannot see"))
            elif isinstance(container, SeqV):
                picked = [
                    container.items[key.value]
                    for key in keys
                    if isinstance(key, Other)
                    and isinstance(key.value, int)
                    and -len(container.items) <= key.value < len(container.items)
                ]
                out.extend(picked or container.items or [unknown("element")])
            elif isinstance(container, External) and container.qualname == "os.environ":
                out.append(self.environ(keys, None, required=True))
            elif isinstance(container, CredentialsV):
                out.append(one(container))  # ``creds["AccessKeyId"]``: still that principal's
            elif isinstance(container, Unknown):
                key = next((t.known for t in texts(keys) if t.known), "...")
                out.append(unknown(f"{container.reason}[{key!r}]"))
            else:
                out.append(unknown("a subscript the analysis does not follow"))
        return union(*out) if out else unknown("subscript")

    def iterate(self, values: Values) -> Values:
        out: list[Values] = []
        for value in values:
            if isinstance(value, SeqV):
                out.extend(value.items)
            elif isinstance(value, CollectionV):
                out.append(sdk.collection_items(value))
            elif isinstance(value, DictV):
                out.extend(one(k) for k, _ in value.items)
            else:
                out.append(unknown("an element of a sequence the analysis cannot see"))
        return union(*out) if out else unknown("element")

    def environ(self, keys: Values, default: Values | None, required: bool) -> Values:
        out: list[Values] = []
        for key in keys:
            name = text_of(key).known
            if name is None:
                out.append(one(Str(Text((Hole("an environment variable whose name is computed"),)))))
            elif name in self.p.environment:
                out.append(frozenset(Str(t) for t in self.p.environment[name]))
            elif default is not None and any(isinstance(d, Str) for d in default):
                out.append(frozenset(d for d in default if isinstance(d, Str)))
                self.p.record_unresolved(
                    Unresolved(
                        f"environment variable {name} is not set (--env/--env-file); assumed the code's default",
                        self.where(self.current_line),
                        name,
                    ),
                    self.key,
                )
            else:
                out.append(one(Str(Text((Hole(f"environment variable {name}"),)))))
        return union(*out) if out else one(Str(Text((Hole("environment variable"),))))

    # attributes ----------------------------------------------------------------------------
    def attribute(self, value: Value, attr: str, line: int = 0) -> Values:
        if isinstance(value, External):
            return one(External(f"{value.qualname}.{attr}"))
        if isinstance(value, ModuleRef):
            return self.module_attr(value.name, attr)
        if isinstance(value, Instance | ClassRef):
            return self.class_member(value, self.mro(_class_of(value)), attr)
        if isinstance(
            value,
            SessionV | ClientV | ResourceV | CollectionV | PaginatorV | WaiterV | BatchWriterV | WrapperV,
        ):
            return sdk.attribute(self, value, attr, Location(self.path, line or self.current_line))
        if isinstance(value, Unknown) and attr in {"client", "resource"}:
            # A session from a factory the analysis cannot follow (c7n's local_session(factory)):
            # ``.client("ec2")`` with a boto3 service name is a boto3 client.
            return one(SdkMethod(SessionV(None, inferred=True), attr))
        if isinstance(value, CredentialsV) and attr == "get":
            return one(SdkMethod(value, attr))
        if isinstance(value, DictV | Str) and attr in {
            "get",
            "items",
            "values",
            "keys",
            "format",
            "join",
            "lower",
            "upper",
            "strip",
            "replace",
            "rstrip",
            "lstrip",
        }:
            return one(SdkMethod(value, attr))
        return unknown(f"attribute '{attr}'")

    def class_member(self, value: Instance | ClassRef, classes: list[FuncKey], attr: str) -> Values:
        """``attr`` of a project class or instance, looked up in ``classes`` (its MRO, or the part
        of it after a class for ``super()``), then in the library class it subclasses."""
        for klass in classes:
            method = self.p.classes[klass].methods.get(attr)
            if method is not None:
                if isinstance(value, Instance) and not _is_static(self.p.functions[method].node):
                    return one(BoundMethod(value, method))
                return one(FuncRef(method))
            values = self.p._read(("attr", *klass, attr), self.key)
            if values:
                return values
        return wrappers.class_attribute(self, value, attr) or unknown(f"attribute '{attr}'")

    def super_attribute(self, call: ir.Call, attr: str) -> Values | None:
        """``super().attr`` / ``super(Cls, self).attr`` in a method: ``attr`` found after the class
        in the receiver's MRO, so an overriding ``save`` reaches the library's ``save`` with the
        receiver's own configuration (a PynamoDB model's Meta). None: not a form followed here."""
        info = self.function
        if call.args:
            starts = [v.key for v in self.eval(call.args[0]) if isinstance(v, ClassRef)]
            receivers = self.eval(call.args[1]) if len(call.args) > 1 else EMPTY
        elif info is not None and self.cls is not None and info.node.params:
            starts = [self.cls]
            receivers = self.lookup(info.node.params[0].name)
        else:
            return None
        if not starts:
            return None
        out: list[Values] = []
        for receiver in in_stable_order(receivers) if len(receivers) > 1 else receivers:
            if not isinstance(receiver, Instance | ClassRef):
                continue
            order = self.mro(_class_of(receiver))
            for start in starts:
                if start in order:
                    out.append(self.class_member(receiver, order[order.index(start) + 1 :], attr))
        return union(*out) if out else EMPTY

    def mro(self, cls: FuncKey) -> list[FuncKey]:
        order, todo = [], [cls]
        while todo:
            current = todo.pop(0)
            if current in order or current not in self.p.classes:
                continue
            order.append(current)
            todo.extend(self.p.classes[current].bases)
        return order

    # calls ---------------------------------------------------------------------------------
    current_line = 0
    current_column = 0  # of the call being made on current_line
    principal: str | None = None  # set while an SDK object made from other credentials is called
    computed: tuple[str, ...] = ()  # set while a method named by a computed name is called

    @property
    def classes(self) -> Mapping[FuncKey, ClassInfo]:
        return self.p.classes

    def class_reader(self, module: str) -> Frame:
        return Frame(self.p, self.key, module, None)

    def where(self, line: int) -> Location:
        """A call site on ``line`` of this file: with the column of the call being made there."""
        return Location(self.path, line, self.current_column if line == self.current_line else 0)

    def call(self, expr: ir.Call) -> Values:
        self.current_line, self.current_column = expr.line, expr.column
        func = expr.func
        receiver = EMPTY
        if isinstance(func, ir.Attr) and func.attr in containers.MUTATORS:
            receiver = self.eval(func.value)
            funcs = self.referenced(union(*(self.attribute(v, func.attr) for v in receiver)))
        else:
            funcs = self.eval(func)
        args = tuple(self.eval(a) for a in expr.args)
        kwargs: dict[str | None, Values] = {}
        for name, arg in expr.kwargs:
            kwargs[name] = union(kwargs.get(name, EMPTY), self.eval(arg))
        self.current_line, self.current_column = expr.line, expr.column
        result = EMPTY
        if isinstance(func, ir.Attr) and (
            any(isinstance(v, SeqV | DictV) for v in receiver)
            or (isinstance(func.value, ir.Subscript) and func.attr in containers.MUTATORS)  # a defaultdict's entry
        ):
            method = func.attr
            self.mutate(func.value, lambda current: containers.mutated(current, method, args, kwargs, self.iterate))
            result = containers.entry(receiver, args[0]) if method == "setdefault" and args else one(Other(None))
            if args and method == "setdefault":
                result = result or (args[1] if len(args) > 1 else one(Other(None)))
            funcs = frozenset(f for f in funcs if not isinstance(f, Unknown))
            if not funcs:
                return result
        if isinstance(func, ir.Attr) and funcs and all(isinstance(f, Unknown) for f in funcs):
            # ``self.pool.submit(fn, ...)`` on a pool the analysis cannot trace: fn still runs.
            submitted = callbacks.executor_call(self, func.attr, args, kwargs, expr.line) if args else None
            if submitted is not None and any(isinstance(f, callbacks.CALLABLE) for f in args[0]):
                return submitted
            sdk.untraced_call(self, func.attr, kwargs, self.where(expr.line))
        returned = self.call_values(funcs, args, kwargs, expr.line, star=expr.star_args)
        self.apply_mutations(funcs, expr)
        return union(result, returned) if result else returned

    def call_values(
        self,
        funcs: Values,
        args: tuple[Values, ...],
        kwargs: dict[str | None, Values],
        line: int,
        star: bool = False,
    ) -> Values:
        out: list[Values] = []
        # Several callees (``replica if failover else primary``): called in one order in every
        # run, so what they write reaches the worklist in the same order whatever the hash seed.
        for func in in_stable_order(funcs, _has_effects) if len(funcs) > 1 else funcs:
            out.append(self.call_one(func, args, kwargs, line, star))
        return union(*out) if out else unknown("call")

    def call_one(
        self, func: Value, args: tuple[Values, ...], kwargs: dict[str | None, Values], line: int, star: bool
    ) -> Values:
        if isinstance(func, FuncRef):
            return self.call_function(func.key, None, args, kwargs)
        if isinstance(func, BoundMethod):
            return self.call_function(func.func, func.receiver, args, kwargs)
        if isinstance(func, ClassRef):
            return self.instantiate(func.key, args, kwargs)
        if isinstance(func, LambdaV):
            return self.call_lambda(func, args, kwargs)
        if isinstance(func, PartialV):
            given: dict[str | None, Values] = dict(func.kwargs)
            given.update(kwargs)
            return self.call_one(func.func, func.args + args, given, line, star)
        if isinstance(func, External):
            return self.call_external(func.qualname, args, kwargs, line)
        if isinstance(func, DynamicSdkMethod):
            self.dynamic_sdk_call(func, line)
            return unknown("the result of an SDK method whose name is computed at run time")
        if isinstance(func, SdkMethod):
            if isinstance(func.receiver, DictV | Str | CredentialsV):
                return self.builtin_method(func.receiver, func.name, args, kwargs)
            # What the receiver's calls record is made as whoever its credentials belong to.
            outer, self.principal = self.principal, credentials.principal_of(func.receiver)
            outer_computed, self.computed = self.computed, func.computed
            try:
                return sdk.call(self, func, args, kwargs, self.where(line))
            finally:
                self.principal, self.computed = outer, outer_computed
        return unknown("the result of a call the analysis does not follow")

    def call_function(
        self, key: FuncKey, receiver: Value | None, args: tuple[Values, ...], kwargs: dict[str | None, Values]
    ) -> Values:
        info = self.p.functions.get(key)
        if info is None:
            return unknown("call")
        self.p.graph.add_edge(self.record_key, key)
        args = sdk.record_passed_methods(self, args, kwargs)
        params = list(info.node.params)
        if receiver is not None and params and params[0].kind == "normal":
            self.write(("param", *key, params[0].name), one(receiver))
            params = params[1:]
        positional = [p for p in params if p.kind == "normal"]
        for param, values in zip(positional, args, strict=False):
            self.write(("param", *key, param.name), values)
        star = next((p for p in params if p.kind == "star"), None)
        if star is not None and len(args) > len(positional):
            self.write(("param", *key, star.name), one(SeqV(args[len(positional) :])))
        by_name = {p.name: p for p in params}
        extra: list[tuple[Value, Values]] = []
        for name, values in kwargs.items():
            if name is None:
                for value in values:
                    if isinstance(value, DictV):
                        for k, v in value.items:
                            key_text = text_of(k).known
                            if key_text in by_name:
                                self.write(("param", *key, key_text), v)
                continue
            if name in by_name:
                self.write(("param", *key, name), values)
            else:
                extra.append((Str(Text.of(name)), values))
        kw = next((p for p in params if p.kind == "kwargs"), None)
        if kw is not None and (extra or None in kwargs):
            items = list(extra)
            complete = True
            for value in kwargs.get(None, EMPTY):
                if isinstance(value, DictV):
                    items.extend(value.items)
                    complete = complete and value.complete
                else:
                    complete = False
            self.write(("param", *key, kw.name), one(DictV(tuple(items), complete)))
        returned = self.p._read(("return", *key), self.key)
        if self.depth < MAX_INLINE_DEPTH and self.p.is_factory(key):
            # The merged evaluation above keeps attributes and globals complete; the value
            # this call returns comes from its own arguments.
            return self.inline(info, receiver, args, kwargs)
        return returned or one(Other(None))

    def inline(
        self,
        info: FunctionInfo,
        receiver: Value | None,
        args: tuple[Values, ...],
        kwargs: dict[str | None, Values],
    ) -> Values:
        """Evaluate a small client-making helper with this call's own arguments, so that
        ``client("s3")`` and ``client("glue")`` stay apart (one level of call-site sensitivity).
        What it finds is recorded under the caller, which is what reaches it."""
        self.p.inlined.add(info.key)
        child = Frame(self.p, self.key, info.module, info.cls)
        child.function, child.returns, child.depth = info, [], self.depth + 1
        child.dead, child.record_key = self.dead, self.record_key
        params = list(info.node.params)
        if receiver is not None and params and params[0].kind == "normal":
            child.locals[params[0].name] = one(receiver)
            params = params[1:]
        positional = [p for p in params if p.kind == "normal"]
        for param, values in zip(positional, args, strict=False):
            child.locals[param.name] = values
        for name, values in kwargs.items():
            if name is not None and any(p.name == name for p in params):
                child.locals[name] = values
        for param in params:
            if param.name not in child.locals:
                default = child.eval(param.default) if param.default is not None else EMPTY
                child.locals[param.name] = default or unknown(f"parameter '{param.name}' of {info.key[1]}()")
        child.exec_block(info.node.body)
        return union(*child.returns) if child.returns else one(Other(None))

    def call_lambda(self, lam: LambdaV, args: tuple[Values, ...], kwargs: dict[str | None, Values]) -> Values:
        """The lambda's body with its parameters bound to this call's arguments and the names
        it read from its enclosing function as they were when it was made."""
        if self.depth >= MAX_LAMBDA_DEPTH:
            return unknown("a lambda called through lambdas")
        child = Frame(self.p, self.key, lam.module, None)
        child.function, child.returns, child.depth = None, [], self.depth + 1
        child.dead, child.record_key = self.dead, self.record_key
        child.locals = dict(lam.captured)
        positional = [p for p in lam.params if isinstance(p, ir.Param) and p.kind == "normal"]
        for param, values in zip(positional, args, strict=False):
            child.locals[param.name] = values
        for declared in lam.params:
            assert isinstance(declared, ir.Param)
            if declared.name in kwargs:
                child.locals[declared.name] = kwargs[declared.name]
            elif declared.name not in child.locals or declared in positional[len(args) :]:
                default = child.eval(declared.default) if declared.default is not None else EMPTY
                child.locals[declared.name] = default or unknown(f"parameter '{declared.name}' of a lambda")
        return child.eval(lam.body)  # type: ignore[arg-type]

    def instantiate(self, cls: FuncKey, args: tuple[Values, ...], kwargs: dict[str | None, Values]) -> Values:
        instance = Instance(cls)
        self.p.graph.add_edge(self.record_key, cls)
        for klass in self.mro(cls):
            info = self.p.classes[klass]
            init = info.methods.get("__init__")
            if init is not None:
                self.call_function(init, instance, args, kwargs)
                break
            if info.is_dataclass:
                for name, values in zip(info.fields, args, strict=False):
                    self.write(("attr", *klass, name), values)
                for keyword, values in kwargs.items():
                    if keyword is not None and keyword in info.fields:
                        self.write(("attr", *klass, keyword), values)
                break
        post = self.p.classes[cls].methods.get("__post_init__")
        if post is not None:
            self.call_function(post, instance, (), {})
        return one(instance)

    def builtin_method(
        self, receiver: Value, name: str, args: tuple[Values, ...], kwargs: dict[str | None, Values]
    ) -> Values:
        if isinstance(receiver, CredentialsV):
            return one(receiver)
        if isinstance(receiver, DictV):
            if name == "get" and args:
                found = self.index(one(receiver), args[0])
                default = args[1] if len(args) > 1 else one(Other(None))
                return union(found, default) if not receiver.complete or not found else found
            if name == "values":
                return one(SeqV(tuple(v for _, v in receiver.items)))
            if name == "keys":
                return one(SeqV(tuple(one(k) for k, _ in receiver.items)))
            return unknown(f"dict.{name}()")
        if isinstance(receiver, Str):
            if name == "format":
                return one(Str(_format(receiver.text, args, kwargs)))
            if name == "join" and args:
                return one(Str(Text((Hole("a joined string"),))))
            known = receiver.text.known
            if known is not None and not args and name in {"lower", "upper", "strip", "rstrip", "lstrip"}:
                return one(Str(Text.of(getattr(known, name)())))
            return one(Str(Text((Hole(f"str.{name}()"),))))
        return unknown("method")

    def sdk_getattr(self, objects: Values, names: Values) -> Values | None:
        """``getattr(client, name)``: the method itself when the name is known, else a method
        whose name is computed at run time (reported where it is called). None: not an SDK object."""
        sdk_objects = [v for v in objects if isinstance(v, ClientV | ResourceV)]
        if not sdk_objects:
            return None
        out: list[Values] = []
        spellings = texts(names)
        # A name that is one of several known strings (``mode`` from a literal tuple or branches):
        # each method, marked so that every grant is reported as a widening.
        computed = tuple(sorted(t.known for t in spellings if t.known is not None))
        for name in spellings:
            for value in sdk_objects:
                known = name.known
                if known is not None:
                    found = self.attribute(value, known)
                    if len(computed) > 1:
                        found = frozenset(
                            replace(v, computed=computed) if isinstance(v, SdkMethod) else v for v in found
                        )
                    out.append(found)
                else:
                    out.append(one(DynamicSdkMethod(value, name)))
        return union(*out) if out else None

    def dynamic_sdk_call(self, func: DynamicSdkMethod, line: int) -> None:
        receiver = func.receiver
        owner = receiver.service if isinstance(receiver, ClientV | ResourceV) else None
        pattern = func.name.pattern()
        what = f"{owner or 'an AWS'} {'client' if isinstance(receiver, ClientV) else 'resource'}"
        self.unresolved_here(
            f"a method of {what} whose name is computed at run time (getattr(..., '{pattern}'), "
            f"{func.name.reasons}): which operation runs is unknown"
            f"{_candidates(receiver, pattern)}, nothing is granted for it",
            self.where(line),
            f"{owner or '?'}.{pattern}",
        )

    def call_external(
        self, qualname: str, args: tuple[Values, ...], kwargs: dict[str | None, Values], line: int
    ) -> Values:
        if qualname == "builtins.getattr" and len(args) >= 2:
            found = self.sdk_getattr(args[0], args[1])
            if found is not None:
                return found
        if qualname in {"os.getenv", "os.environ.get"}:
            if not args:
                return unknown("environment")
            default = args[1] if len(args) > 1 else kwargs.get("default")
            return self.environ(args[0], default, required=False)
        if qualname in {"builtins.list", "builtins.tuple", "builtins.set", "builtins.sorted", "builtins.frozenset"}:
            if not args:
                return one(SeqV(()))
            seqs = frozenset(v for v in args[0] if isinstance(v, SeqV))
            others = frozenset(v for v in args[0] if not isinstance(v, SeqV))
            return union(seqs, one(SeqV((self.iterate(others),))) if others else EMPTY)
        if qualname in {"collections.defaultdict", "collections.OrderedDict"} and not kwargs:
            return one(DictV(()))  # filled by ``d[k].append(...)``: entries start empty
        if qualname in {"builtins.str"} and args:
            return frozenset(Str(t) for t in texts(args[0]))
        if qualname in _UNQUOTE and args:
            return frozenset(Str(_unquoted(t, qualname)) for t in texts(args[0]))
        if qualname in {"builtins.dict"}:
            return one(
                DictV(
                    tuple((Str(Text.of(k)), v) for k, v in kwargs.items() if k is not None),
                    None not in kwargs,
                )
            )
        handled = callbacks.call_external(self, qualname, args, kwargs, line)
        if handled is None:
            handled = sdk.call_external(self, qualname, args, kwargs, self.where(line))
        if handled is None:
            callbacks.call_unmodelled(self, args, kwargs, line)
        return handled or unknown(f"the result of {qualname}()")

    # SDK records ---------------------------------------------------------------------------
    def record(
        self,
        service: str | None,
        method: str,
        kwargs: Mapping[str, Values],
        location: Location,
        kind: CallKind,
        note: str = "",
        region: Text | None = None,
        principal: str | None = None,
    ) -> None:
        if service is None:
            self.p.record_unresolved(
                Unresolved("a client whose service is computed at run time", location, f".{method}()"),
                self.record_key,
            )
            return
        given = sorted(kwargs.items())
        arguments = tuple(Argument(name, _arg_values(values)) for name, values in given)
        if self.dead:
            note = f"{note}, {self.dead}" if note else self.dead
        principal = principal or self.principal
        call = SdkCall(service, method, arguments, location, kind, region, True, note, principal, self.computed)
        # The text of each argument is cached with its values: one large request dict reaches
        # many calls, and writing it out again for each of them was most of the time on big trees.
        text = ";".join(f"{name}=[{_values_text(values)}]" for name, values in given)
        self.p.record_call(call, self.record_key, text)

    def unresolved_here(self, reason: str, location: Location, detail: str = "") -> None:
        self.p.record_unresolved(Unresolved(reason, location, detail), self.record_key)


def _has_effects(func: Value) -> bool:
    """Whether calling ``func`` may do more than return a value (record a call, write state):
    a dict's or string's own methods and values that are not callable do not."""
    if isinstance(func, SdkMethod):
        return not isinstance(func.receiver, DictV | Str | CredentialsV)
    return not isinstance(func, Unknown | Str | Other | DictV | SeqV)


def _candidates(receiver: Value, pattern: str) -> str:
    """`` (candidates get_object/put_object/...)``: the client's operations a name pattern can be."""
    if not isinstance(receiver, ClientV) or not receiver.service:
        return ""
    found = [m for m in mapping.client_methods(receiver.service) if fnmatch.fnmatchcase(m, pattern)]
    if not found:
        return ""
    more = f"/... ({len(found)} in all)" if len(found) > MAX_CANDIDATES_SHOWN else ""
    return f" (candidates {'/'.join(found[:MAX_CANDIDATES_SHOWN])}{more})"


def _class_of(value: Instance | ClassRef) -> FuncKey:
    return value.cls if isinstance(value, Instance) else value.key


def _is_super_call(expr: ir.Expr) -> TypeGuard[ir.Call]:
    return isinstance(expr, ir.Call) and isinstance(expr.func, ir.Name) and expr.func.id == "super"


_BUILTINS = {
    "str",
    "dict",
    "list",
    "tuple",
    "set",
    "int",
    "len",
    "print",
    "isinstance",
    "getattr",
    "range",
    "enumerate",
    "zip",
    "sorted",
    "open",
    "super",
    "Exception",
    "ValueError",
    "KeyError",
    "RuntimeError",
    "TypeError",
    "bool",
    "float",
    "min",
    "max",
    "any",
    "all",
    "map",
    "filter",
    "repr",
    "format",
    "type",
    "object",
    "property",
    "staticmethod",
    "classmethod",
    "hasattr",
    "setattr",
    "iter",
    "next",
    "reversed",
    "sum",
    "abs",
    "round",
    "bytes",
    "frozenset",
}


@functools.lru_cache(maxsize=16384)
def _arg_values(values: Values) -> tuple[ArgValue, ...]:
    """The argument values in a stable order (sorted by their text: repr of deep values is slow)."""
    converted = {_arg_value(bounded(v)) for v in values}
    return tuple(sorted(converted, key=_arg_key))


def _arguments_text(arguments: tuple[Argument, ...]) -> str:
    """A call's arguments as text, whole (a sort and identity key independent of hashing)."""
    return ";".join(f"{a.name}=[{','.join(_value_text(v) for v in a.values)}]" for a in arguments)


@functools.lru_cache(maxsize=16384)
def _values_text(values: Values) -> str:
    """`_arguments_text` of one argument's values."""
    return ",".join(_value_text(v) for v in _arg_values(values))


def _value_text(value: ArgValue) -> str:
    if isinstance(value, DictValue):
        inner = ",".join(f"{k}:[{','.join(_value_text(v) for v in vs)}]" for k, vs in value.items)
        return "{" + inner + ("" if value.complete else ",...") + "}"
    return repr(str(value))


def _arg_key(value: ArgValue) -> str:
    if isinstance(value, DictValue):
        return "{" + ",".join(str(k) for k, _ in value.items) + "}"
    return str(value)


def _arg_value(value: Value) -> ArgValue:
    if isinstance(value, DictV):
        items = []
        for key, values in value.items:
            items.append((text_of(key), _arg_values(values)))
        return DictValue(tuple(items), value.complete)
    if isinstance(value, SeqV):
        # A list argument (e.g. SSM get_parameters Names): each element may be named.
        flat: list[ArgValue] = []
        for values in value.items:
            flat.extend(_arg_values(values))
        return DictValue(tuple((Text.of(str(i)), (v,)) for i, v in enumerate(flat)), True)
    if isinstance(value, ResourceV):
        return Text((Hole("a resource object"),))
    return text_of(value)


def _percent(template: Text, values: Values) -> Text:
    known = template.known
    if known is None:
        return Text((Hole("a %-formatted string"),))
    args: list[Text] = []
    for value in values:
        args = [texts(v)[0] for v in value.items] if isinstance(value, SeqV) else [text_of(value)]
        break
    pieces = known.split("%s")
    if len(pieces) - 1 != len(args) or "%" in "".join(pieces).replace("%%", ""):
        return Text((Hole("a %-formatted string"),))
    result = Text.of(pieces[0].replace("%%", "%"))
    for arg, piece in zip(args, pieces[1:], strict=True):
        result = Text.join(result, arg, piece.replace("%%", "%"))
    return result


def _format(template: Text, args: tuple[Values, ...], kwargs: Mapping[str | None, Values]) -> Text:
    known = template.known
    if known is None:
        return Text((Hole("a .format()-ed string"),))
    import string

    result = Text.of("")
    auto = 0
    try:
        parsed = list(string.Formatter().parse(known))
    except ValueError:
        return Text((Hole("a .format()-ed string"),))
    for literal, field_name, _spec, _conv in parsed:
        result = Text.join(result, Text.of(literal))
        if field_name is None:
            continue
        if field_name == "":
            value = args[auto] if auto < len(args) else EMPTY
            auto += 1
        elif field_name.isdigit():
            index = int(field_name)
            value = args[index] if index < len(args) else EMPTY
        else:
            value = kwargs.get(field_name, EMPTY)
        result = Text.join(result, texts(value)[0] if value else Text((Hole(f"format field {field_name}"),)))
    return result
