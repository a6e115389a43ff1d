"""Fakes for the live loop's seams, on a manual clock: a sink that records what it was sent, a
camera feed, the pose stage inline, an estimator that replays a pose file, and a rig that wires
a LiveLoop on them.

Used by the fast tests (no OpenVINO, no FluidSynth, no sleeping): time moves only when the
feed waits for a frame or a test (or a slow fake composer) advances the clock."""

from __future__ import annotations

import contextlib
import dataclasses
import time
from pathlib import Path

import numpy as np

from dance2music.capture.source import Frame, FrameSource
from dance2music.config import LoopSettings
from dance2music.live.loop import LiveLoop
from dance2music.live.perception import CaptureState, Perception, Seen
from dance2music.live.seams import FrameFeed
from dance2music.live.stats import LiveStats
from dance2music.modes.commands import CommandQueue
from dance2music.pose.result import PoseResult, no_person
from dance2music.synth.fluid import AudioError

RATE = 48000


class ManualClock:
    def __init__(self, start_ns: int = 1_000_000_000):
        self.now_ns = start_ns

    def monotonic_ns(self) -> int:
        return self.now_ns

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self.now_ns += int(round(seconds * 1e9))


@dataclasses.dataclass(frozen=True)
class SentEvent:
    kind: str  # "on", "off", "fade", "program"
    tick: int  # when it is to sound
    sent_tick: int  # the sink's clock when it was sent
    midi: int = 0
    velocity: int = 0
    channel: int = 0


class FakeSink:
    """A NoteSink whose clock counts samples on the manual clock from when it opened. Records
    every event with the tick it was sent at. `fail_opens`: how many opens fail first."""

    def __init__(self, clock: ManualClock, ticks_per_s: int = RATE, fail_opens: int = 0):
        self.clock = clock
        self.ticks_per_s = ticks_per_s
        self.fail_opens = fail_opens
        self.events: list[SentEvent] = []
        self.opens = 0
        self.attempts_ns: list[int] = []  # when open() was called
        self.frozen = False  # the output stalls: its clock stops (until reopened)
        self.output_error: str | None = None  # plays on, but cannot keep what it plays
        self._origin_ns: int | None = None
        self._frozen_tick = 0

    @property
    def is_open(self) -> bool:
        return self._origin_ns is not None

    def open(self) -> None:
        self.attempts_ns.append(self.clock.monotonic_ns())
        if self.fail_opens > 0:
            self.fail_opens -= 1
            raise AudioError("audio: the fake output did not open")
        self.opens += 1
        self.frozen = False
        self._origin_ns = self.clock.monotonic_ns()

    def now(self) -> int:
        if self.frozen:
            return self._frozen_tick
        self._frozen_tick = (self.clock.monotonic_ns() - self._origin_ns) * self.ticks_per_s // 10**9
        return self._frozen_tick

    def render_lock(self):
        return contextlib.nullcontext()  # nothing renders while the test holds the clock

    def _record(self, kind: str, tick: int, midi: int = 0, velocity: int = 0,
                channel: int = 0) -> None:
        self.events.append(SentEvent(kind, tick, self.now(), midi, velocity, channel))

    def note_on(self, tick: int, midi: int, velocity: int, channel: int = 0) -> None:
        self._record("on", tick, midi, velocity, channel)

    def note_off(self, tick: int, midi: int, channel: int = 0) -> None:
        self._record("off", tick, midi, 0, channel)

    def program(self, channel: int, program: int) -> None:
        self._record("program", self.now(), program, 0, channel)

    def fade_out(self, tick: int, duration_ticks: int) -> None:
        self._record("fade", tick, duration_ticks)

    def close(self) -> None:
        self._origin_ns = None

    def notes_on(self, channel: int = 0) -> list[SentEvent]:
        return [e for e in self.events if e.kind == "on" and e.channel == channel]


class FakeFeed:
    """A camera at `fps` on the manual clock. take() returns the newest frame due (counting
    skipped ones as dropped), or waits (advances the clock) up to the timeout for the next."""

    def __init__(self, clock: ManualClock, fps: float = 30.0, size_px: tuple[int, int] = (64, 48)):
        self.clock = clock
        self.period_ns = int(round(1e9 / fps))
        self.dropped = 0
        self.error: str | None = None
        self.ended = False
        self.closed = False
        self._next_ns = clock.monotonic_ns()
        self._image = np.zeros((size_px[1], size_px[0], 3), dtype=np.uint8)

    def take(self, timeout_s: float) -> Frame | None:
        now = self.clock.monotonic_ns()
        if self.error is not None:
            self.clock.advance(timeout_s)
            self._next_ns = self.clock.monotonic_ns()
            return None
        if self._next_ns > now:
            if self._next_ns - now > timeout_s * 1e9:
                self.clock.advance(timeout_s)
                return None
            self.clock.now_ns = now = self._next_ns
        due = (now - self._next_ns) // self.period_ns  # frames that came since: the newest wins
        self.dropped += int(due)
        stamp = self._next_ns + due * self.period_ns
        self._next_ns = stamp + self.period_ns
        return Frame(self._image, int(stamp))

    def close(self) -> None:
        self.closed = True


class RealTimeCamera(FrameSource):
    """A blank camera at `fps` on the wall clock (for a CaptureThread): the ReplayEstimator
    turns its frames into a dance."""

    name = "real-time fake camera"

    def __init__(self, fps: float = 30.0, size_px: tuple[int, int] = (64, 48)):
        self.period_ns = int(round(1e9 / fps))
        self._image = np.zeros((size_px[1], size_px[0], 3), dtype=np.uint8)
        self._next_ns = 0

    def open(self) -> None:
        self._next_ns = time.monotonic_ns()

    def read(self) -> Frame:
        self._next_ns += self.period_ns
        time.sleep(max(0.0, (self._next_ns - time.monotonic_ns()) / 1e9))
        return Frame(self._image, self._next_ns)

    def close(self) -> None:
        pass


class InlinePoses(CaptureState):
    """The pose stage in the caller's thread (seams.PoseFeed), for deterministic runs on the
    manual clock: take() takes a frame and estimates its pose there and then."""

    def __init__(self, feed: FrameFeed, perception: Perception):
        self.feed = feed
        self.perception = perception

    @property
    def ended(self) -> bool:
        return self.feed.ended

    def take(self, timeout_s: float) -> list[Seen]:
        frame = self.feed.take(timeout_s)
        seen = None if frame is None else self.perception.see(frame)
        return [] if seen is None else [seen]

    def close(self) -> None:
        self.feed.close()


class ReplayEstimator:
    """A PoseEstimator replaying a pose file ((T, 18, 3) keypoints at `fps`) by frame time,
    round and round; nobody in view while `absent(t_s)` says so. `from_first_frame`: time
    counts from the first frame it is shown, so a camera on the real monotonic clock replays
    the file from its start, not from wherever that clock happens to be."""

    def __init__(self, path: Path, absent=lambda t_s: False, from_first_frame: bool = False):
        self._start_s: float | None = None if from_first_frame else 0.0
        data = np.load(path)
        self.keypoints = data["keypoints"]
        self.fps = float(data["fps"])
        self.image_size = data["image_size"]  # (w, h) the keypoints' pixels refer to
        self.absent = absent
        self.resets = 0

    def estimate(self, frame_bgr: np.ndarray, timestamp_s: float) -> PoseResult:
        if self.absent(timestamp_s):
            return no_person(0.0, timestamp_s, True)
        if self._start_s is None:
            self._start_s = timestamp_s
        i = int((timestamp_s - self._start_s) * self.fps) % len(self.keypoints)
        h, w = frame_bgr.shape[:2]
        keypoints = self.keypoints[i].copy()
        keypoints[:, :2] *= np.array([w, h]) / self.image_size  # onto this frame's pixels
        return PoseResult(keypoints, 0.9, timestamp_s, False)

    def reset(self) -> None:
        self.resets += 1

    def close(self) -> None:
        pass


class FakeRig:
    """A LiveLoop on fakes. `feeds` lists every feed the loop opened (one per wake)."""

    def __init__(self, poses: Path, composer_for, absent=lambda t_s: False,
                 observers=(), sound=None, **settings):
        self.clock = ManualClock()
        self.sink = FakeSink(self.clock)
        self.estimator = ReplayEstimator(poses, absent)
        self.feeds: list[FakeFeed] = []
        self.events = []
        self.commands = CommandQueue()
        self.settings = LoopSettings(**{"mode": "greedy", **settings})
        self.stats = LiveStats(self.settings.fixed_latency_ms, clock_ns=self.clock.monotonic_ns)
        self.loop = LiveLoop(self._open_feed, self.estimator, self.sink, composer_for,
                             self.settings, self.stats, self.commands, clock=self.clock,
                             observers=[self.events.append, *observers], audio_retry_s=0.5,
                             sound=sound, pose_feed=InlinePoses)
        self.loop.idle_wait_s = 0

    def _open_feed(self) -> FakeFeed:
        self.feeds.append(FakeFeed(self.clock))
        return self.feeds[-1]

    @property
    def t_s(self) -> float:
        return self.clock.monotonic_ns() / 1e9

    def start(self) -> FakeRig:
        self.loop.enter(self.loop.machine.mode, cue=False)
        return self

    def run_for(self, seconds: float, idle_step_s: float = 0.01) -> None:
        """Step the loop until the clock has advanced `seconds` (standby steps advance it by
        `idle_step_s`, as waiting for a command would)."""
        end = self.clock.monotonic_ns() + int(seconds * 1e9)
        while self.clock.monotonic_ns() < end:
            before = self.clock.monotonic_ns()
            self.loop.step()
            if self.clock.monotonic_ns() == before:
                self.clock.advance(idle_step_s)

    def notes(self):
        return [e for e in self.events if e.kind == "note"]
