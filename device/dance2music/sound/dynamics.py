"""Note velocity from movement: stillness is soft, big moves are loud, kinematic beats accented.

Causal and normalised to the dancer: an interval's log energy is placed within the range of
the dancer's recent intervals (10th to 90th percentile of a running window), smoothed over
consecutive notes, and mapped to a velocity range. The range never shrinks below a floor, so
a dancer who barely moves is not blown up to full volume, and near-stillness is always soft."""

from __future__ import annotations

import collections
import dataclasses
import math

import numpy as np

from dance2music.sound.movement import IntervalMotion


@dataclasses.dataclass(frozen=True)
class DynamicsSettings:
    # new_weight and accent were chosen on the training choreographies of the AIST++ split
    # (models/dance_data.py); benchmarks/sound.py reports the held-out ones separately.
    softest: int = 30  # MIDI velocity of stillness
    loudest: int = 108  # MIDI velocity of the dancer's biggest moves (before an accent)
    accent: int = 10  # added where a kinematic beat falls
    window_notes: int = 150  # the dancer's range is taken over this many notes (30 s)
    new_weight: float = 0.8  # weight of the newest interval in the smoothed level
    min_ratio: float = 4.0  # loudest energy at least this many times the softest's
    still_energy: float = 0.02  # below this (half-widths/s) a body counts as still
    low_percentile: float = 10.0
    high_percentile: float = 90.0


class Dynamics:
    """Velocities of successive note intervals, from their movement."""

    def __init__(self, settings: DynamicsSettings = DynamicsSettings()):
        self.settings = settings
        self._recent: collections.deque[float] = collections.deque(maxlen=settings.window_notes)
        self._level: float | None = None

    def _normalised(self, energy: float) -> float:
        s = self.settings
        log_e = math.log(max(energy, s.still_energy))
        self._recent.append(log_e)
        low, high = np.percentile(self._recent, [s.low_percentile, s.high_percentile])
        low = max(low, math.log(s.still_energy))
        spread = max(high - low, math.log(s.min_ratio))
        return min(1.0, max(0.0, (log_e - low) / spread))

    def velocity(self, motion: IntervalMotion) -> int:
        s = self.settings
        x = self._normalised(motion.energy)
        self._level = (x if self._level is None
                       else s.new_weight * x + (1 - s.new_weight) * self._level)
        v = s.softest + (s.loudest - s.softest) * self._level + (s.accent if motion.beat else 0)
        return int(min(127, max(1, round(v))))
