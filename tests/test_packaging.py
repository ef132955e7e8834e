"""The wheel users install holds every package of the source tree (an editable install hides a gap)."""

from __future__ import annotations

import tomllib

from golden import ROOT


def test_every_package_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "policygen").rglob("__init__.py")
    }
    assert on_disk - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert "policygen.mappings" in listed


def test_every_data_file_under_mappings_is_package_data():
    """The wheel carries mappings/ through package-data globs: a data file no glob matches (the
    gzipped managed policies, a new folder) would be missing from an installed policygen."""
    import fnmatch

    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][
        "policygen.mappings"
    ]
    data = [
        path.relative_to(ROOT / "mappings").as_posix()
        for path in (ROOT / "mappings").rglob("*")
        if path.is_file() and path.suffix != ".py" and "__pycache__" not in path.parts and path.name != "README.md"
    ]
    assert "managed_policies.json.gz" in data
    unshipped = [name for name in data if not any(fnmatch.fnmatch(name, g) and name.count("/") == g.count("/") for g in globs)]
    assert unshipped == []
