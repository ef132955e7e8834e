"""Module calls: local modules (``source = "./modules/lambda"``) are followed as Terraform does
(the source folder relative to the calling module's folder; variables bound from the call's
arguments, defaults otherwise; outputs usable by the caller); the public
``terraform-aws-modules/lambda/aws`` module is read from its documented inputs (`registry`);
any other remote module is named as not read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from policygen.deploy.terraform import hcl
from policygen.deploy.terraform.values import MAX_MODULE_DEPTH, Each, Instance, Value, unknown
from policygen.errors import DeploymentError

# The registry module, from the registry (with an optional version constraint) or from git.
_LAMBDA_MODULE = re.compile(
    r"^(?:(?:registry\.terraform\.io|app\.terraform\.io)/)?terraform-aws-modules/lambda/aws$"
    r"|^(?:git::)?(?:https://|ssh://git@|git@)?github\.com[/:]terraform-aws-modules/terraform-aws-lambda(?:\.git)?(?:\?ref=[^/]*)?$"
)


def source_of(block: hcl.Block) -> str:
    return str(hcl.unquote(block.body.get("source", "")))


def kind(block: hcl.Block) -> str:
    """local, lambda (the registry Lambda module) or remote."""
    source = source_of(block)
    if source.startswith(("./", "../")) or source in (".", ".."):
        return "local"
    return "lambda" if _LAMBDA_MODULE.match(source) else "remote"


def address(parent: Instance, block: hcl.Block, each: Each | None) -> str:
    return f"{parent.prefix()}module.{block.name}" + (each.suffix() if each else "")


def folder(parent: Instance, block: hcl.Block) -> Path:
    """The local module's folder; a `DeploymentError` when it is missing or outside the project."""
    source = source_of(block)
    path = (parent.config.folder / source).resolve()
    if parent.project.inside(path) is None:
        raise DeploymentError(
            f"{block.where}: module.{block.name}: source {source} is outside {parent.project.outside()}; "
            "policygen reads no files there"
        )
    if not path.is_dir():
        raise DeploymentError(f"{block.where}: module.{block.name}: source {source} does not exist")
    if not any(path.glob("*.tf")):
        raise DeploymentError(f"{block.where}: module.{block.name}: source {source} holds no .tf files")
    return path


def child(parent: Instance, block: hcl.Block, each: Each | None) -> Instance:
    """The local module's instance, its variables bound to the call's arguments."""
    where = address(parent, block, each)
    project = parent.project
    if where in project.instances:
        return project.instances[where]
    if parent.depth >= MAX_MODULE_DEPTH:
        raise DeploymentError(f"{block.where}: modules nest more than {MAX_MODULE_DEPTH} levels")
    config = project.config(folder(parent, block))
    inputs: dict[str, Callable[[], Value]] = {}
    for name, raw in block.body.items():
        if name in ("source", "version", "count", "for_each", "providers", "depends_on", "__is_block__"):
            continue
        inputs[name] = _bound(parent, raw, each)
    instance = Instance(project, config, where, inputs, parent.depth + 1, parent)
    project.instances[where] = instance
    return instance


def _bound(parent: Instance, raw: object, each: Each | None) -> Callable[[], Value]:
    cache: list[Value] = []

    def evaluate() -> Value:
        if not cache:
            cache.append(parent.value(raw, each))
        return cache[0]

    return evaluate


def output(parent: Instance, block: hcl.Block, each: Each | None, name: str, depth: int) -> Value:
    what = kind(block)
    if what == "lambda":
        from policygen.deploy.terraform import registry

        return registry.output(parent, block, each, name)
    if what == "remote":
        return unknown(f"module.{block.name}.{name} (module {source_of(block)} is not in the repository)")
    try:
        instance = child(parent, block, each)
    except DeploymentError as exc:
        return unknown(f"module.{block.name}.{name} ({exc})")
    if name not in instance.config.outputs:
        return unknown(f"module.{block.name}.{name} (the module has no such output)")
    return instance.value(instance.config.outputs[name], None, depth)
