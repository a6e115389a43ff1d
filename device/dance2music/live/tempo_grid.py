"""The live tempo grid: a Timeline whose boundaries follow the dancer's beat (music/grid.py).

Boundary n + 1 is placed as soon as the pose slots before boundary n are in (the TempoTracker
is fed every 30 fps slot once it is final), so the grid only ever moves ahead of the note being
decided: a tempo change moves it at a note boundary, no note is sent off its own onset, and a
note's end (`next_onset_tick`) is known when it starts. The composer sees the poses in warped
time, k per note, as offline (`warp`): with a lookahead of d, note n's decision also waits for
the slots under its first d warped samples, which lie at known times once n + 1 is placed."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterator

import numpy as np

from dance2music.live.grid import (GRID_FPS, NoteGrid, NoteSlot, Timeline, first_frames_needed,
                                   frame_wait_ticks)
from dance2music.live.history import PoseGrid
from dance2music.music.grid import GridFollower, GridSettings
from dance2music.music.tempo import TempoEstimate, TempoSettings, TempoTracker
from dance2music.pose.features import pose_vectors


def lay_timeline(grid: str, now_tick: int, ticks_per_s: int, k: int, latency_ms: float,
                 lookahead_frames: int, keep_s: float) -> Timeline | TempoTimeline:
    """The note grid on an audio clock from `now_tick`: fixed, or following the dancer's tempo
    ([loop] grid)."""
    kind = TempoTimeline if grid == "tempo" else Timeline
    return kind(now_tick, ticks_per_s, k, latency_ms, lookahead_frames, keep_s)


class TempoTimeline:
    """Same interface as live.grid.Timeline (due, poses, composer_poses, look_ahead,
    recorded), on a grid that follows the tempo; the lookahead counts warped samples (k per
    note), as `compose --grid tempo --lookahead d` does offline."""

    def __init__(self, now_tick: int, ticks_per_s: int, k: int, latency_ms: float,
                 lookahead_frames: int, keep_s: float, tracker: TempoTracker | None = None):
        fixed = NoteGrid.after(now_tick, ticks_per_s, k, latency_ms)
        self.grid = fixed  # origin, latency, guard and slot length of the fixed grid
        self.k = k
        self.lookahead_frames = lookahead_frames
        self.ticks_per_s = ticks_per_s
        keep = int(keep_s * GRID_FPS) + 2 * k
        self.poses = PoseGrid(fixed.origin_tick, fixed.slot_ticks, keep)
        # What the tracker reads: image-normalised joints whatever the composer's representation
        # (a body-centred pose hides the whole body's bounce), as music/grid.py offline.
        self.movement = PoseGrid(fixed.origin_tick, fixed.slot_ticks, 2 * GRID_FPS)
        self.tracker = tracker or TempoTracker(TempoSettings(fps=GRID_FPS))
        self.tracker.reset()
        self.follower = GridFollower(GridSettings(k=k, fps=GRID_FPS))
        self.estimate: TempoEstimate = self.tracker.estimate()
        self.n = 0  # the next boundary to decide
        self._boundary = fixed.origin_tick  # boundary n's tick
        self._next: int | None = None  # boundary n + 1's tick, once placed
        self._fed = 0  # pose slots the tracker has seen
        # k poses per decided note; of the last one (start tick, end tick) only `_taken` so far
        self._warped: deque[np.ndarray] = deque(maxlen=keep + k)
        self._last_note: tuple[int, int] | None = None
        self._taken = 0

    def _seconds(self, tick: int) -> float:
        return (tick - self.grid.origin_tick) / self.ticks_per_s

    def _tick(self, seconds: float) -> int:
        return self.grid.origin_tick + int(round(seconds * self.ticks_per_s))

    def _slot_at(self, tick: float) -> int:
        """The latest pose slot at or before `tick`."""
        return math.floor((tick - self.grid.origin_tick) / self.grid.slot_ticks + 1e-9)

    def add(self, tick: int, seen) -> None:
        """A frame's pose (perception.Seen) captured at audio tick `tick`."""
        self.poses.add(tick, seen.vector)
        h, w = seen.frame.image.shape[:2]
        self.movement.add(tick, pose_vectors(seen.pose.keypoints[None], (w, h), "paper")[0])

    def look_ahead(self, frames: int) -> None:
        """Another composer: from the next decision on, its lookahead (in warped samples)."""
        self.lookahead_frames = frames

    def due(self, now: Callable[[], int]) -> Iterator[NoteSlot]:
        """Each boundary whose pose slots are in, or that has waited for them long enough:
        first those before the boundary (they place the next one), then those under the
        lookahead's warped samples, by NoteGrid's rule."""
        g = self.grid
        while True:
            boundary = self._boundary
            before = self._slot_at(boundary - 1) + 1  # the slots lying before the boundary
            # Feed the tracker as slots become final, not all at the boundary: less work
            # between the last frame and the decision.
            self._feed(min(self.poses.filled, before))
            if self._next is None:
                # Half the latency, as with no lookahead: a lookahead only waits longer.
                if self.poses.filled < before and now() < boundary + frame_wait_ticks(0, g.latency_ticks):
                    return
                self._hold(before)
                self._next = self._follow(before, boundary)
            needed, lookahead_ticks = self._lookahead(boundary, self._next, before)
            waited = frame_wait_ticks(lookahead_ticks, g.latency_ticks)
            if self.poses.filled < needed and now() < boundary + waited:
                return
            self._hold(needed)
            self._take(boundary, self._next, needed)
            slot = NoteSlot(self.n, boundary, boundary + g.latency_ticks,
                            self._next + g.latency_ticks, needed, boundary + waited,
                            boundary + g.latency_ticks - g.guard_ticks)
            self._boundary, self._next = self._next, None
            self.n += 1
            yield slot

    def _hold(self, upto: int) -> None:
        """Slots up to `upto` are final: the latest frame holds for any still missing."""
        self.poses.hold_until(upto)
        self.movement.hold_until(upto)

    def _sample_slot(self, start: int, end: int, j: int) -> int:
        """The pose slot of warped sample j of the note from tick `start` to `end`."""
        return self._slot_at(start + (end - start) * j / self.k)

    def _lookahead(self, boundary: int, nxt: int, before: int) -> tuple[int, int]:
        """(slots the decision needs, ticks after the boundary until the last of them is
        final): those under the note's first d warped samples, as NoteGrid's n * k + d."""
        d = self.lookahead_frames
        if d == 0:
            return first_frames_needed(before), 0
        needed = max(before, self._sample_slot(boundary, nxt, d - 1) + 1)
        return needed, self.poses.slot_tick(needed) - boundary

    def _feed(self, upto: int) -> None:
        """The tracker sees pose slots up to `upto` (never past the boundary being decided)."""
        upto = min(upto, self.movement.filled)
        if upto > self._fed:  # (slots older than the 2 s kept were fed long ago)
            for vector in self.movement.window(upto, upto - self._fed):
                self.tracker.update(vector)
            self._fed = upto

    def _follow(self, before: int, boundary: int) -> int:
        """Feed the tracker the slots before the boundary; the next boundary's tick."""
        self._feed(before)
        self.estimate = self.tracker.estimate()
        nxt = self.follower.next_boundary_s(self._seconds(boundary), self.estimate)
        return max(self._tick(nxt), boundary + 1)

    def _take(self, boundary: int, nxt: int, needed: int) -> None:
        """The warped poses the decision sees: the rest of the last note's k (sample and hold
        at evenly spaced times), then the first d of this one."""
        if self._last_note is not None:
            self._append(*self._last_note, range(self._taken, self.k), needed)
        self._taken = min(self.lookahead_frames, self.k)
        self._append(boundary, nxt, range(self._taken), needed)
        self._last_note = (boundary, nxt)

    def _append(self, start: int, end: int, samples: range, needed: int) -> None:
        for j in samples:
            slot = min(self._sample_slot(start, end, j), needed - 1)
            self._warped.append(self.poses.window(slot + 1, 1)[0])

    def composer_poses(self, slot: NoteSlot, frames: int) -> np.ndarray:
        """The last `frames` warped poses up to the slot's decision (k per note, and the
        first d of its own)."""
        return np.array(list(self._warped)[max(0, len(self._warped) - frames):])

    def recorded(self, seconds: float) -> np.ndarray:
        """The last `seconds` of pose vectors at 30 fps (the replay mode's dance)."""
        return self.poses.window(self.poses.filled, int(seconds * GRID_FPS))
