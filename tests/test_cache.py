"""The per-file analysis cache holds JSON that can only rebuild the extract stage's values: a
poisoned cache directory (a pickle, an unknown class, a wrong shape or version) is a cache miss
and runs nothing; a valid entry gives back exactly what was written."""

from __future__ import annotations

import pickle
from pathlib import Path

from policygen.discover import find_sources
from policygen.extract import _cache_key, _cache_version, cache, extract
from policygen.extract.ir import ModuleIR
from policygen.model import FileError

EXAMPLES = Path(__file__).parent.parent / "examples"


def test_every_example_module_round_trips():
    sources = [
        s for name in ("orders-service", "sam-orders", "workflow") for s in find_sources(EXAMPLES / name)
    ]
    outcomes = extract(sources, cache_dir=None, jobs=1)
    modules = [o for o in outcomes if isinstance(o, ModuleIR)]
    assert len(modules) >= 5
    for module in modules:
        assert cache.loads(cache.dumps(module, "v"), "v") == module
    error = FileError("a.py", 3, "syntax error")
    assert cache.loads(cache.dumps(error, "v"), "v") == error


def test_a_cached_run_reads_back_what_it_wrote(tmp_path):
    sources = find_sources(EXAMPLES / "orders-service")
    fresh = extract(sources, cache_dir=None, jobs=1)
    extract(sources, cache_dir=tmp_path, jobs=1)
    entries = sorted(tmp_path.rglob("*"))
    assert entries and all(p.suffix == ".json" for p in entries if p.is_file())
    assert extract(sources, cache_dir=tmp_path, jobs=1) == fresh


class Boom:
    def __reduce__(self):
        return (Path.touch, (Path(MARKER),))


MARKER = ""


def test_a_poisoned_cache_runs_nothing_and_is_a_miss(tmp_path):
    global MARKER
    MARKER = str(tmp_path / "pwned")
    sources = find_sources(EXAMPLES / "orders-service")
    fresh = extract(sources, cache_dir=None, jobs=1)
    cache_dir = tmp_path / "cache"
    for source in sources:
        data = (EXAMPLES / "orders-service" / source.path).read_bytes()
        key = _cache_key((source.path, source.module, source.is_package, data))
        for suffix in (".json", ".pickle"):
            path = cache_dir / key[:2] / f"{key}{suffix}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(pickle.dumps(Boom()))
    assert extract(sources, cache_dir=cache_dir, jobs=1) == fresh
    assert not Path(MARKER).exists()
    version = _cache_version()
    for bad in (
        b'{"format": "%s", "value": {"_": "Popen", "f": ["sh"]}}' % version.encode(),
        b'{"format": "%s", "value": {"_": "Name", "f": ["x", "extra"]}}' % version.encode(),
        b'{"format": "%s", "value": {"_": "Name", "f": ["x"]}}' % version.encode(),  # not a module
        b'{"format": "policygen 0 cache 1", "value": null}',
        b"[1, 2",
    ):
        assert cache.loads(bad, version) is None
