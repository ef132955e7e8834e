"""Evaluating Terraform expressions, in one module instance, to what policygen needs to know.

A value is a `Text` (a string whose unknown parts are `Hole`s naming why), a number, a bool,
null, a list or a map. ``var``/``local``/``each``/``count``/``path`` references, resource and
data-source attributes (names and ARNs of the resource types in `TF_TYPES`), outputs of local
modules and of the registry Lambda module, and a few pure functions are evaluated; anything else
is a hole naming the expression.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

from policygen.deploy.intrinsics import NAME_RULES, fill_arn
from policygen.deploy.terraform import hcl
from policygen.errors import DeploymentError
from policygen.model import Hole, Target, Text

MAX_DEPTH = 40
MAX_INSTANCES = 256
MAX_MODULE_DEPTH = 8

Value: TypeAlias = Text | bool | int | float | dict[str, "Value"] | list["Value"] | None

# Terraform type -> (CloudFormation type for the ARN shape, attribute holding the name, what id is)
TF_TYPES: dict[str, tuple[str, str, str]] = {
    "aws_dynamodb_table": ("AWS::DynamoDB::Table", "name", "name"),
    "aws_s3_bucket": ("AWS::S3::Bucket", "bucket", "name"),
    "aws_sqs_queue": ("AWS::SQS::Queue", "name", "url"),
    "aws_sns_topic": ("AWS::SNS::Topic", "name", "arn"),
    "aws_lambda_function": ("AWS::Lambda::Function", "function_name", "name"),
    "aws_sfn_state_machine": ("AWS::StepFunctions::StateMachine", "name", "arn"),
    "aws_secretsmanager_secret": ("AWS::SecretsManager::Secret", "name", "arn"),
    "aws_ssm_parameter": ("AWS::SSM::Parameter", "name", "name"),
    "aws_kinesis_stream": ("AWS::Kinesis::Stream", "name", "name"),
    "aws_cloudwatch_event_bus": ("AWS::Events::EventBus", "name", "name"),
    "aws_cloudwatch_log_group": ("AWS::Logs::LogGroup", "name", "name"),
    "aws_iam_role": ("AWS::IAM::Role", "name", "name"),
    "aws_kinesis_firehose_delivery_stream": ("AWS::KinesisFirehose::DeliveryStream", "name", "name"),
}


def unknown(reason: str) -> Text:
    return Text((Hole(reason),))


def as_text(value: Value) -> Text:
    if isinstance(value, Text):
        return value
    if isinstance(value, bool):
        return Text.of(str(value).lower())
    if isinstance(value, int | float):
        return Text.of(str(value))
    if value is None:
        return Text.of("")
    return unknown("a list or map where a string is expected")


def known(value: Value) -> str | None:
    return value.known if isinstance(value, Text) else None


def truthy(value: Value) -> bool | None:
    """True/False when known; None when not."""
    if isinstance(value, bool):
        return value
    if isinstance(value, Text) and value.known in ("true", "false"):
        return value.known == "true"
    return None


@dataclass(frozen=True)
class Each:
    """The instance of a resource or module with ``for_each`` (key, value) or ``count`` (index)."""

    key: Value
    value: Value
    kind: str  # "each" or "count"

    def suffix(self) -> str:
        key = self.key
        if self.kind == "count":
            return f"[{key}]"
        return f'["{as_text(key)}"]'


@dataclass
class Project:
    """What every module instance of one Terraform project shares."""

    root: Path  # absolute
    target: Target
    overrides: dict[str, str]
    configs: dict[Path, hcl.Config] = field(default_factory=dict)
    instances: dict[str, Instance] = field(default_factory=dict)
    boundary: Path = field(init=False)

    def __post_init__(self) -> None:
        # Terraform folders often sit next to the code (terraform/ and src/): files may be read
        # anywhere in the repository that holds the root module, never outside it.
        self.boundary = next(
            (p for p in [self.root, *self.root.parents][:12] if (p / ".git").exists()), self.root
        )

    def inside(self, path: Path) -> str | None:
        """``path`` relative to the root module's folder (posix, ``..`` allowed), or None when it
        is outside the repository (or, with no repository, outside the root module's folder)."""
        resolved = path.resolve()
        try:
            resolved.relative_to(self.boundary)
        except ValueError:
            return None
        return Path(os.path.relpath(resolved, self.root)).as_posix()

    def outside(self) -> str:
        """How an error names the boundary."""
        return "the project folder" if self.boundary == self.root else f"the repository {self.boundary.name}"

    def config(self, folder: Path) -> hcl.Config:
        folder = folder.resolve()
        if folder not in self.configs:
            self.configs[folder] = hcl.load(folder, self.inside(folder) or folder.name)
        return self.configs[folder]


@dataclass
class Instance:
    """One module instance: the root module, or ``module.x`` / ``module.x["k"]`` with its
    variables bound to the caller's arguments (evaluated lazily in the caller)."""

    project: Project
    config: hcl.Config
    address: str  # "" for the root module
    inputs: dict[str, Callable[[], Value]]
    depth: int = 0
    parent: Instance | None = None
    _evaluating: set[str] = field(default_factory=set)

    def chain(self) -> list[Instance]:
        """This instance and the ones that call it, innermost first."""
        out: list[Instance] = []
        instance: Instance | None = self
        while instance is not None:
            out.append(instance)
            instance = instance.parent
        return out

    def prefix(self) -> str:
        return f"{self.address}." if self.address else ""

    # evaluation ------------------------------------------------------------------------------
    def value(self, raw: Any, each: Each | None = None, depth: int = 0) -> Value:
        return self.evaluate(hcl.parse_value(raw), each, depth)

    def text(self, raw: Any, each: Each | None = None) -> Text:
        return as_text(self.value(raw, each))

    def evaluate(self, expr: hcl.Expr, each: Each | None, depth: int = 0) -> Value:
        if depth > MAX_DEPTH:
            raise DeploymentError(
                f"{self.config.shown}: Terraform references nest more than {MAX_DEPTH} levels (a cycle between locals or variables?)"
            )
        if isinstance(expr, hcl.Literal):
            value = expr.value
            return Text.of(value) if isinstance(value, str) else value
        if isinstance(expr, hcl.Template):
            return Text.join(
                *(p if isinstance(p, str) else as_text(self.evaluate(p, each, depth + 1)) for p in expr.parts)
            )
        if isinstance(expr, hcl.Raw):
            return self.structure(expr.value, each, depth)
        if isinstance(expr, hcl.ListExpr):
            return [self.evaluate(item, each, depth + 1) for item in expr.items]
        if isinstance(expr, hcl.ObjectExpr):
            out: dict[str, Value] = {}
            for key_expr, item in expr.items:
                key = (
                    key_expr.root
                    if isinstance(key_expr, hcl.Ref) and not key_expr.steps
                    else known(as_text(self.evaluate(key_expr, each, depth + 1)))
                )
                if key is not None:
                    out[key] = self.evaluate(item, each, depth + 1)
            return out
        if isinstance(expr, hcl.Ref):
            return self.reference(expr, each, depth + 1)
        if isinstance(expr, hcl.Call):
            return self.call(expr, each, depth + 1)
        if isinstance(expr, hcl.Conditional):
            condition = truthy(self.evaluate(expr.condition, each, depth + 1))
            if condition is None:
                return unknown(f"{hcl.render(expr.condition)} (a condition policygen cannot decide)")
            return self.evaluate(expr.then if condition else expr.otherwise, each, depth + 1)
        if isinstance(expr, hcl.Operation):
            return self.operation(expr, each, depth + 1)
        return unknown(hcl.render(expr))

    def structure(self, raw: Any, each: Each | None, depth: int) -> Value:
        if isinstance(raw, dict):
            return {
                str(hcl.unquote(k)): self.value(v, each, depth + 1)
                for k, v in raw.items()
                if k != "__is_block__"
            }
        if isinstance(raw, list):
            return [self.value(v, each, depth + 1) for v in raw]
        return self.value(raw, each, depth + 1)

    def operation(self, expr: hcl.Operation, each: Each | None, depth: int) -> Value:
        values = [self.evaluate(o, each, depth) for o in expr.operands]
        if expr.operator == "!":
            flag = truthy(values[0])
            return None if flag is None else not flag  # None: unknown
        if expr.operator in ("&&", "||"):
            left, right = truthy(values[0]), truthy(values[1])
            if expr.operator == "&&":
                return False if False in (left, right) else (None if None in (left, right) else True)
            return True if True in (left, right) else (None if None in (left, right) else False)
        left_known, right_known = comparable(values[0]), comparable(values[1])
        if left_known is None or right_known is None:
            return None
        return bool(left_known == right_known) == (expr.operator == "==")

    def reference(self, ref: hcl.Ref, each: Each | None, depth: int) -> Value:
        steps = list(ref.steps)
        name = steps[0] if steps and isinstance(steps[0], str) else None
        value: Value
        rest: list[str | hcl.Expr]
        if ref.root == "var" and name:
            value, rest = self.variable(name, depth), steps[1:]
        elif ref.root == "local" and name:
            value, rest = self.local(name, depth), steps[1:]
        elif ref.root == "each" and name in ("key", "value"):
            if each is None or each.kind != "each":
                return unknown(f"{hcl.render(ref)} outside a for_each")
            value, rest = (each.key if name == "key" else each.value), steps[1:]
        elif ref.root == "count" and name == "index":
            if each is None or each.kind != "count":
                return unknown("count.index outside a count")
            value, rest = each.key, steps[1:]
        elif ref.root == "path" and name in ("module", "root", "cwd"):
            value, rest = Text.of(self.config.shown if name == "module" else "."), steps[1:]
        elif (
            ref.root == "data" and len(steps) >= 3 and isinstance(steps[0], str) and isinstance(steps[1], str)
        ):
            value, rest = self.data(steps[0], steps[1], steps[2:], each, depth)
        elif ref.root == "module" and name:
            value, rest = self.module_output(name, steps[1:], each, depth)
        elif name and (ref.root, name) in self.config.resources:
            value, rest = self.resource(ref.root, name, steps[1:], each, depth)
        else:
            return unknown(hcl.render(ref))
        for step in rest:
            value = self.index(value, step, each, depth, ref)
        return value

    def index(self, value: Value, step: str | hcl.Expr, each: Each | None, depth: int, ref: hcl.Ref) -> Value:
        key: Value = Text.of(step) if isinstance(step, str) else self.evaluate(step, each, depth)
        if isinstance(value, dict):
            key_text = known(as_text(key))
            if key_text is not None and key_text in value:
                return value[key_text]
            return unknown(hcl.render(ref))
        if isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value):
            return value[key]
        if isinstance(value, Text) and value.holes:
            return value  # already unknown, with its reason
        return unknown(hcl.render(ref))

    def variable(self, name: str, depth: int) -> Value:
        if name in self.inputs:
            return self.inputs[name]()
        if not self.address and name in self.project.overrides:
            return Text.of(self.project.overrides[name])
        has_default, default = self.config.variables.get(name, (False, None))
        if not has_default:
            if self.address:
                return unknown(
                    f"var.{name} of {self.address} (the call gives no value and it has no default)"
                )
            return unknown(f"var.{name} (give --var {name}=...)")
        return self.value(default, None, depth)

    def local(self, name: str, depth: int) -> Value:
        if name not in self.config.locals:
            return unknown(f"local.{name}")
        key = f"local.{name}"
        if key in self._evaluating:
            raise DeploymentError(
                f"{self.config.where.get(key, self.config.shown)}: local.{name} refers to itself (a cycle between locals)"
            )
        self._evaluating.add(key)
        try:
            return self.value(self.config.locals[name], None, depth)
        finally:
            self._evaluating.discard(key)

    def data(
        self, dtype: str, dname: str, rest: list[str | hcl.Expr], each: Each | None, depth: int
    ) -> tuple[Value, list[str | hcl.Expr]]:
        target = self.project.target
        if dtype == "aws_region":
            return (
                Text.of(target.region) if target.region != "*" else unknown("the region (give --region)")
            ), []
        if dtype == "aws_caller_identity":
            return (
                Text.of(target.account) if target.account != "*" else unknown("the account (give --account)")
            ), []
        if dtype == "aws_partition":
            return Text.of(target.partition), []
        block = self.config.data.get((dtype, dname))
        attribute = rest[0] if rest and isinstance(rest[0], str) else None
        if block is None or attribute is None or attribute not in block.body:
            return unknown(f"data.{dtype}.{dname}" + (f".{attribute}" if attribute else "")), []
        return self.value(block.body[attribute], each, depth), rest[1:]

    # resources -------------------------------------------------------------------------------
    def instances_of(self, block: hcl.Block, depth: int = 0) -> list[Each | None] | Text:
        """The instances ``count``/``for_each`` make of a resource or module: [None] for a
        single one, or a hole saying why they cannot be counted."""
        body = block.body
        if "for_each" in body:
            collection = self.value(body["for_each"], None, depth)
            if isinstance(collection, dict):
                items = [Each(Text.of(k), v, "each") for k, v in sorted(collection.items())]
            elif isinstance(collection, list) and all(known(v) is not None for v in collection):
                items = [Each(v, v, "each") for v in sorted(set(collection), key=lambda v: str(v))]
            else:
                return unknown(f"for_each of {block.where} cannot be evaluated ({_why(collection)})")
            if len(items) > MAX_INSTANCES:
                raise DeploymentError(f"{block.where}: for_each makes more than {MAX_INSTANCES} instances")
            return list(items)
        if "count" in body:
            count = self.value(body["count"], None, depth)
            if isinstance(count, Text) and count.known and count.known.isdigit():
                count = int(count.known)
            if not isinstance(count, int) or isinstance(count, bool):
                return unknown(f"count of {block.where} cannot be evaluated ({_why(count)})")
            if count > MAX_INSTANCES:
                raise DeploymentError(f"{block.where}: count makes more than {MAX_INSTANCES} instances")
            return [Each(i, i, "count") for i in range(count)]
        return [None]

    def instance_for(self, block: hcl.Block, key: Value | None, depth: int) -> Each | Text | None:
        instances = self.instances_of(block, depth)
        if isinstance(instances, Text):
            return instances
        if key is None:
            if instances == [None]:
                return None
            return unknown(f"{block.type or 'module'}.{block.name} has count/for_each: give an index")
        for instance in instances:
            if instance is not None and comparable(instance.key) == comparable(key):
                return instance
        return unknown(f"{block.type or 'module'}.{block.name}[{known(as_text(key))}]: no such instance")

    def resource(
        self, rtype: str, name: str, rest: list[str | hcl.Expr], each: Each | None, depth: int
    ) -> tuple[Value, list[str | hcl.Expr]]:
        block = self.config.resources[(rtype, name)]
        key: Value | None = None
        if rest and not isinstance(rest[0], str):
            key = self.evaluate(rest[0], each, depth)
            rest = rest[1:]
        instance = self.instance_for(block, key, depth)
        if isinstance(instance, Text):
            return instance, []
        attribute = rest[0] if rest and isinstance(rest[0], str) else None
        if attribute is None:
            return unknown(f"{rtype}.{name}"), []
        return self.attribute(block, instance, attribute, depth), rest[1:]

    def attribute(self, block: hcl.Block, each: Each | None, attribute: str, depth: int) -> Value:
        body = block.body
        spec = TF_TYPES.get(block.type)
        address = f"{self.prefix()}{block.type}.{block.name}" + (each.suffix() if each else "")
        if spec is None:
            if attribute in body:
                return self.value(body[attribute], each, depth)
            return unknown(f"{address}.{attribute}")
        cfn_type, name_attribute, id_kind = spec
        rule = NAME_RULES[cfn_type]
        name = (
            as_text(self.value(body[name_attribute], each, depth))
            if name_attribute in body
            else unknown(f"the name Terraform generates for {address}")
        )
        kind = id_kind if attribute == "id" else attribute
        if kind in ("name", name_attribute, "bucket"):
            return name
        if kind == "arn":
            return self.arn(rule.arn, name)
        if kind == "stream_arn":
            return Text.join(self.arn(rule.arn, name), "/stream/", Hole("the stream's creation time"))
        if kind == "url":
            return Text.join("https://sqs.", self.region(), ".amazonaws.com/", self.account(), "/", name)
        if attribute in body:
            return self.value(body[attribute], each, depth)
        return unknown(f"{address}.{attribute}")

    def region(self) -> Text:
        region = self.project.target.region
        return Text.of(region) if region != "*" else unknown("the region (give --region)")

    def account(self) -> Text:
        account = self.project.target.account
        return Text.of(account) if account != "*" else unknown("the account (give --account)")

    def arn(self, template: str, name: Text) -> Text:
        t = self.project.target
        return fill_arn(template, name, t.partition, Text.of(t.region), Text.of(t.account))

    # modules ---------------------------------------------------------------------------------
    def module_output(
        self, name: str, rest: list[str | hcl.Expr], each: Each | None, depth: int
    ) -> tuple[Value, list[str | hcl.Expr]]:
        from policygen.deploy.terraform import modules

        block = self.config.modules.get(name)
        if block is None:
            return unknown(f"module.{name}"), []
        key: Value | None = None
        if rest and not isinstance(rest[0], str):
            key = self.evaluate(rest[0], each, depth)
            rest = rest[1:]
        output = rest[0] if rest and isinstance(rest[0], str) else None
        if output is None:
            return unknown(f"module.{name}"), []
        instance = self.instance_for(block, key, depth)
        if isinstance(instance, Text):
            return instance, []
        return modules.output(self, block, instance, output, depth), rest[1:]

    # functions -------------------------------------------------------------------------------
    def call(self, expr: hcl.Call, each: Each | None, depth: int) -> Value:
        name = expr.name.removeprefix("provider::terraform::")
        if name == "try":
            for option in expr.args:
                tried = self.evaluate(option, each, depth)
                if not _has_holes(tried):
                    return tried
            return unknown(hcl.render(expr))
        args = [self.evaluate(a, each, depth) for a in expr.args]
        texts = [known(as_text(a)) if not isinstance(a, dict | list) else None for a in args]
        if name in ("lower", "upper", "trimspace", "tostring", "abspath") and len(args) == 1:
            text = as_text(args[0])
            if name == "tostring" or name == "abspath":
                return text
            if text.known is not None:
                plain = text.known
                return Text.of(
                    plain.lower() if name == "lower" else plain.upper() if name == "upper" else plain.strip()
                )
        if name == "coalesce":
            for arg in args:
                if not (isinstance(arg, Text) and arg.known == "") and arg is not None:
                    return arg
        if name == "format" and args and texts[0] is not None:
            return _format(texts[0], [as_text(a) for a in args[1:]]) or unknown(hcl.render(expr))
        if name == "join" and len(args) == 2 and isinstance(args[1], list) and texts[0] is not None:
            pieces: list[Text | str] = []
            for index, item in enumerate(args[1]):
                if index:
                    pieces.append(texts[0])
                pieces.append(as_text(item))
            return Text.join(*pieces)
        if name == "replace" and all(t is not None for t in texts) and len(args) == 3:
            source, old, new = (str(t) for t in texts)
            if not (old.startswith("/") and old.endswith("/")):
                return Text.of(source.replace(old, new))
        if name == "merge" and all(isinstance(a, dict) for a in args):
            merged: dict[str, Value] = {}
            for arg in args:
                assert isinstance(arg, dict)
                merged.update(arg)
            return merged
        if name in ("concat", "flatten") and all(isinstance(a, list) for a in args):
            return [item for arg in args if isinstance(arg, list) for item in arg]
        if name in ("tolist", "toset", "tomap") and len(args) == 1:
            return args[0]
        if name == "lookup" and len(args) in (2, 3) and isinstance(args[0], dict) and texts[1] is not None:
            return args[0].get(texts[1], args[2] if len(args) == 3 else unknown(hcl.render(expr)))
        if name == "file" and len(args) == 1 and texts[0] is not None:
            return self.read_file(texts[0])
        if name == "jsonencode" and len(args) == 1:
            return _jsonencode(args[0]) or unknown(hcl.render(expr))
        return unknown(hcl.render(expr))

    def read_file(self, relative: str) -> Value:
        path = (self.project.root / relative).resolve()
        if self.project.inside(path) is None:
            return unknown(f'file("{relative}"): outside {self.project.outside()}')
        try:
            with path.open("rb") as handle:
                data = handle.read(hcl.MAX_TF_BYTES + 1)
        except OSError:
            return unknown(f'file("{relative}"): cannot be read')
        if len(data) > hcl.MAX_TF_BYTES:
            return unknown(f'file("{relative}"): too large')
        return Text.of(data.decode("utf-8", errors="replace"))


def _why(value: Value) -> str:
    if isinstance(value, Text) and value.holes:
        return value.reasons
    return "not a map, a set of strings or a number"


def _has_holes(value: Value) -> bool:
    if isinstance(value, Text):
        return bool(value.holes)
    if isinstance(value, dict):
        return any(_has_holes(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_holes(v) for v in value)
    return False


def comparable(value: Value) -> Any:
    """A value as count/for_each keys compare (a number and its string alike); None if unknown."""
    if isinstance(value, Text):
        return value.known
    if isinstance(value, bool | int | float):
        return str(value).lower() if isinstance(value, bool) else str(value)
    if value is None:
        return "\0null"
    return None


def _format(spec: str, args: list[Text]) -> Text | None:
    pieces: list[Text | str] = []
    position = 0
    index = 0
    while position < len(spec):
        char = spec[position]
        if char == "%" and position + 1 < len(spec):
            verb = spec[position + 1]
            position += 2
            if verb == "%":
                pieces.append("%")
                continue
            if verb not in "sdv" or index >= len(args):
                return None
            pieces.append(args[index])
            index += 1
            continue
        pieces.append(char)
        position += 1
    return Text.join(*pieces)


def _plain(value: Value) -> Any:
    if isinstance(value, Text):
        if value.holes:
            raise ValueError
        return value.known
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _jsonencode(value: Value) -> Text | None:
    try:
        return Text.of(json.dumps(_plain(value), separators=(",", ":")))
    except ValueError:
        return None
