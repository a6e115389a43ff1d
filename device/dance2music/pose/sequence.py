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
import math
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
# Bounds checked before anything is allocated: a file may claim any timing or size.
MIN_FPS, MAX_FPS = 1.0, 240.0
MAX_DURATION_S = 4 * 3600.0
MAX_FRAMES = 500_000  # 4 h at 30 fps is 432,000; 500,000 frames of keypoints are 108 MB
MAX_IMAGE_SIDE_PX = 16384


@dataclasses.dataclass(frozen=True)
class PoseSequence:
    """COCO-18 keypoints of one dancer over time."""

    keypoints: np.ndarray  # float32 (T, 18, 3)
    fps: float
    image_size: tuple[int, int]  # (W, H)
    timestamps_s: np.ndarray | None = None  # float64 (T,), None = uniform at `fps`

    def __post_init__(self) -> None:
        kp = self.keypoints
        if kp.ndim != 3 or kp.shape[1:] != (NUM_JOINTS, 3) or not 1 <= len(kp) <= MAX_FRAMES:
            raise InputError(f"keypoints: expected shape (T, {NUM_JOINTS}, 3) with 1 <= T <= "
                             f"{MAX_FRAMES}, got {kp.shape}")
        if not (np.isfinite(self.fps) and MIN_FPS <= self.fps <= MAX_FPS):
            raise InputError(f"fps: expected {MIN_FPS:g}..{MAX_FPS:g} frames/s, got {self.fps}")
        if len(self.image_size) != 2 or not all(
                0 < side <= MAX_IMAGE_SIDE_PX for side in self.image_size):
            raise InputError(f"image_size: expected (W, H) in pixels, each 1..{MAX_IMAGE_SIDE_PX}"
                             f", got {self.image_size}")
        if self.timestamps_s is not None:
            ts = self.timestamps_s
            if ts.shape != (len(kp),):
                raise InputError(f"timestamps_s: expected shape ({len(kp)},), got {ts.shape}")
            if not np.all(np.isfinite(ts)) or np.any(np.diff(ts) <= 0):
                raise InputError("timestamps_s: expected finite, strictly increasing times")
        if self.duration_s > MAX_DURATION_S:
            raise InputError(f"the sequence spans {self.duration_s:.6g} s; expected at most "
                             f"{MAX_DURATION_S:g} s")

    def __len__(self) -> int:
        return len(self.keypoints)

    @property
    def duration_s(self) -> float:
        if self.timestamps_s is not None:
            return float(self.timestamps_s[-1] - self.timestamps_s[0]) + 1 / self.fps
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
    except (OSError, ValueError, zipfile.BadZipFile, NotImplementedError) as e:
        # NotImplementedError: zipfile refuses a directory claiming a newer zip version.
        raise InputError(f"{path}: not a readable .npz pose file ({e})") from None


_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0,
                   (2, 0): np.lib.format.read_array_header_2_0}


def _require(data, path: Path, key: str, ndim: int, max_elements: int = 64) -> np.ndarray:
    """Array `key` after checking, from its header alone, that it is numeric, has `ndim`
    dimensions and at most `max_elements` elements (a header may claim any size)."""
    if key not in data.files:
        raise InputError(f"{path}: missing array '{key}' (found: {', '.join(data.files) or 'none'})")
    member = f"{key}.npy" if f"{key}.npy" in data.zip.namelist() else key
    try:
        with data.zip.open(member) as f:
            version = np.lib.format.read_magic(f)
            if version not in _HEADER_READERS:
                raise ValueError(f"unsupported .npy version {version}")
            shape, _, dtype = _HEADER_READERS[version](f)
    except Exception as e:  # numpy's header parser raises whatever its tokenizer meets
        raise InputError(f"{key}: unreadable array header ({type(e).__name__}: {e})") from None
    if dtype.kind not in "fiu" or dtype.itemsize > 8:
        raise InputError(f"{key}: expected numbers, got dtype {dtype}")
    if len(shape) != ndim:
        raise InputError(f"{key}: expected {ndim} dimensions, got shape {shape}")
    if math.prod(shape) > max_elements:
        raise InputError(f"{key}: {math.prod(shape)} values in shape {shape} exceeds the limit "
                         f"of {max_elements}")
    try:
        return data[key]
    except Exception as e:  # a corrupt member: zlib, zipfile, numpy and struct errors alike
        raise InputError(f"{key}: unreadable array ({type(e).__name__}: {e})") from None


def load(path: str | Path, view: int = 0) -> PoseSequence:
    """Load a pose file: the project's format, or an AIST++ keypoints2d file (camera `view`)."""
    path = Path(path)
    with _open_npz(path) as data:
        try:
            if "keypoints2d" in data.files:
                return _from_aistpp(data, path, view)
            kp = _require(data, path, "keypoints", 3, MAX_FRAMES * NUM_JOINTS * 3)
            fps = float(_require(data, path, "fps", 0))
            size_array = _require(data, path, "image_size", 1, 2)
            if size_array.shape != (2,) or not np.all(np.isfinite(size_array)):
                raise InputError(f"image_size: expected (W, H), got {size_array.tolist()}")
            size = tuple(int(v) for v in size_array)
            ts = (_require(data, path, "timestamps_s", 1, MAX_FRAMES).astype(np.float64)
                  if "timestamps_s" in data.files else None)
            return PoseSequence(kp.astype(np.float32), fps, size, ts)
        except InputError as e:
            if str(e).startswith(str(path)):
                raise
            raise InputError(f"{path}: {e}") from None


# AIST++ 2D keypoints are in 1920x1080 video pixels at 60 fps (see shared/data/README.md).
AISTPP_IMAGE_SIZE = (1920, 1080)


def _from_aistpp(data, path: Path, view: int) -> PoseSequence:
    kp = _require(data, path, "keypoints2d", 4, 9 * MAX_FRAMES * 17 * 3)
    if kp.shape[2:] != (17, 3):
        raise InputError(f"keypoints2d: expected shape (views, T, 17, 3), got {kp.shape}")
    if not 0 <= view < kp.shape[0]:
        raise InputError(f"view {view} out of range: the file has views 0..{kp.shape[0] - 1}")
    ts_us = _require(data, path, "timestamps_us", 1, MAX_FRAMES).astype(np.float64)
    kp18 = coco17_to_coco18(kp[view])
    # AIST++ marks undetected joints with NaN: make that 'not found' in our format.
    bad = ~np.isfinite(kp18).all(axis=-1)
    kp18[bad] = (np.nan, np.nan, 0.0)
    return PoseSequence(kp18, 60.0, AISTPP_IMAGE_SIZE, ts_us / 1e6).resampled(TARGET_FPS)
