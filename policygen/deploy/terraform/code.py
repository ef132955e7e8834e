"""Where a Terraform-deployed function's code is: a folder of the project, or a `CodeBundle`.

- ``filename`` from an ``archive_file`` (data source or resource) with ``source_dir`` (a folder),
  ``source_file`` (one file, at the top of the package) or ``source {}`` blocks (the code written
  in the .tf itself);
- ``filename`` naming a zip committed to the repository (read as Lambda unpacks it);
- ``s3_bucket``/``s3_key`` whose object is an ``aws_s3_object`` (or ``aws_s3_bucket_object``) of
  the same configuration, uploading one of the above;
- the registry Lambda module's ``source_path`` (a path, a list of paths, or of objects with
  ``path``) and ``local_existing_package``.

Paths are relative to the root module's folder, as Terraform reads them (``${path.module}``
names a module's own folder). Anything else is a `DeploymentError` saying what was found.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from policygen.deploy import bundle
from policygen.deploy.terraform import hcl
from policygen.deploy.terraform.values import Each, Instance, Value, as_text, known
from policygen.discover import find_sources
from policygen.errors import DeploymentError
from policygen.model import CodeBundle, CodeFile

ARCHIVES = (("data", "archive_file"), ("resource", "archive_file"))
OBJECTS = ("aws_s3_object", "aws_s3_bucket_object")


class NotInRepository(DeploymentError):
    """The function's code is not among the files policygen may read (in S3, outside the
    repository): the function is listed as not analysed, like another runtime's. Every other
    `DeploymentError` of a function is that function's failure."""


@dataclass(frozen=True)
class Code:
    folder: str | None = None  # relative to the project
    bundle: CodeBundle | None = None
    notes: tuple[str, ...] = ()


def of_function(instance: Instance, body: dict[str, Any], each: Each | None, what: str) -> Code:
    """The code of an ``aws_lambda_function``; ``what`` names it in errors."""
    if "filename" in body:
        return _package(instance, body["filename"], each, f"{what}: filename")
    if "s3_key" in body or "s3_bucket" in body:
        obj = _s3_object(instance, body, each)
        if obj is None:
            raise NotInRepository(
                f"{what}: its code is in S3 (s3_bucket/s3_key) and no aws_s3_object of this configuration "
                "uploads it; point policygen at the code"
            )
        block, object_each = obj
        if "source" not in block.body:
            raise DeploymentError(
                f"{block.where}: {block.type}.{block.name} has no source to read the code from"
            )
        return _package(instance, block.body["source"], object_each, f"{block.type}.{block.name}: source")
    raise NotInRepository(f"{what}: no filename or s3_bucket/s3_key: policygen cannot see its code")


def _package(instance: Instance, raw: Any, each: Each | None, what: str) -> Code:
    archive = _archive(instance, raw, each)
    if archive is not None:
        return of_archive(instance, *archive)
    path = known(instance.value(raw, each))
    if path is None:
        raise DeploymentError(f"{what} is {as_text(instance.value(raw, each))}: cannot be evaluated")
    return of_zip(instance, path, what)


def _archive(instance: Instance, raw: Any, each: Each | None) -> tuple[hcl.Block, Each | None] | None:
    """The archive_file the value refers to, by reference or by its output_path."""
    expr = hcl.parse_value(raw)
    if isinstance(expr, hcl.Ref):
        steps = list(expr.steps)
        if expr.root == "data":
            kind_type, steps = ("data", str(steps[0]) if steps else ""), steps[1:]
        else:
            kind_type = ("resource", expr.root)
        if kind_type in ARCHIVES and steps and isinstance(steps[0], str):
            table = instance.config.data if kind_type[0] == "data" else instance.config.resources
            block = table.get(("archive_file", steps[0]))
            if block is not None:
                key = (
                    instance.evaluate(steps[1], each)
                    if len(steps) > 1 and not isinstance(steps[1], str)
                    else None
                )
                archive_each = instance.instance_for(block, key, 0)
                if not isinstance(archive_each, Each | None):
                    raise DeploymentError(f"{block.where}: archive_file.{block.name}: {archive_each}")
                return block, archive_each
    wanted = known(instance.value(raw, each))
    if wanted is None:
        return None
    for table in (instance.config.data, instance.config.resources):
        for (rtype, _name), block in sorted(table.items()):
            if rtype != "archive_file" or "output_path" not in block.body:
                continue
            instances = instance.instances_of(block)
            for archive_each in instances if isinstance(instances, list) else []:
                if _same_path(known(instance.value(block.body["output_path"], archive_each)), wanted):
                    return block, archive_each
    return None


def _same_path(left: str | None, right: str) -> bool:
    return left is not None and PurePosixPath(left.removeprefix("./")) == PurePosixPath(
        right.removeprefix("./")
    )


def of_archive(instance: Instance, block: hcl.Block, each: Each | None) -> Code:
    body = block.body
    what = f"{block.where}: archive_file.{block.name}"
    if "source_dir" in body:
        return Code(folder=_relative(instance, _path(instance, body["source_dir"], each, what), what, "dir"))
    if "source_file" in body:
        file = _relative(instance, _path(instance, body["source_file"], each, what), what, "file")
        inside = PurePosixPath(file).name
        return Code(
            bundle=bundle.of_files(file, [bundle.read_file(instance.project.root / file, inside, file)])
        )
    sources = body.get("source")
    if sources:
        files = []
        for source in sources if isinstance(sources, list) else [sources]:
            if not isinstance(source, dict):
                continue
            filename = known(instance.value(source.get("filename"), each))
            content = instance.value(source.get("content"), each)
            if filename is None:
                raise DeploymentError(f"{what}: a source block's filename cannot be evaluated")
            text = known(content)
            if text is None:
                raise DeploymentError(
                    f"{what}: the content of source {filename} cannot be evaluated ({as_text(content)})"
                )
            files.append(CodeFile(filename, f"{block.where}!/{filename}", text.encode("utf-8")))
        return Code(bundle=bundle.of_files(f"{block.where} (archive_file.{block.name} source blocks)", files))
    raise DeploymentError(f"{what}: no source_dir, source_file or source block")


def of_zip(instance: Instance, path: str, what: str) -> Code:
    relative = _relative(instance, path, what, "file")
    if not relative.endswith(".zip") and not relative.endswith(".jar"):
        raise DeploymentError(f"{what} {path}: not a zip archive")
    code_bundle, notes = bundle.read_zip(instance.project.root / relative, relative)
    return Code(bundle=code_bundle, notes=notes)


def of_paths(instance: Instance, entries: list[tuple[str, str]], what: str) -> Code:
    """The registry module's source_path: (path, prefix in the zip) pairs, merged at the package's
    top as the module builds it."""
    if len(entries) == 1 and not entries[0][1]:
        relative = _relative(instance, entries[0][0], what, "any")
        path = instance.project.root / relative
        if path.is_dir():
            return Code(folder=relative)
        return Code(bundle=bundle.of_files(relative, [bundle.read_file(path, path.name, relative)]))
    files: list[CodeFile] = []
    for entry, prefix in entries:
        relative = _relative(instance, entry, what, "any")
        path = instance.project.root / relative
        prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        if path.is_dir():
            for source in find_sources(path):
                files.append(
                    bundle.read_file(source.absolute, prefix + source.path, f"{relative}/{source.path}")
                )
        else:
            files.append(bundle.read_file(path, prefix + path.name, relative))
    return Code(bundle=bundle.of_files(", ".join(e for e, _ in entries), files))


def _path(instance: Instance, raw: Any, each: Each | None, what: str) -> str:
    value: Value = instance.value(raw, each)
    path = known(value)
    if path is None:
        raise DeploymentError(f"{what}: the path {as_text(value)} cannot be evaluated")
    return path


def _relative(instance: Instance, path: str, what: str, expected: str) -> str:
    """``path`` (relative to the root module) as a posix path relative to it, when it exists
    inside the repository (or the project folder)."""
    project = instance.project
    target = (project.root / path).resolve()
    relative = project.inside(target)
    if relative is None:
        raise NotInRepository(
            f"{what}: {path} is outside {project.outside()}; policygen reads no files there"
        )
    exists = {"dir": target.is_dir(), "file": target.is_file(), "any": target.exists()}[expected]
    if not exists:
        hint = (
            " (built outside Terraform? build it first, or point policygen at the code)"
            if expected == "file"
            else ""
        )
        raise DeploymentError(f"{what}: {path} does not exist{hint}")
    return relative


def _s3_object(
    instance: Instance, body: dict[str, Any], each: Each | None
) -> tuple[hcl.Block, Each | None] | None:
    for attribute in ("s3_key", "s3_bucket"):
        expr = hcl.parse_value(body.get(attribute))
        if (
            isinstance(expr, hcl.Ref)
            and expr.root in OBJECTS
            and expr.steps
            and isinstance(expr.steps[0], str)
        ):
            block = instance.config.resources.get((expr.root, expr.steps[0]))
            if block is None:
                continue
            key = (
                instance.evaluate(expr.steps[1], each)
                if len(expr.steps) > 1 and not isinstance(expr.steps[1], str)
                else None
            )
            object_each = instance.instance_for(block, key, 0)
            if isinstance(object_each, Each | None):
                return block, object_each
    wanted = (
        known(instance.value(body.get("s3_bucket"), each)),
        known(instance.value(body.get("s3_key"), each)),
    )
    if None in wanted:
        return None
    for (rtype, _name), block in sorted(instance.config.resources.items()):
        if rtype not in OBJECTS:
            continue
        instances = instance.instances_of(block)
        for object_each in instances if isinstance(instances, list) else []:
            found = (
                known(instance.value(block.body.get("bucket"), object_each)),
                known(instance.value(block.body.get("key"), object_each)),
            )
            if found == wanted:
                return block, object_each
    return None
