"""Paths of the real images and videos the pose tests use (skipped, saying why, if absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "pose"
OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")
SHARED_VIDEO = ROOT.parent / "shared" / "data" / "video"


def require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} not present (opencv-doc apt package / shared data checkout)")
    return path


def opencv_image(name: str) -> Path:
    return require(OPENCV_DATA / name)


def shared_video(name: str) -> Path:
    return require(SHARED_VIDEO / name)


def resolve(source: list[str]) -> Path:
    """A fixture's ["opencv-doc" | "shared-video", file name] -> path."""
    kind, name = source
    return opencv_image(name) if kind == "opencv-doc" else shared_video(name)
