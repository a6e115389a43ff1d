"""Real frames of people for calibrating and validating the INT8 pose models.

Sources are the Debian opencv-doc sample images/video and the two BSD-3 videos in
shared/data/video. Held-out frames (validation, drift figures, the test fixture) come from
whole images and time ranges that calibration never sees."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from dance2music.media.video import VideoReader

OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")
SHARED_VIDEO = Path(os.environ.get("DANCE2MUSIC_SHARED_DATA",
                                   Path(__file__).resolve().parents[3] / "shared" / "data")) / "video"


@dataclasses.dataclass(frozen=True)
class Source:
    """Frames of one file: a still image (times empty) or a video's frames whose time lies in
    [start_s, end_s), every `step`-th one."""

    path: Path
    start_s: float = 0.0
    end_s: float = float("inf")
    step: int = 1

    @property
    def name(self) -> str:
        return self.path.name


# Four disjoint sets. Calibration: statistics for INT8 ranges (augmented). Tune: tracked
# sequences the accuracy control scores candidates on. Held out: the figures in the manifest
# and the test fixture.
CALIBRATION = (
    Source(OPENCV_DATA / "basketball1.png"),
    Source(SHARED_VIDEO / "sports2d_demo.mp4", 0.0, 4.0, step=2),
    Source(SHARED_VIDEO / "pose2sim_cam01.mp4", 0.0, 0.8),
    Source(OPENCV_DATA / "vtest.avi", 0.0, 60.0, step=25),
)
TUNE = (
    Source(SHARED_VIDEO / "sports2d_demo.mp4", 4.0, 5.6),
    Source(SHARED_VIDEO / "pose2sim_cam01.mp4", 0.85, 1.2),
)
HELD_OUT = (
    Source(OPENCV_DATA / "messi5.jpg"),
    Source(OPENCV_DATA / "basketball2.png"),
    Source(SHARED_VIDEO / "sports2d_demo.mp4", 5.7),
    Source(SHARED_VIDEO / "pose2sim_cam01.mp4", 1.25),
)


def is_video(source: Source) -> bool:
    return source.path.suffix.lower() not in (".jpg", ".png")


def frames(source: Source) -> Iterator[tuple[int, np.ndarray]]:
    """(frame index, BGR image) of a source; a still image is frame 0."""
    if not is_video(source):
        image = cv2.imread(str(source.path))
        if image is None:
            raise FileNotFoundError(f"{source.path}: image not readable")
        yield 0, image
        return
    with VideoReader(source.path) as video:
        for frame in video:
            if frame.timestamp_s >= source.end_s:
                return
            if frame.timestamp_s >= source.start_s and frame.index % source.step == 0:
                yield frame.index, frame.image


def photometric(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random brightness/contrast, sometimes a blur (flips are done on the model input)."""
    out = image.astype(np.float32) * rng.uniform(0.7, 1.3) + rng.uniform(-30, 30)
    out = np.clip(out, 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        out = cv2.GaussianBlur(out, (5, 5), 0)
    return out
