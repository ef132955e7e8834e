"""Reading CloudFormation/SAM templates safely.

YAML is read with PyYAML's SafeLoader extended by CloudFormation's short-form tags (``!Ref``,
``!GetAtt``, ``!Sub``...), which become their long forms (``{"Ref": ...}``); no Python object is
ever constructed. Mappings remember the line each key was on (`Node.lines`), for evidence and
error messages. Aliases are limited, so a "billion laughs" document fails fast instead of
expanding; JSON templates go through the same loader (JSON is YAML) with a size limit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from policygen.errors import DeploymentError

MAX_TEMPLATE_BYTES = 5_000_000
MAX_ALIASES = 100
MAX_DEPTH = 200

SHORT_FORMS = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        name: f"Fn::{name}"
        for name in (
            "GetAtt", "Sub", "Join", "If", "Select", "Split", "FindInMap", "ImportValue", "Base64",
            "Equals", "And", "Or", "Not", "GetAZs", "Cidr", "Length", "ToJsonString", "Transform",
        )
    },
}  # fmt: skip


class LineDict(dict[str, Any]):
    """A mapping that knows the line of each of its keys (1-based)."""

    line: int = 0
    lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


class _Loader(yaml.SafeLoader):
    aliases_seen = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases_seen += 1
            if self.aliases_seen > MAX_ALIASES:
                event = self.peek_event()  # type: ignore[no-untyped-call]
                raise DeploymentError(
                    f"line {event.start_mark.line + 1}: more than {MAX_ALIASES} YAML aliases; refusing to expand them"
                )
        return super().compose_node(parent, index)


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool):
            raise DeploymentError(f"line {key_node.start_mark.line + 1}: a mapping key must be a plain value")
        result[str(key)] = loader.construct_object(value_node, deep=True)
        result.lines[str(key)] = key_node.start_mark.line + 1
    return result


def _tag(loader: _Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = SHORT_FORMS.get(suffix)
    if name is None:
        raise DeploymentError(f"line {node.start_mark.line + 1}: unknown tag !{suffix}")
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if name == "Fn::GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = _mapping(loader, node)  # type: ignore[arg-type]
    return {name: value}


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_multi_constructor("!", _tag)
# Timestamps and other implicit types stay strings, as CloudFormation reads them.
_Loader.yaml_implicit_resolvers = {
    k: [(tag, regexp) for tag, regexp in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_template(path: Path) -> LineDict:
    document = load_yaml(path)
    if not isinstance(document, LineDict):
        raise DeploymentError(f"{path}:1: a template must be a mapping with a Resources section")
    return document


def load_yaml(path: Path) -> Any:
    """A YAML or JSON file (templates and the files they include), read safely and bounded."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DeploymentError(f"{path}: cannot read ({exc.strerror})") from None
    if len(data) > MAX_TEMPLATE_BYTES:
        raise DeploymentError(
            f"{path}: {len(data)} bytes, over the {MAX_TEMPLATE_BYTES}-byte limit for templates"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DeploymentError(f"{path}: not UTF-8 text") from None
    try:
        document = yaml.load(text, Loader=_Loader)
    except DeploymentError as exc:
        raise DeploymentError(f"{path}:{exc}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise DeploymentError(f"{path}:{line}: invalid YAML: {exc.problem or exc.context}") from None
    except RecursionError:
        raise DeploymentError(f"{path}: nested too deeply to read") from None
    except yaml.YAMLError as exc:
        raise DeploymentError(f"{path}: invalid YAML ({exc.__class__.__name__})") from None
    _check_depth(document, path)
    return document


MAX_NODES = 1_000_000


def _check_depth(document: Any, path: Path) -> None:
    """Bound the nesting and the expanded size (aliases share nodes, walks see each use)."""
    stack: list[tuple[Any, int]] = [(document, 0)]
    seen = 0
    while stack:
        value, depth = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            raise DeploymentError(
                f"{path}: expands to more than {MAX_NODES} values (YAML aliases?); refusing to read it"
            )
        if depth > MAX_DEPTH:
            raise DeploymentError(f"{path}: nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
