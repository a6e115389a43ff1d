"""The seams of the live loop, written down: what each room is given and may call.

Implementations are named by backend (FluidSynthSink, CaptureThread, OpenVinoPose); the fakes
in dance2music.testing implement the same protocols on a manual clock."""

from __future__ import annotations

import dataclasses
import time
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol

import numpy as np

from dance2music.capture.source import Frame
from dance2music.pose.result import PoseEstimator, PoseResult

if TYPE_CHECKING:
    from dance2music.live.perception import Seen

__all__ = ["Clock", "MonotonicClock", "NoteSink", "FrameFeed", "PoseFeed", "PoseEstimator",
           "PoseResult", "LiveComposer", "NoteEvent", "NoteObserver"]


class Clock(Protocol):
    """The monotonic clock of the live path (frame stamps, retries, stall detection)."""

    def monotonic_ns(self) -> int: ...

    def sleep(self, seconds: float) -> None: ...


class MonotonicClock:
    def monotonic_ns(self) -> int:
        return time.monotonic_ns()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class NoteSink(Protocol):
    """Plays events at absolute ticks of its own clock (samples rendered). `render_lock()` holds
    the rendering back: an event sent while it is held with a tick later than `now()` sounds
    exactly at its tick (a sink that cannot hold rendering back returns a no-op lock)."""

    ticks_per_s: int

    @property
    def is_open(self) -> bool: ...

    @property
    def output_error(self) -> str | None:
        """Why the open output is not keeping what it plays (a file on a full disk), while
        the music and the clock go on; None when all is well."""

    def open(self) -> None: ...

    def now(self) -> int: ...

    def render_lock(self) -> AbstractContextManager: ...

    def note_on(self, tick: int, midi: int, velocity: int, channel: int = 0) -> None: ...

    def note_off(self, tick: int, midi: int, channel: int = 0) -> None: ...

    def program(self, channel: int, program: int) -> None: ...

    def fade_out(self, tick: int, duration_ticks: int) -> None: ...

    def close(self) -> None: ...


class FrameFeed(Protocol):
    """Frames from a running source (CaptureThread): the newest one, never a queue."""

    dropped: int
    error: str | None
    ended: bool

    def take(self, timeout_s: float) -> Frame | None: ...

    def close(self) -> None: ...


class PoseFeed(Protocol):
    """Poses of a running capture, every one in capture order (perception.PoseThread; the
    fakes' InlinePoses). Closing it closes the capture."""

    dropped: int
    error: str | None
    ended: bool

    def take(self, timeout_s: float) -> list[Seen]: ...

    def close(self) -> None: ...


class LiveComposer(Protocol):
    """A causal composer (music.composer.CausalComposer) as the loop uses it.
    `lookahead_frames` (d): note n is decided from frames up to n*k + d - 1, so the loop waits
    d frames past its boundary; `frame_span` is the one slicer live and offline share."""

    k: int
    history_notes: int
    lookahead_frames: int

    def frame_span(self, n: int, first: int = 0) -> tuple[int, int]: ...

    def reset(self) -> None: ...

    def decide(self, recent: np.ndarray, notes: np.ndarray) -> int: ...


@dataclasses.dataclass(frozen=True)
class NoteEvent:
    """One thing the loop played (or did not), for observers: tests, the benchmark, MIDI/OSC
    out, a piano roll. Ticks are the sink's clock.

    kind: "note" (a grid boundary), "cue" (one note of a mode's motif) or "fade" (to silence
    over fade_ms from `onset`). `decided`: the composer's note index (None: first note of a
    segment, replay, or too late to decide); `played`: the note index sounding from `onset`
    (None: silence or a cue); `struck`: a new note began at `onset` (False: the previous one
    holds); `missed`: the decision came too late and the previous note holds."""

    kind: str
    n: int
    boundary: int
    onset: int
    decided: int | None
    played: int | None
    struck: bool
    missed: bool
    midi: int | None = None
    velocity: int = 0
    channel: int = 0


class NoteObserver(Protocol):
    def __call__(self, event: NoteEvent) -> None: ...
