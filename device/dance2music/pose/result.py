"""What a pose estimator gives for one frame, and the PoseEstimator seam (no runtime imported
here: the live loop and its fakes use it without OpenVINO)."""

from __future__ import annotations

import dataclasses
from typing import Protocol

import numpy as np

from dance2music.pose.skeleton import NUM_JOINTS

PRESENCE_THRESHOLD = 0.5  # the default of [pose] presence_threshold


@dataclasses.dataclass(frozen=True)
class PoseResult:
    keypoints: np.ndarray  # float32 (18, 3): COCO-18 x, y in image pixels, confidence
    presence: float  # 0..1, person present
    timestamp_s: float
    ran_detector: bool


class PoseEstimator(Protocol):
    def estimate(self, frame_bgr: np.ndarray, timestamp_s: float) -> PoseResult: ...

    def reset(self) -> None: ...  # forget the track

    def close(self) -> None: ...


def no_person(presence: float, timestamp_s: float, ran_detector: bool) -> PoseResult:
    """A result with every joint not found: (NaN, NaN, confidence 0)."""
    keypoints = np.zeros((NUM_JOINTS, 3), dtype=np.float32)
    keypoints[:, :2] = np.nan
    return PoseResult(keypoints, presence, timestamp_s, ran_detector)
