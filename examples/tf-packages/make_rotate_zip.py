"""Builds dist/rotate.zip from rotate-src/, byte for byte the same each time (fixed dates and
order), as a CI job of the project would before `terraform apply`."""

import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def build(source: Path, target: Path) -> None:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(source.rglob("*.py")):
            info = zipfile.ZipInfo(path.relative_to(source).as_posix(), date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)


if __name__ == "__main__":
    build(HERE / "rotate-src", Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "dist" / "rotate.zip")
