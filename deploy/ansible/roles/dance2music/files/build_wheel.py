"""Builds the dance2music wheel on the controller, reproducibly, without touching the checkout.

    build_wheel.py SOURCE_DIR OUT_DIR  ->  prints the wheel's path

The sources are copied to a temporary directory first (setuptools writes build/ and egg-info in
the tree it builds), and SOURCE_DATE_EPOCH fixes the zip timestamps so an unchanged checkout
gives a byte-identical wheel: the copy to the host then reports no change.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SOURCES = ("pyproject.toml", "README.md", "device")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")


def main(source: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dance2music-wheel-") as tmp:
        tree = Path(tmp) / "src"
        tree.mkdir()
        for name in SOURCES:
            path = source / name
            if path.is_dir():
                shutil.copytree(path, tree / name, ignore=IGNORE)
            elif path.exists():
                shutil.copy2(path, tree / name)
            else:
                (tree / name).write_text("")  # README.md is only the package's description
        dist = Path(tmp) / "dist"
        env = {**os.environ, "SOURCE_DATE_EPOCH": "315532800", "PYTHONDONTWRITEBYTECODE": "1"}
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                        "--no-build-isolation", "--wheel-dir", str(dist), str(tree)],
                       check=True, env=env)
        (wheel,) = dist.glob("dance2music-*.whl")
        target = out / wheel.name
        if not target.exists() or target.read_bytes() != wheel.read_bytes():
            shutil.copyfile(wheel, target)
    print(target)


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve())
