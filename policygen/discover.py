"""Discover stage: which files make up the function, their module names, and its handler.

Consumes a code directory; produces `SourceFile`s (path, module name, bytes) and the handler's
module and function. Symbolic links are not followed out of the directory, and never in a loop.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from policygen.errors import UsageError
from policygen.model import CodeBundle

SKIP_DIRS = {
    ".git",
    ".hg",
    ".svn",
    "__pycache__",
    ".venv",
    "venv",
    "env",
    ".tox",
    ".nox",
    "node_modules",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "site-packages",
    "dist",
    "build",
    ".aws-sam",
    ".serverless",
    ".terraform",
}
HANDLER_NAMES = ("lambda_handler", "handler")
MAX_FILES = 20_000


@dataclass(frozen=True)
class SourceFile:
    path: str  # relative to the root, forward slashes
    module: str
    is_package: bool
    absolute: Path
    data: bytes | None = None  # the content, for a file that is not on disk as itself (an archive member)


def find_sources(root: Path | CodeBundle) -> list[SourceFile]:
    if isinstance(root, CodeBundle):
        return _bundle_sources(root)
    if not root.exists():
        raise UsageError(f"{root}: no such directory; give the folder that holds the function's code")
    if not root.is_dir():
        raise UsageError(f"{root}: not a directory; give the folder that holds the function's code")
    real_root = root.resolve()
    # A folder that is itself a package imports its modules by its own name (awswrangler/).
    package = real_root.name if (root / "__init__.py").is_file() and real_root.name.isidentifier() else None
    found: list[SourceFile] = []
    seen_dirs: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen_dirs or not _inside(real, real_root):
            dirnames[:] = []
            continue
        seen_dirs.add(real)
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        for filename in sorted(filenames):
            if not filename.endswith(".py"):
                continue
            absolute = Path(dirpath) / filename
            if not _inside(os.path.realpath(absolute), real_root) or not absolute.is_file():
                continue
            relative = absolute.relative_to(root).as_posix()
            module, is_package = module_name(relative)
            if module is None and package and relative == "__init__.py":
                module, is_package = "", True
            if module is None:
                continue
            if package:
                module = f"{package}.{module}" if module else package
            found.append(SourceFile(relative, module, is_package, absolute))
            if len(found) > MAX_FILES:
                raise UsageError(
                    f"{root}: more than {MAX_FILES} Python files; point policygen at the function's own folder"
                )
    return found


def _bundle_sources(bundle: CodeBundle) -> list[SourceFile]:
    """The modules of a package read into memory, named by their path inside it as Lambda imports them."""
    found = []
    for file in sorted(bundle.files, key=lambda f: f.path):
        module, is_package = module_name(file.path) if file.path.endswith(".py") else (None, False)
        if module is not None:
            found.append(SourceFile(file.shown, module, is_package, Path(file.shown), file.data))
    return found


def _inside(path: str, root: Path) -> bool:
    return path == str(root) or path.startswith(str(root) + os.sep)


def module_name(relative: str) -> tuple[str | None, bool]:
    parts = relative[: -len(".py")].split("/")
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    if not parts or not all(p.isidentifier() for p in parts):
        return None, False
    return ".".join(parts), is_package
