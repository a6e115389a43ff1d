"""The pose stage of the loop: a frame -> the estimator -> a pose vector and whether someone is
in view, with its latencies recorded. `latest` is a tap on the last frame and its pose (the
setup page's camera view reads it; the loop never does)."""

from __future__ import annotations

import dataclasses

import numpy as np

from dance2music.capture.source import Frame
from dance2music.errors import Dance2MusicError
from dance2music.live.seams import Clock, PoseEstimator, PoseResult
from dance2music.pose.features import Representation, pose_vectors


@dataclasses.dataclass(frozen=True)
class Seen:
    frame: Frame
    pose: PoseResult
    vector: np.ndarray  # the pose vector of `representation`
    present: bool  # presence >= the configured threshold


class Perception:
    def __init__(self, estimator: PoseEstimator, representation: Representation,
                 presence_threshold: float, stats, clock: Clock):
        self.estimator = estimator
        self.representation = representation
        self.presence_threshold = presence_threshold
        self.stats = stats
        self.clock = clock
        self.latest: Seen | None = None

    def see(self, frame: Frame) -> Seen | None:
        """The pose in one frame; None (and the pose component down) if the estimator failed."""
        start_ns = self.clock.monotonic_ns()
        self.stats.latency("capture", (start_ns - frame.timestamp_ns) / 1e6)
        try:
            pose = self.estimator.estimate(frame.image, frame.timestamp_ns / 1e9)
        except Dance2MusicError as e:
            self.stats.component("pose", False, str(e))
            return None
        self.stats.component("pose", True)
        h, w = frame.image.shape[:2]
        vector = pose_vectors(pose.keypoints[None], (w, h), self.representation)[0]
        self.stats.latency("pose", (self.clock.monotonic_ns() - start_ns) / 1e6)
        self.stats.frame(frame.timestamp_ns)
        seen = Seen(frame, pose, vector, pose.presence >= self.presence_threshold)
        self.stats.set_person_present(seen.present)
        self.latest = seen
        return seen

    def reset(self) -> None:
        """A new capture: forget the tracked person."""
        self.estimator.reset()
        self.latest = None
        self.stats.set_person_present(False)
