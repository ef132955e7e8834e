"""Terraform projects (``*.tf``, read with python-hcl2) -> `FunctionSpec`s.

``aws_lambda_function`` with its handler, code folder (``filename`` from a ``data
"archive_file"``'s ``source_dir``, or ``source_dir`` itself), ``environment.variables``,
``tracing_config``, ``vpc_config``, ``dead_letter_config``; ``aws_lambda_event_source_mapping``
for pollers. References between resources (``aws_dynamodb_table.orders.name``), ``locals`` and
``variables`` with defaults (and ``--var``/``--var-file``) are resolved; anything else stays a
`Hole` naming the reference. Modules are not followed yet.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from policygen.deploy import platform
from policygen.deploy.declared import allow_statements
from policygen.deploy.intrinsics import NAME_RULES, fill_arn
from policygen.errors import DeploymentError
from policygen.model import FunctionSpec, Hole, IacReference, Policy, Statement, Target, Text

MAX_TF_BYTES = 2_000_000
MAX_DEPTH = 12

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


def has_terraform(root: Path) -> bool:
    return any(root.glob("*.tf"))


def _unquote(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


class _Module:
    def __init__(self, root: Path, variables: Mapping[str, str], target: Target) -> None:
        import hcl2

        self.root = root
        self.target = target
        self.overrides = dict(variables)
        self.resources: dict[tuple[str, str], dict[str, Any]] = {}
        self.data: dict[tuple[str, str], dict[str, Any]] = {}
        self.locals: dict[str, Any] = {}
        self.variables: dict[str, Any] = {}
        self.lines: dict[tuple[str, str], str] = {}
        for path in sorted(root.glob("*.tf")):
            text = path.read_text(encoding="utf-8", errors="replace")
            if len(text) > MAX_TF_BYTES:
                raise DeploymentError(f"{path.name}: over the {MAX_TF_BYTES}-byte limit for Terraform files")
            try:
                document = hcl2.loads(text)
            except Exception as exc:
                line = getattr(exc, "line", None) or 1
                raise DeploymentError(
                    f"{path.name}:{line}: cannot parse Terraform ({exc.__class__.__name__})"
                ) from None
            for block in document.get("resource", []):
                for rtype, named in block.items():
                    for name, body in named.items():
                        key = (_unquote(rtype), _unquote(name))
                        self.resources[key] = body
                        self.lines[key] = f"{path.name}:{_line_of(text, key)}"
            for block in document.get("data", []):
                for rtype, named in block.items():
                    for name, body in named.items():
                        self.data[(_unquote(rtype), _unquote(name))] = body
            for block in document.get("locals", []):
                self.locals.update({k: v for k, v in block.items() if k != "__is_block__"})
            for block in document.get("variable", []):
                for name, body in block.items():
                    self.variables[_unquote(name)] = body.get("default") if isinstance(body, dict) else None

    # values --------------------------------------------------------------------------------
    def text(self, value: Any, depth: int = 0) -> Text:
        if depth > MAX_DEPTH:
            raise DeploymentError(
                "Terraform references nest too deeply (a cycle between locals or variables?)"
            )
        if isinstance(value, bool | int | float):
            return Text.of(str(value).lower() if isinstance(value, bool) else str(value))
        if not isinstance(value, str):
            return Text((Hole("a Terraform value that is not a string"),))
        quoted = len(value) >= 2 and value[0] == value[-1] == '"'
        body = value[1:-1] if quoted else value
        parts: list[str | Hole] = []
        position = 0
        for match in re.finditer(r"\$\{([^{}]+)\}", body):
            parts.append(body[position : match.start()])
            parts.extend(self.reference(match.group(1).strip(), depth).parts)
            position = match.end()
        parts.append(body[position:])
        return Text.join(*parts)

    def reference(self, expression: str, depth: int) -> Text:
        pieces = expression.split(".")
        if pieces[0] == "var" and len(pieces) == 2:
            if pieces[1] in self.overrides:
                return Text.of(self.overrides[pieces[1]])
            default = self.variables.get(pieces[1])
            if default is None:
                return Text((Hole(f"var.{pieces[1]} (give --var {pieces[1]}=...)"),))
            return self.text(default, depth + 1)
        if pieces[0] == "local" and len(pieces) == 2 and pieces[1] in self.locals:
            return self.text(self.locals[pieces[1]], depth + 1)
        if pieces[:2] == ["path", "module"] or pieces[:2] == ["path", "root"]:
            return Text.of(".")
        if pieces[0] == "data" and len(pieces) == 4:
            body = self.data.get((pieces[1], pieces[2])) or {}
            if pieces[3] in body:
                return self.text(body[pieces[3]], depth + 1)
        if len(pieces) == 3 and (pieces[0], pieces[1]) in self.resources:
            return self.attribute(pieces[0], pieces[1], pieces[2], depth)
        if pieces[0] == "data" and pieces[1] == "aws_region":
            return Text.of(self.target.region) if self.target.region != "*" else Text((Hole("the region"),))
        if pieces[0] == "data" and pieces[1] == "aws_caller_identity":
            return (
                Text.of(self.target.account) if self.target.account != "*" else Text((Hole("the account"),))
            )
        return Text((Hole(expression),))

    def attribute(self, rtype: str, name: str, attribute: str, depth: int) -> Text:
        body = self.resources[(rtype, name)]
        spec = TF_TYPES.get(rtype)
        if spec is None:
            return (
                Text((Hole(f"{rtype}.{name}.{attribute}"),))
                if attribute not in body
                else self.text(body[attribute], depth + 1)
            )
        cfn_type, name_attribute, id_kind = spec
        rule = NAME_RULES[cfn_type]
        resource_name = (
            self.text(body[name_attribute], depth + 1)
            if name_attribute in body
            else Text((Hole(f"the name Terraform generates for {rtype}.{name}"),))
        )
        kind = id_kind if attribute == "id" else attribute
        if kind in ("name", name_attribute, "bucket"):
            return resource_name
        if kind == "arn":
            return self.arn(rule.arn, resource_name)
        if kind == "stream_arn":
            return Text.join(
                *[*self.arn(rule.arn, resource_name).parts, "/stream/", Hole("the stream's creation time")]
            )
        if kind == "url":
            return Text.join(
                *[
                    "https://sqs.",
                    *self.region().parts,
                    ".amazonaws.com/",
                    *self.account().parts,
                    "/",
                    *resource_name.parts,
                ]
            )
        return Text((Hole(f"{rtype}.{name}.{attribute}"),))

    def region(self) -> Text:
        return (
            Text.of(self.target.region)
            if self.target.region != "*"
            else Text((Hole("the region (give --region)"),))
        )

    def account(self) -> Text:
        return (
            Text.of(self.target.account)
            if self.target.account != "*"
            else Text((Hole("the account (give --account)"),))
        )

    def arn(self, template: str, name: Text) -> Text:
        t = self.target
        return fill_arn(template, name, t.partition, Text.of(t.region), Text.of(t.account))


def _line_of(text: str, key: tuple[str, str]) -> int:
    match = re.search(rf'resource\s+"{re.escape(key[0])}"\s+"{re.escape(key[1])}"', text)
    return text[: match.start()].count("\n") + 1 if match else 1


def _block(body: dict[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name)
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return value if isinstance(value, dict) else {}


def read(root: Path, target: Target, variables: Mapping[str, str]) -> list[FunctionSpec]:
    module = _Module(root, variables, target)
    references = []
    for (rtype, rname), body in sorted(module.resources.items()):
        if rtype in TF_TYPES and TF_TYPES[rtype][1] in body:
            pattern = module.attribute(rtype, rname, TF_TYPES[rtype][1], 0).pattern()
            service = NAME_RULES[TF_TYPES[rtype][0]].arn.split(":")[2]
            references.append(IacReference(pattern, f"{rtype}.{rname}.{TF_TYPES[rtype][1]}", service))
    specs = []
    for (rtype, name), body in sorted(module.resources.items()):
        if rtype != "aws_lambda_function":
            continue
        where = module.lines[(rtype, name)]
        code_dir = _code_dir(module, body, where, name)
        handler = module.text(body.get("handler")).known
        environment = tuple(
            (str(k), (module.text(v),))
            for k, v in _block(body, "environment").get("variables", {}).items()
            if k != "__is_block__"
        )
        function_name = (
            module.text(body.get("function_name")) if "function_name" in body else Text((Hole(name),))
        )
        sources = []
        for (other_type, other), mapping_body in module.resources.items():
            if other_type == "aws_lambda_event_source_mapping" and f"aws_lambda_function.{name}." in str(
                mapping_body.get("function_name")
            ):
                arn = module.text(mapping_body.get("event_source_arn"))
                kind = next(
                    (
                        k
                        for k, m in (("sqs", ":sqs:"), ("kinesis", ":kinesis:"), ("dynamodb", ":dynamodb:"))
                        if m in str(arn)
                    ),
                    "unknown",
                )
                sources.append(platform.EventSource(kind, (arn,), module.lines[(other_type, other)], other))
        destinations = []
        dead = _block(body, "dead_letter_config")
        if dead.get("target_arn"):
            arn = module.text(dead["target_arn"])
            destinations.append(
                platform.Destination("sns" if ":sns:" in str(arn) else "sqs", (arn,), "dead_letter_config")
            )
        permissions, widenings = platform.for_function(
            platform.FunctionConfig(
                name=function_name,
                source=where,
                vpc=bool(_block(body, "vpc_config")),
                tracing=_unquote(_block(body, "tracing_config").get("mode")) == "Active",
                event_sources=tuple(sources),
                destinations=tuple(destinations),
                kms_key=module.text(body["kms_key_arn"]) if body.get("kms_key_arn") else None,
            ),
            target,
        )
        role = str(body.get("role", ""))
        role_match = re.match(r"\$\{(aws_iam_role\.[\w-]+)\.arn\}", role)
        role_name = role_match.group(1).split(".", 1)[1] if role_match else None
        deployed = _role_policy(module, role_name) if role_name else None
        notes = tuple(
            f"{where}: managed policy {_unquote(arn)} is attached to the role but not expanded in the comparison"
            for arn in _managed_policies(module, role_name)
        )
        specs.append(
            FunctionSpec(
                name=f"aws_lambda_function.{name}",
                code_dir=code_dir.relative_to(root.resolve()).as_posix() or ".",
                handler=handler,
                environment=environment,
                platform=tuple(permissions),
                platform_widenings=tuple(widenings),
                deployed=deployed,
                notes=notes,
                kms_keys=(),
                source=where,
                role=f"{role_match.group(1)}.name" if role_match else None,
                references=tuple(references),
            )
        )
    return specs


def _refers(value: Any, address: str) -> bool:
    return (
        isinstance(value, str)
        and re.search(rf"\$\{{{re.escape(address)}\.(id|name|arn)\}}", value) is not None
    )


def _managed_policies(module: _Module, role: str | None) -> list[str]:
    if role is None:
        return []
    return [
        str(body.get("policy_arn"))
        for (rtype, _name), body in sorted(module.resources.items())
        if rtype == "aws_iam_role_policy_attachment"
        and _refers(body.get("role"), f"aws_iam_role.{role}")
        and not str(body.get("policy_arn", "")).startswith("${aws_iam_policy.")
    ]


def _role_policy(module: _Module, role: str) -> Policy | None:
    """The policies attached to ``aws_iam_role.<role>`` in the module: inline_policy blocks,
    aws_iam_role_policy, and aws_iam_policy attached with aws_iam_role_policy_attachment."""
    address = f"aws_iam_role.{role}"
    documents: list[Any] = []
    role_body = module.resources.get(("aws_iam_role", role)) or {}
    for inline in role_body.get("inline_policy", []) or []:
        if isinstance(inline, dict) and inline.get("policy"):
            documents.append(inline["policy"])
    for (rtype, _name), body in sorted(module.resources.items()):
        if rtype == "aws_iam_role_policy" and _refers(body.get("role"), address):
            documents.append(body.get("policy"))
        if rtype == "aws_iam_role_policy_attachment" and _refers(body.get("role"), address):
            match = re.fullmatch(r"\$\{aws_iam_policy\.([\w-]+)\.arn\}", str(body.get("policy_arn", "")))
            if match and ("aws_iam_policy", match.group(1)) in module.resources:
                documents.append(module.resources[("aws_iam_policy", match.group(1))].get("policy"))
    statements: list[Statement] = []
    for index, document in enumerate(documents):
        statements.extend(_statements(module, document, f"Tf{index}"))
    return Policy(tuple(statements)) if statements else None


def _statements(module: _Module, value: Any, label: str) -> list[Statement]:
    import hcl2

    text = str(value or "")
    data = re.fullmatch(r"\$\{data\.aws_iam_policy_document\.([\w-]+)\.json\}", text)
    raw: list[Any] = []
    if data:
        for block in (module.data.get(("aws_iam_policy_document", data.group(1))) or {}).get("statement", []):
            if _unquote(block.get("effect", '"Allow"')) == "Allow":
                raw.append({"Action": block.get("actions", []), "Resource": block.get("resources", ["*"])})
    elif text.startswith("${jsonencode(") and text.endswith(")}"):
        try:
            parsed = hcl2.loads("x = " + text[len("${jsonencode(") : -2] + "\n")["x"]
        except Exception:
            return []
        statement_list = parsed.get("Statement", []) if isinstance(parsed, dict) else []
        raw = [
            s
            for s in statement_list
            if isinstance(s, dict) and _unquote(s.get("Effect", '"Allow"')) == "Allow"
        ]
    return allow_statements(raw, f"{label}S", lambda resource: [module.text(resource).pattern()], _unquote)


def _code_dir(module: _Module, body: dict[str, Any], where: str, name: str) -> Path:
    source = None
    filename = str(body.get("filename", ""))
    match = re.match(r"\$\{data\.archive_file\.([\w-]+)\.output_path\}", filename)
    if match:
        archive = module.data.get(("archive_file", match.group(1))) or {}
        source = module.text(archive.get("source_dir")).known if archive.get("source_dir") else None
    if source is None:
        raise DeploymentError(
            f"{where}: aws_lambda_function.{name}: its code is not a local folder policygen can see "
            '(use a data "archive_file" with source_dir, or point policygen at the code)'
        )
    target = (module.root / source).resolve()
    try:
        target.relative_to(module.root.resolve())
    except ValueError:
        raise DeploymentError(
            f"{where}: aws_lambda_function.{name}: source_dir {source} is outside the project"
        ) from None
    if not target.is_dir():
        raise DeploymentError(f"{where}: aws_lambda_function.{name}: source_dir {source} does not exist")
    return target
