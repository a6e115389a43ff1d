"""The pose stage in its own thread (perception.PoseThread), on the wall clock: every pose of a
capture reaches the loop in order, an estimator's failure is a reported state, and a slow pose
no longer holds a note decision past its deadline (it did when the pose ran in the loop's
thread: the CI soak's one miss in 2 minutes)."""

import gc
import time

import numpy as np
from conftest import DEMO_POSES

from dance2music.capture.source import EndOfStream, Frame
from dance2music.capture.thread import CaptureThread
from dance2music.config import LoopSettings
from dance2music.live.loop import LiveLoop
from dance2music.live.perception import Perception, PoseThread
from dance2music.live.seams import MonotonicClock
from dance2music.live.stats import LiveStats
from dance2music.modes.commands import CommandQueue
from dance2music.music.causal import GreedyComposer
from dance2music.testing import FakeSink, InlinePoses, RealTimeCamera, ReplayEstimator

LATENCY_MS = 100


class ShortCamera(RealTimeCamera):
    """`frames` frames at 30 fps, then the end of the video."""

    def __init__(self, frames: int):
        super().__init__()
        self.left = frames

    def read(self) -> Frame:
        if self.left == 0:
            raise EndOfStream("end of the test video")
        self.left -= 1
        return super().read()


class StallingEstimator(ReplayEstimator):
    """The replayed dance; every `every`-th frame takes `stall_s` (the detector running again
    after the tracked person was lost), or raises once `fail_at` frames were estimated."""

    def __init__(self, every: int = 0, stall_s: float = 0.0, fail_at: int = -1):
        super().__init__(DEMO_POSES)
        self.every, self.stall_s, self.fail_at, self.calls = every, stall_s, fail_at, 0

    def estimate(self, frame_bgr, timestamp_s):
        self.calls += 1
        if self.calls == self.fail_at:
            raise RuntimeError("the inference request failed")
        if self.every and self.calls % self.every == 0:
            time.sleep(self.stall_s)
        return super().estimate(frame_bgr, timestamp_s)


def perception(estimator, stats):
    return Perception(estimator, "body", 0.5, stats, MonotonicClock())


def take_all(poses: PoseThread, seconds: float) -> list:
    seen, end = [], time.monotonic() + seconds
    while not poses.ended and time.monotonic() < end:
        seen += poses.take(0.05)
    return seen


def test_every_pose_reaches_the_loop_in_capture_order_until_the_video_ends():
    stats = LiveStats(LATENCY_MS)
    capture = CaptureThread(ShortCamera(30), 0.2).start()
    poses = PoseThread(capture, perception(StallingEstimator(every=10, stall_s=0.05), stats))
    seen = take_all(poses, 5.0)
    assert poses.ended, "the end of the video did not reach the loop"
    stamps = [s.frame.timestamp_ns for s in seen]
    assert stamps == sorted(set(stamps))
    assert len(seen) + poses.dropped == 30 and len(seen) >= 25
    poses.close()
    assert not capture._thread.is_alive(), "closing the poses did not close the capture"


def test_an_estimator_failure_is_reported_and_the_next_frames_still_get_poses():
    stats = LiveStats(LATENCY_MS)
    stats.component("pose", True)
    poses = PoseThread(CaptureThread(ShortCamera(20), 0.2).start(),
                       perception(StallingEstimator(fail_at=3), stats))
    deadline = time.monotonic() + 2.0
    while stats.read().components["pose"].ok and time.monotonic() < deadline:
        time.sleep(0.005)
    assert stats.read().components["pose"].error == "pose failed: the inference request failed"
    seen = take_all(poses, 5.0)
    poses.close()
    assert len(seen) >= 15 and stats.read().components["pose"].ok


def run_loop(pose_feed, seconds: float, observers=()):
    """The greedy mode on the wall clock, a pose of 250 ms every 1.5 s."""
    stats, events = LiveStats(LATENCY_MS), []
    loop = LiveLoop(lambda: CaptureThread(RealTimeCamera(), 0.2).start(),
                    StallingEstimator(every=45, stall_s=0.25), FakeSink(MonotonicClock()),
                    lambda name: GreedyComposer(),
                    LoopSettings(mode="greedy", fixed_latency_ms=LATENCY_MS, absent_s=60),
                    stats, CommandQueue(), observers=[events.append, *observers],
                    pose_feed=pose_feed)
    loop.run(duration_s=seconds)
    return stats.read(), [e for e in events if e.kind == "note"]


def test_a_slow_pose_does_not_hold_a_decision_past_its_deadline():
    snap, notes = run_loop(PoseThread, 4.0)
    assert snap.deadline_misses == 0 and not any(e.missed for e in notes)
    assert len(notes) >= 17  # a note every 0.2 s, through the stalls
    assert np.all(np.diff([e.n for e in notes]) == 1)


def test_the_loop_leaves_what_it_started_with_out_of_collections():
    """A full collection holds every thread, as a slow pose would the loop's: while the loop
    runs, the modules and models it started with are frozen out of them (a test process that
    has imported torch took 150-320 ms per full collection; benchmarks/live_run.py measures
    the device's)."""
    frozen = []
    run_loop(PoseThread, 1.5, observers=[lambda event: frozen.append(gc.get_freeze_count())])
    assert frozen and min(frozen) > 10_000  # the interpreter's and numpy's objects alone
    assert gc.get_freeze_count() == 0  # all collectable again once it has ended


def test_the_same_slow_pose_in_the_loops_thread_misses_deadlines():
    """What the test above guards against (so it can fail)."""
    snap, _ = run_loop(InlinePoses, 4.0)
    assert snap.deadline_misses >= 2
