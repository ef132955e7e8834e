"""Discover stage: which files make up the function, their module names, and its handler.

Consumes a code directory; produces `SourceFile`s (path, module name, bytes) and what was left out
as not part of the deployed code (tests, build and virtualenv folders), and normalises handler
settings. Symbolic links are not followed out of the directory, and never in a loop.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from policygen.errors import UsageError
from policygen.model import CodeBundle, Excluded

# Folders that are never the function's code: version control and caches (skipped without a word),
# and tool, build and virtualenv output and tests (skipped and reported, so nobody is surprised).
QUIET_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"})
EXCLUDED_DIRS = {
    ".aws-sam": "SAM build output",
    ".serverless": "Serverless Framework build output",
    ".terraform": "Terraform working folder",
    "cdk.out": "CDK build output",
    ".chalice": "Chalice build output",
    "build": "build output",
    "dist": "build output",
    ".eggs": "build output",
    "node_modules": "Node.js packages",
    ".venv": "virtualenv",
    "venv": "virtualenv",
    ".tox": "tool folder",
    ".nox": "tool folder",
    "site-packages": "installed packages",
    "__pypackages__": "installed packages",
    "tests": "tests",
    "test": "tests",
}
HANDLER_NAMES = ("lambda_handler", "handler")
MAX_FILES = 20_000


@dataclass(frozen=True)
class SourceFile:
    path: str  # relative to the root, forward slashes
    module: str  # as Lambda imports it: any file name, ``send-email.py`` is module ``send-email``
    is_package: bool
    absolute: Path
    data: bytes | None = None  # the content, for a file that is not on disk as itself (an archive member)


@dataclass(frozen=True)
class Discovery:
    """The function's code, and what under its folder was left out as not part of it."""

    sources: tuple[SourceFile, ...]
    excluded: tuple[Excluded, ...]
    # Excluded files that can still be read as modules (tests, setup.py): the handler may be one.
    set_aside: tuple[SourceFile, ...]


def find_sources(root: Path | CodeBundle) -> list[SourceFile]:
    """The Python files that make up the function under ``root``."""
    return list(discover(root).sources)


def discover(root: Path | CodeBundle) -> Discovery:
    if isinstance(root, CodeBundle):
        return Discovery(tuple(_bundle_sources(root)), (), ())
    if not root.exists():
        raise UsageError(f"{root}: no such directory; give the folder that holds the function's code")
    if not root.is_dir():
        raise UsageError(f"{root}: not a directory; give the folder that holds the function's code")
    real_root = root.resolve()
    package = _folder_package(root, real_root.name)
    found: list[SourceFile] = []
    set_aside: list[SourceFile] = []
    excluded: list[Excluded] = []
    seen_dirs: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen_dirs or not _inside(real, real_root):
            dirnames[:] = []
            continue
        seen_dirs.add(real)
        kept = []
        for name in sorted(dirnames):
            reason = _excluded_dir(Path(dirpath) / name, name)
            if reason is None:
                kept.append(name)
            elif reason:
                excluded.append(Excluded((Path(dirpath) / name).relative_to(root).as_posix() + "/", reason))
        dirnames[:] = kept
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
            if module is None and relative == "__init__.py":
                excluded.append(Excluded(relative, _ROOT_INIT))
                continue
            if module is None:
                excluded.append(Excluded(relative, "not importable: a dot in the module name"))
                continue
            if package:
                module = f"{package}.{module}" if module else package
            source = SourceFile(relative, module, is_package, absolute)
            reason = _excluded_file(filename)
            if reason is not None:
                excluded.append(Excluded(relative, reason))
                set_aside.append(source)
                continue
            found.append(source)
            if len(found) + len(set_aside) > MAX_FILES:
                raise UsageError(
                    f"{root}: more than {MAX_FILES} Python files; point policygen at the function's own folder"
                )
    return Discovery(tuple(found), tuple(excluded), tuple(set_aside))


_ROOT_INIT = (
    "the code folder's own __init__.py: Lambda imports from the folder (the root of sys.path), "
    "so a module of the folder's name is the one imported"
)


def _folder_package(root: Path, name: str) -> str | None:
    """The name a code folder that is itself a package imports its modules by (awswrangler/ holds
    ``from awswrangler.x import y``), or None. Lambda puts the folder at the root of sys.path, so
    ``import app`` imports ``app.py`` (or ``app/``) inside it when there is one: the folder's own
    __init__.py never makes it the package ``app`` then, and its modules keep their plain names."""
    if not (root / "__init__.py").is_file() or not name.isidentifier():
        return None
    if (root / f"{name}.py").is_file() or (root / name).is_dir():
        return None
    return name


def _excluded_dir(path: Path, name: str) -> str | None:
    """Why the folder is not the function's code ("" to skip it without a word), or None."""
    if name in QUIET_DIRS:
        return ""
    if name in EXCLUDED_DIRS:
        return EXCLUDED_DIRS[name]
    if (path / "pyvenv.cfg").is_file():
        return "virtualenv"
    if name.startswith(".") or name.endswith((".egg-info", ".dist-info")):
        return ""  # editor and CI settings, package metadata
    return None


def _excluded_file(filename: str) -> str | None:
    if filename == "conftest.py" or filename.startswith("test_") or filename.endswith("_test.py"):
        return "tests"
    if filename == "setup.py":
        return "packaging script"
    return None


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
    """The module Lambda's runtime imports for the file: its path with slashes as dots. Any name
    does (``send-email.py`` is ``send-email``: other modules cannot import it, Lambda can), except
    one with a dot of its own, which the import system would read as a package."""
    parts = relative[: -len(".py")].split("/")
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    if not parts or not all(p and "." not in p and p.strip() == p for p in parts):
        return None, False
    return ".".join(parts), is_package


def normalize_handler(handler: str) -> str:
    """A Lambda handler setting in the dotted form: ``src/api/orders.lambda_handler`` (as SAM and
    Serverless write it) and ``src.api.orders.lambda_handler`` are the same handler, since Lambda's
    Python runtime imports the module part with slashes read as dots."""
    text = handler.strip()
    while text.startswith("./"):
        text = text[2:]
    module, dot, function = text.rpartition(".")
    if not dot:
        return text
    return module.replace("/", ".") + "." + function
