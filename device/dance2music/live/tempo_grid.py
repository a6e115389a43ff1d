"""The live tempo grid: a Timeline whose boundaries follow the dancer's beat (music/grid.py).

Boundary n + 1 is placed when boundary n is decided, from the pose slots before boundary n
(the TempoTracker is fed every 30 fps slot once it is final), so the grid only ever moves
ahead of the note being decided: a tempo change moves it at a note boundary, no note is sent
off its own onset, and a note's end (`next_onset_tick`) is known when it starts. The composer
sees the poses in warped time, k per note, as offline (`warp`)."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterator

import numpy as np

from dance2music.live.grid import GRID_FPS, NoteGrid, NoteSlot, first_frames_needed
from dance2music.live.history import PoseGrid
from dance2music.music.grid import GridFollower, GridSettings
from dance2music.music.tempo import TempoEstimate, TempoSettings, TempoTracker
from dance2music.pose.features import pose_vectors


class TempoTimeline:
    """Same interface as live.grid.Timeline (due, poses, composer_poses, look_ahead,
    recorded), on a grid that follows the tempo. Composers with a lookahead are not followed:
    their lookahead is in fixed frames (the loop keeps the fixed grid for them)."""

    def __init__(self, now_tick: int, ticks_per_s: int, k: int, latency_ms: float,
                 keep_s: float, tracker: TempoTracker | None = None):
        fixed = NoteGrid.after(now_tick, ticks_per_s, k, latency_ms)
        self.grid = fixed  # origin, latency, guard and slot length of the fixed grid
        self.k = k
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
        self._previous: int | None = None  # boundary n - 1's tick
        self._fed = 0  # pose slots the tracker has seen
        self._warped: deque[np.ndarray] = deque(maxlen=keep)  # k poses per decided note

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
        """Nothing to do: the tempo grid decides at its boundaries (lookahead 0)."""

    def due(self, now: Callable[[], int]) -> Iterator[NoteSlot]:
        """Each boundary whose pose slots are in, or that has waited for them long enough."""
        g = self.grid
        while True:
            boundary = self._boundary
            needed = first_frames_needed(self._slot_at(boundary - 1) + 1)  # slots before it
            wait_until = boundary + g.latency_ticks // 2
            # Feed the tracker as slots become final, not all at the boundary: less work
            # between the last frame and the decision.
            self._feed(min(self.poses.filled, needed))
            if self.poses.filled < needed and now() < wait_until:
                return
            self.poses.hold_until(needed)
            self.movement.hold_until(needed)
            nxt = self._follow(needed, boundary)
            slot = NoteSlot(self.n, boundary, boundary + g.latency_ticks, nxt + g.latency_ticks,
                            needed, wait_until, boundary + g.latency_ticks - g.guard_ticks)
            self._previous, self._boundary = boundary, nxt
            self.n += 1
            yield slot

    def _feed(self, upto: int) -> None:
        """The tracker sees pose slots up to `upto` (never past the boundary being decided)."""
        upto = min(upto, self.movement.filled)
        if upto > self._fed:  # (slots older than the 2 s kept were fed long ago)
            for vector in self.movement.window(upto, upto - self._fed):
                self.tracker.update(vector)
            self._fed = upto

    def _follow(self, needed: int, boundary: int) -> int:
        """Feed the tracker the slots now final, keep the warped poses of the note that just
        ended, and return the next boundary's tick."""
        self._feed(needed)
        if self._previous is not None:
            start = self._previous
            for j in range(self.k):  # sample and hold at k evenly spaced times of the note
                slot = min(self._slot_at(start + (boundary - start) * j / self.k), needed - 1)
                self._warped.append(self.poses.window(slot + 1, 1)[0])
        self.estimate = self.tracker.estimate()
        nxt = self.follower.next_boundary_s(self._seconds(boundary), self.estimate)
        return max(self._tick(nxt), boundary + 1)

    def composer_poses(self, slot: NoteSlot, frames: int) -> np.ndarray:
        """The last `frames` warped poses before the slot's note (k per note)."""
        return np.array(list(self._warped)[max(0, len(self._warped) - frames):])

    def recorded(self, seconds: float) -> np.ndarray:
        """The last `seconds` of pose vectors at 30 fps (the replay mode's dance)."""
        return self.poses.window(self.poses.filled, int(seconds * GRID_FPS))
