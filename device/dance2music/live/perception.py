"""The pose stage of the loop: a frame -> the estimator -> a pose vector and whether someone is
in view, with its latencies recorded. `latest` is a tap on the last frame and its pose (the
setup page's camera view reads it; the loop never does).

PoseThread runs the stage in its own thread, between the capture thread and the loop: a slow
pose (the person detector running again after the tracked dancer was lost) then never holds a
note decision past its deadline. The loop decides when the frames it needs are in, or when it
has waited for them long enough, whatever pose is still being computed."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections import deque

import numpy as np

from dance2music.capture.source import Frame
from dance2music.errors import Dance2MusicError
from dance2music.live.seams import Clock, FrameFeed, PoseEstimator, PoseResult
from dance2music.pose.features import Representation, pose_vectors

log = logging.getLogger(__name__)

CAPTURE_WAIT_S = 0.1  # the pose thread checks for stop at least this often
QUEUE_SLOTS = 30  # poses waiting for the loop (1 s at 30 fps); it takes them every few ms
_JOIN_TIMEOUT_S = 2.0


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


class CaptureState:
    """A pose feed's capture, as the loop reports it: frames dropped, and its error."""

    feed: FrameFeed

    @property
    def dropped(self) -> int:
        return self.feed.dropped

    @property
    def error(self) -> str | None:
        return self.feed.error


class PoseThread(CaptureState):
    """Frames from a running capture -> Perception, in a thread of its own; the loop takes the
    poses in capture order (seams.PoseFeed). Closing it closes the capture."""

    def __init__(self, feed: FrameFeed, perception: Perception):
        self.feed = feed
        self.perception = perception
        self._seen: deque[Seen] = deque(maxlen=QUEUE_SLOTS)
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pose", daemon=True)
        self._thread.start()

    @property
    def ended(self) -> bool:
        """The video ended and every pose of it was taken."""
        with self._cond:
            return self.feed.ended and not self._seen and not self._thread.is_alive()

    def take(self, timeout_s: float) -> list[Seen]:
        """The poses computed since the last call, waiting up to `timeout_s` for one."""
        with self._cond:
            if not self._seen:
                self._cond.wait(timeout_s)
            seen = list(self._seen)
            self._seen.clear()
            return seen

    def _run(self) -> None:
        failure: str | None = None
        while not self._stop.is_set():
            frame = self.feed.take(CAPTURE_WAIT_S)
            if frame is None:
                if self.feed.ended:
                    return
                continue
            try:
                seen = self.perception.see(frame)
            except Exception as e:  # an estimator's surprise: no pose for this frame, not a crash
                if failure != str(e):
                    log.exception("pose: the estimator failed (retried on every frame)")
                failure = str(e)
                self.perception.stats.component("pose", False, f"pose failed: {e}")
                continue
            failure = None
            if seen is not None:
                with self._cond:
                    self._seen.append(seen)
                    self._cond.notify()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=_JOIN_TIMEOUT_S)
        if self._thread.is_alive():
            log.warning("pose: the estimator did not return within %.0f s", _JOIN_TIMEOUT_S)
        self.feed.close()
