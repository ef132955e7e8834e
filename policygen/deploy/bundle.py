"""A function's code when it is not a plain folder -> `CodeBundle`: a zip committed to the
repository, one file, or source written inline in a deployment file.

A zip is read as Lambda unpacks it, and safely: nothing is written to disk, members whose names
climb out of the package (``../x.py``, absolute paths) or are symbolic links are left out and
named, and the member count and sizes are bounded, whatever the archive's headers claim.
"""

from __future__ import annotations

import stat
import zipfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from policygen.errors import DeploymentError
from policygen.model import CodeBundle, CodeFile

MAX_ARCHIVE_BYTES = 512_000_000  # Lambda's own limit for an unzipped package is 250 MB
MAX_MEMBERS = 50_000
MAX_MODULE_BYTES = 32_000_000
MAX_TOTAL_BYTES = 256_000_000


def read_zip(path: Path, shown: str) -> tuple[CodeBundle, tuple[str, ...]]:
    """The Python modules inside the zip at ``path`` (``shown`` names it for the user), and a
    note for each member left out."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DeploymentError(f"{shown}: cannot read the archive ({exc.__class__.__name__})") from None
    if size > MAX_ARCHIVE_BYTES:
        raise DeploymentError(
            f"{shown}: the archive is over {MAX_ARCHIVE_BYTES} bytes; point policygen at the code"
        )
    files: list[CodeFile] = []
    notes: list[str] = []
    total = 0
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise DeploymentError(
                    f"{shown}: more than {MAX_MEMBERS} members; point policygen at the code"
                )
            for info in members:
                name = info.filename
                if info.is_dir() or not name.endswith(".py"):
                    continue
                if name.startswith("__MACOSX/") or name.rsplit("/", 1)[-1].startswith("._"):
                    continue  # macOS archive metadata (AppleDouble), not Python
                inside = _inside_name(name)
                if inside is None:
                    notes.append(f"{shown}: member {name!r} is outside the package (left out)")
                    continue
                if stat.S_ISLNK(info.external_attr >> 16):
                    notes.append(f"{shown}: member {name!r} is a symbolic link (left out)")
                    continue
                if info.flag_bits & 0x1:
                    notes.append(f"{shown}: member {name!r} is encrypted (left out)")
                    continue
                if info.file_size > MAX_MODULE_BYTES:
                    notes.append(f"{shown}: member {name!r} is over {MAX_MODULE_BYTES} bytes (left out)")
                    continue
                with archive.open(info) as handle:
                    data = handle.read(MAX_MODULE_BYTES + 1)  # the header's size may lie
                if len(data) > MAX_MODULE_BYTES:
                    notes.append(f"{shown}: member {name!r} is over {MAX_MODULE_BYTES} bytes (left out)")
                    continue
                total += len(data)
                if total > MAX_TOTAL_BYTES:
                    raise DeploymentError(
                        f"{shown}: its Python modules unpack to over {MAX_TOTAL_BYTES} bytes; point policygen at the code"
                    )
                files.append(CodeFile(inside, f"{shown}!/{inside}", data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as exc:
        raise DeploymentError(
            f"{shown}: not a zip archive policygen can read ({exc.__class__.__name__})"
        ) from None
    return CodeBundle(shown, _unique(files)), tuple(notes)


def _inside_name(name: str) -> str | None:
    """The member's path inside the package, or None when it would land outside it."""
    if "\\" in name or name.startswith("/") or "\0" in name:
        return None
    parts = PurePosixPath(name).parts
    if not parts or any(p in ("..", "") for p in parts) or ":" in parts[0]:
        return None
    return "/".join(p for p in parts if p != ".")


def _unique(files: Iterable[CodeFile]) -> tuple[CodeFile, ...]:
    """One file per path; as unzip does, the last member of a name wins."""
    chosen: dict[str, CodeFile] = {}
    for file in files:
        chosen[file.path] = file
    return tuple(chosen[p] for p in sorted(chosen))


def read_file(path: Path, inside: str, shown: str) -> CodeFile:
    """One source file from disk, as it lands in the package under ``inside``."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_MODULE_BYTES + 1)
    except OSError as exc:
        raise DeploymentError(f"{shown}: cannot read it ({exc.__class__.__name__})") from None
    if len(data) > MAX_MODULE_BYTES:
        raise DeploymentError(f"{shown}: over {MAX_MODULE_BYTES} bytes; point policygen at the code")
    return CodeFile(inside, shown, data)


def of_files(label: str, files: Iterable[CodeFile]) -> CodeBundle:
    return CodeBundle(label, _unique(files))
