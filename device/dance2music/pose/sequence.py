"""The project's pose-sequence file (.npz) and loaders for it and for AIST++ keypoints.

Format (numpy .npz, written by `save`):
  keypoints   float32 (T, 18, 3)  COCO-18 joints: x, y in image pixels, confidence in [0, 1];
                                  a joint that was not found has confidence 0 (x, y may be NaN)
  fps         float               frame rate of the sequence (30 for the music engine)
  image_size  int (2,)            (W, H) of the image the pixels refer to
  timestamps_s float64 (T,)       optional: capture time of each frame, seconds from the first
"""

from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path

import numpy as np

from dance2music.errors import InputError
from dance2music.files import atomic_path
from dance2music.pose.skeleton import NUM_JOINTS, coco17_to_coco18

TARGET_FPS = 30.0
# Capture timestamps are rounded (AIST++: to the microsecond), so a frame stamped up to this
# much after a grid time still counts as captured at it.
_TIMESTAMP_TOLERANCE_S = 1e-3


@dataclasses.dataclass(frozen=True)
class PoseSequence:
    """COCO-18 keypoints of one dancer over time."""

    keypoints: np.ndarray  # float32 (T, 18, 3)
    fps: float
    image_size: tuple[int, int]  # (W, H)
    timestamps_s: np.ndarray | None = None  # float64 (T,), None = uniform at `fps`

    def __post_init__(self) -> None:
        kp = self.keypoints
        if kp.ndim != 3 or kp.shape[1:] != (NUM_JOINTS, 3):
            raise InputError(f"keypoints: expected shape (T, {NUM_JOINTS}, 3), got {kp.shape}")
        if not (np.isfinite(self.fps) and self.fps > 0):
            raise InputError(f"fps: expected a positive number, got {self.fps}")
        w, h = self.image_size
        if w <= 0 or h <= 0:
            raise InputError(f"image_size: expected positive (W, H), got {self.image_size}")
        if self.timestamps_s is not None:
            ts = self.timestamps_s
            if ts.shape != (len(kp),):
                raise InputError(f"timestamps_s: expected shape ({len(kp)},), got {ts.shape}")
            if not np.all(np.isfinite(ts)) or np.any(np.diff(ts) <= 0):
                raise InputError("timestamps_s: expected finite, strictly increasing times")

    def __len__(self) -> int:
        return len(self.keypoints)

    @property
    def duration_s(self) -> float:
        return len(self) / self.fps

    def times(self) -> np.ndarray:
        """Capture time of every frame in seconds from the first."""
        if self.timestamps_s is not None:
            return self.timestamps_s - self.timestamps_s[0]
        return np.arange(len(self)) / self.fps

    def resampled(self, fps: float = TARGET_FPS) -> PoseSequence:
        """The sequence on a uniform `fps` grid: each grid time takes the latest frame captured
        at or before it (a live camera can do no better, so offline and live agree)."""
        times = self.times()
        if self.timestamps_s is None and np.isclose(self.fps, fps):
            return self
        n = int(np.floor((times[-1] + _TIMESTAMP_TOLERANCE_S) * fps)) + 1
        grid = np.arange(n) / fps
        idx = np.searchsorted(times, grid + _TIMESTAMP_TOLERANCE_S, side="right") - 1
        return PoseSequence(self.keypoints[idx], fps, self.image_size)


def save(seq: PoseSequence, path: str | Path) -> None:
    """Write `seq` to `path` atomically in the project's .npz format."""
    arrays = {
        "keypoints": seq.keypoints.astype(np.float32),
        "fps": np.float64(seq.fps),
        "image_size": np.asarray(seq.image_size, dtype=np.int64),
    }
    if seq.timestamps_s is not None:
        arrays["timestamps_s"] = seq.timestamps_s.astype(np.float64)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **arrays)


def _open_npz(path: Path) -> np.lib.npyio.NpzFile:
    if path.is_file() and not zipfile.is_zipfile(path):
        raise InputError(f"{path}: not a .npz pose file (expected a numpy .npz archive)")
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, ValueError, zipfile.BadZipFile) as e:
        raise InputError(f"{path}: not a readable .npz pose file ({e})") from None


def _require(data, path: Path, key: str) -> np.ndarray:
    if key not in data.files:
        raise InputError(f"{path}: missing array '{key}' (found: {', '.join(data.files) or 'none'})")
    return data[key]


def load(path: str | Path, view: int = 0) -> PoseSequence:
    """Load a pose file: the project's format, or an AIST++ keypoints2d file (camera `view`)."""
    path = Path(path)
    with _open_npz(path) as data:
        try:
            if "keypoints2d" in data.files:
                return _from_aistpp(data, path, view)
            kp = _require(data, path, "keypoints")
            fps = float(_require(data, path, "fps"))
            size = tuple(int(v) for v in _require(data, path, "image_size"))
            ts = data["timestamps_s"] if "timestamps_s" in data.files else None
            if kp.ndim != 3 or kp.shape[1:] != (NUM_JOINTS, 3):
                raise InputError(f"keypoints: expected shape (T, {NUM_JOINTS}, 3), got {kp.shape}")
            if len(size) != 2:
                raise InputError(f"image_size: expected (W, H), got {size}")
            return PoseSequence(kp.astype(np.float32), fps, size, ts)
        except InputError as e:
            if str(e).startswith(str(path)):
                raise
            raise InputError(f"{path}: {e}") from None


# AIST++ 2D keypoints are in 1920x1080 video pixels at 60 fps (see shared/data/README.md).
AISTPP_IMAGE_SIZE = (1920, 1080)


def _from_aistpp(data, path: Path, view: int) -> PoseSequence:
    kp = _require(data, path, "keypoints2d")
    if kp.ndim != 4 or kp.shape[2:] != (17, 3):
        raise InputError(f"keypoints2d: expected shape (views, T, 17, 3), got {kp.shape}")
    if not 0 <= view < kp.shape[0]:
        raise InputError(f"view {view} out of range: the file has views 0..{kp.shape[0] - 1}")
    ts_us = _require(data, path, "timestamps_us").astype(np.float64)
    kp18 = coco17_to_coco18(kp[view])
    # AIST++ marks undetected joints with NaN: make that 'not found' in our format.
    bad = ~np.isfinite(kp18).all(axis=-1)
    kp18[bad] = (np.nan, np.nan, 0.0)
    return PoseSequence(kp18, 60.0, AISTPP_IMAGE_SIZE, ts_us / 1e6).resampled(TARGET_FPS)
