"""Pose vectors resampled onto the composer's 30 fps grid by capture time.

Slot j of the grid lies at audio tick origin + j * slot_ticks and holds the latest frame
captured at or before it (sample and hold), so 25, 29.97 or 60 fps cameras all give 30
vectors a second. A slot is final once a later frame has arrived."""

from __future__ import annotations

from collections import deque

import numpy as np


class PoseGrid:
    def __init__(self, origin_tick: int, slot_ticks: float, keep_slots: int, dim: int = 36):
        self.origin_tick = origin_tick
        self.slot_ticks = slot_ticks
        self._vectors: deque[np.ndarray] = deque(maxlen=keep_slots)
        self._frame_ticks: deque[int] = deque(maxlen=keep_slots)  # capture tick of each slot
        self.filled = 0  # slots 0..filled-1 are final
        self._last: tuple[int, np.ndarray] | None = None  # (capture tick, vector)
        self._dim = dim

    def slot_tick(self, j: int) -> int:
        return self.origin_tick + int(round(j * self.slot_ticks))

    def _fill(self, until: int, tick: int, vector: np.ndarray) -> None:
        while self.filled < until:
            self._vectors.append(vector)
            self._frame_ticks.append(tick)
            self.filled += 1

    def add(self, tick: int, vector: np.ndarray) -> None:
        """A frame captured at audio tick `tick`: every slot before it is now final."""
        first_after = self.filled
        while self.slot_tick(first_after) < tick:
            first_after += 1
        held = self._last if self._last is not None else (tick, vector)  # before the first frame
        self._fill(first_after, *held)
        self._last = (tick, vector)

    def hold_until(self, until: int) -> None:
        """Finalise slots up to `until` with the latest frame (a deadline came first)."""
        if self._last is not None:
            self._fill(until, *self._last)
        else:
            self._fill(until, self.origin_tick, np.full(self._dim, -1.0))

    def window(self, end: int, frames: int) -> np.ndarray:
        """The vectors of slots [end - frames, end) that are still kept (fewer at the start)."""
        base = self.filled - len(self._vectors)
        start = max(base, end - frames)
        return np.array([self._vectors[j - base] for j in range(start, end)])

    def frame_tick(self, slot: int) -> int:
        """When the frame held in `slot` was captured (audio tick)."""
        return self._frame_ticks[slot - (self.filled - len(self._vectors))]
