"""Slow automatic level for live music: keeps the long-term loudness at the target without
flattening the dynamics.

The calibration (sound.calibration) sets each world's level from a reference dance, but a
dancer who fills every beat sounds louder than one who holds long notes. This follows the
K-weighted (ITU-R BS.1770) loudness of the output over a long window, gated as BS.1770 gates
so that silence and quiet tails do not count, and moves a correction toward the target at most RATE_DB_PER_S, within +-RANGE_DB:
too slow to undo a crescendo, fast enough to settle within a minute."""

from __future__ import annotations

import math

import numpy as np
import pyloudnorm
from scipy.signal import lfilter, lfilter_zi

WINDOW_S = 10.0
RATE_DB_PER_S = 0.5
RANGE_DB = 12.0
GATE_LUFS = -70.0  # BS.1770's gates: silence, and blocks 10 LU under the music, do not count
RELATIVE_GATE_LU = 10.0
GATING_BLOCK_S = 0.4


class LoudnessFollower:
    def __init__(self, sample_rate_hz: int, target_lufs: float, channels: int = 2):
        self.sample_rate_hz = sample_rate_hz
        self.target_lufs = target_lufs
        self.correction_db = 0.0
        self._filters = [(f.b, f.a) for f in pyloudnorm.Meter(sample_rate_hz)._filters.values()]
        self._state = [np.outer(lfilter_zi(b, a), np.ones(channels)) * 0.0
                       for b, a in self._filters]
        self._mean_square: float | None = None
        self._sum, self._frames = 0.0, 0  # the gating block being filled

    @property
    def loudness_lufs(self) -> float:
        """The followed loudness (before the correction); -inf before any sound."""
        if not self._mean_square:
            return float("-inf")
        return -0.691 + 10 * math.log10(self._mean_square)

    def update(self, block: np.ndarray) -> float:
        """Measure a block (frames, channels) as played before the correction; returns the
        correction (dB) for the next block. Loudness is taken, as BS.1770 does, over 400 ms
        gating blocks; a gating block too quiet to count leaves everything as it is."""
        x = block
        for i, (b, a) in enumerate(self._filters):
            x, self._state[i] = lfilter(b, a, x, axis=0, zi=self._state[i])
        self._sum += float((x ** 2).sum(axis=0).sum())
        self._frames += len(x)
        if self._frames < GATING_BLOCK_S * self.sample_rate_hz:
            return self.correction_db
        block_ms, dt_s = self._sum / self._frames, self._frames / self.sample_rate_hz
        self._sum, self._frames = 0.0, 0
        block_lufs = -0.691 + 10 * math.log10(block_ms) if block_ms > 0 else float("-inf")
        if block_lufs < max(GATE_LUFS, self.loudness_lufs - RELATIVE_GATE_LU):
            return self.correction_db
        weight = min(1.0, dt_s / WINDOW_S)
        self._mean_square = (block_ms if self._mean_square is None
                             else (1 - weight) * self._mean_square + weight * block_ms)
        error = self.target_lufs - (self.loudness_lufs + self.correction_db)
        step = max(-RATE_DB_PER_S * dt_s, min(RATE_DB_PER_S * dt_s, error))
        self.correction_db = max(-RANGE_DB, min(RANGE_DB, self.correction_db + step))
        return self.correction_db
