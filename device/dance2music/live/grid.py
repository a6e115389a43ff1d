"""The note grid on the audio clock: where note n's boundary and onset lie, and until when its
decision may wait for frames and still be sent.

Boundary n lies at origin + n * note_ticks (k frames of 30 fps). The note is played at its
onset = boundary + L (the fixed latency). It is decided from the pose slots before
n * k + d (d = the composer's lookahead in frames), and must be sent to the sink before
onset - guard: later, it would sound late, so it is a miss and the previous note holds."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import numpy as np

from dance2music.live.history import PoseGrid

GRID_FPS = 30
GUARD_MS = 2.0  # an event must reach the sink this long before its tick


@dataclasses.dataclass(frozen=True)
class NoteSlot:
    n: int
    boundary_tick: int
    onset_tick: int
    next_onset_tick: int  # where this note's step ends
    frames_needed: int  # pose slots that must be final before deciding: n * k + d
    wait_frames_until_tick: int  # after this the decision stops waiting for late frames
    send_by_tick: int  # the last tick at which the note may still be sent


class NoteGrid:
    def __init__(self, origin_tick: int, ticks_per_s: int, k: int, latency_ms: float,
                 lookahead_frames: int = 0, guard_ms: float = GUARD_MS):
        self.origin_tick = origin_tick
        self.k = k
        self.lookahead_frames = lookahead_frames
        self.note_ticks = _ticks(1000 * k / GRID_FPS, ticks_per_s)
        self.slot_ticks = self.note_ticks / k  # one 30 fps pose slot
        self.latency_ticks = _ticks(latency_ms, ticks_per_s)
        self.guard_ticks = _ticks(guard_ms, ticks_per_s)
        self.lookahead_ticks = int(round(lookahead_frames * self.slot_ticks))

    @classmethod
    def after(cls, now_tick: int, ticks_per_s: int, k: int, latency_ms: float,
              lookahead_frames: int = 0) -> NoteGrid:
        """A grid whose boundary 0 is the first whole note step after `now_tick`."""
        note_ticks = _ticks(1000 * k / GRID_FPS, ticks_per_s)
        origin = (now_tick // note_ticks + 1) * note_ticks
        return cls(origin, ticks_per_s, k, latency_ms, lookahead_frames)

    def slot(self, n: int) -> NoteSlot:
        boundary = self.origin_tick + n * self.note_ticks
        onset = boundary + self.latency_ticks
        waited = frame_wait_ticks(self.lookahead_ticks, self.latency_ticks)
        return NoteSlot(n, boundary, onset, onset + self.note_ticks,
                        first_frames_needed(n * self.k + self.lookahead_frames),
                        boundary + waited, onset - self.guard_ticks)

    def first_after(self, tick: int) -> int:
        """The index of the first boundary later than `tick` (wake: no burst of past ones)."""
        return max(0, (tick - self.origin_tick) // self.note_ticks + 1)


def frame_wait_ticks(lookahead_ticks: int, latency_ticks: int) -> int:
    """How long after its boundary a decision waits for its frames: frames arriving later than
    halfway from the lookahead's end to the onset are not waited for, the latest one holds (at
    d = 0: half the latency)."""
    return lookahead_ticks + max(0, latency_ticks - lookahead_ticks) // 2


def first_frames_needed(frames: int) -> int:
    """A grid's first boundary waits for one frame at least (as long as it may wait): whether
    someone is in view, and so whether music starts, needs a frame to go by."""
    return max(1, frames)


def _ticks(ms: float, ticks_per_s: int) -> int:
    return int(round(ms * ticks_per_s / 1000))


class Timeline:
    """One audio clock's two grids: the note grid, and the pose slots (30 fps) that lie on
    it, with the next boundary to decide. Laid from a tick: its first boundary comes after it
    (after a standby or a new audio clock, no burst of boundaries that passed)."""

    def __init__(self, now_tick: int, ticks_per_s: int, k: int, latency_ms: float,
                 lookahead_frames: int, keep_s: float):
        self.grid = NoteGrid.after(now_tick, ticks_per_s, k, latency_ms, lookahead_frames)
        keep = int(keep_s * GRID_FPS) + k + lookahead_frames
        self.poses = PoseGrid(self.grid.origin_tick, self.grid.slot_ticks, keep)
        self._ticks_per_s, self._latency_ms = ticks_per_s, latency_ms
        self.n = 0  # the next boundary to decide
        self.estimate = None  # a fixed grid follows no tempo (TempoTimeline's TempoEstimate)

    def look_ahead(self, frames: int) -> None:
        """Another composer: the same grid, with its lookahead."""
        g = self.grid
        if frames != g.lookahead_frames:
            self.grid = NoteGrid(g.origin_tick, self._ticks_per_s, g.k, self._latency_ms, frames)

    def due(self, now: Callable[[], int]) -> Iterator[NoteSlot]:
        """Each boundary whose frames are in, or that has waited for them long enough by the
        clock `now` (the latest frame then holds for the missing slots)."""
        while True:
            slot = self.grid.slot(self.n)
            if self.poses.filled < slot.frames_needed and now() < slot.wait_frames_until_tick:
                return
            self.poses.hold_until(slot.frames_needed)
            self.n += 1
            yield slot

    def add(self, tick: int, seen) -> None:
        """A frame's pose (perception.Seen) captured at audio tick `tick`."""
        self.poses.add(tick, seen.vector)

    def composer_poses(self, slot: NoteSlot, frames: int) -> np.ndarray:
        """What the composer reads for `slot`: the last `frames` pose slots it may see."""
        return self.poses.window(slot.frames_needed, frames)

    def recorded(self, seconds: float) -> np.ndarray:
        """The last `seconds` of pose vectors (the replay mode's dance)."""
        return self.poses.window(self.poses.filled, int(seconds * GRID_FPS))
