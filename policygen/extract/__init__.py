"""Extract stage: source files -> lowered modules (`ir.ModuleIR`), one per file.

Files are lowered in worker processes when there are many, and each result is cached under the
sha256 of its content, so a second run re-lowers only what changed. A file that cannot be lowered
becomes a `FileError`; the others go on.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from policygen import __version__
from policygen.discover import SourceFile
from policygen.errors import SourceError
from policygen.extract import cache
from policygen.extract.ir import ModuleIR
from policygen.model import FileError

PARALLEL_THRESHOLD = 24
CACHE_FORMAT = 8  # bump when the IR or its cache format changes (6: JSON, not pickle; 7: FileError.column; 8: Call.column)
Outcome = ModuleIR | FileError


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "policygen"


def _lower_one(job: tuple[str, str, bool, bytes]) -> Outcome:
    from policygen.extract.lower import lower_source  # libcst loads only when a file needs lowering

    path, module, is_package, data = job
    try:
        return lower_source(path, module, is_package, data)
    except SourceError as exc:
        return FileError(exc.path, exc.line, exc.message, exc.column)


def extract(
    files: Iterable[SourceFile], cache_dir: Path | None = None, jobs: int | None = None
) -> list[Outcome]:
    jobs_list: list[tuple[str, str, bool, bytes]] = []
    unreadable: list[Outcome] = []
    for source in files:
        try:
            data = source.data if source.data is not None else source.absolute.read_bytes()
        except OSError as exc:
            # Never an empty module: what the file would have granted would go missing unseen.
            reason = exc.strerror or exc.__class__.__name__
            unreadable.append(
                FileError(source.path, 1, f"cannot be read ({reason}); fix its permissions or remove it")
            )
            continue
        jobs_list.append((source.path, source.module, source.is_package, data))
    results: list[Outcome | None] = [None] * len(jobs_list)
    keys = [_cache_key(job) for job in jobs_list]
    todo: list[int] = []
    for index, key in enumerate(keys):
        cached = _cache_get(cache_dir, key)
        if cached is not None:
            results[index] = cached
        else:
            todo.append(index)
    workers = jobs if jobs is not None else min(os.cpu_count() or 1, 8)
    if workers > 1 and len(todo) >= PARALLEL_THRESHOLD:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            lowered = list(pool.map(_lower_one, [jobs_list[i] for i in todo], chunksize=4))
    else:
        lowered = [_lower_one(jobs_list[i]) for i in todo]
    for index, outcome in zip(todo, lowered, strict=True):
        results[index] = outcome
        _cache_put(cache_dir, keys[index], outcome)
    return [r for r in results if r is not None] + unreadable


def _cache_key(job: tuple[str, str, bool, bytes]) -> str:
    digest = hashlib.sha256()
    digest.update(f"{__version__}\0{CACHE_FORMAT}\0{job[0]}\0{job[1]}\0{job[2]}\0".encode())
    digest.update(job[3])
    return digest.hexdigest()


def _cache_get(cache_dir: Path | None, key: str) -> Outcome | None:
    if cache_dir is None:
        return None
    path = cache_dir / key[:2] / f"{key}.json"
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return cache.loads(data, _cache_version())  # validated; anything else is a miss


def _cache_put(cache_dir: Path | None, key: str, outcome: Outcome) -> None:
    if cache_dir is None:
        return
    path = cache_dir / key[:2] / f"{key}.json"
    try:
        data = cache.dumps(outcome, _cache_version())
    except (TypeError, RecursionError):
        return  # a value the format can't hold is simply not cached
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        pass  # a cache that cannot be written only costs time


def _cache_version() -> str:
    return f"policygen {__version__} cache {CACHE_FORMAT}"
