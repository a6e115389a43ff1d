"""Slow automatic level for live music: keeps the long-term loudness at the target without
flattening the dynamics.

The calibration (sound.calibration) sets each world's level from a reference dance, but a
dancer who fills every beat sounds louder than one who holds long notes. This follows the
K-weighted (ITU-R BS.1770) loudness of the output over a long window, gated as BS.1770 gates
so that silence and quiet tails do not count, and moves a correction toward the target at
most RATE_UP_DB_PER_S up (too slow to undo a crescendo) or RATE_DOWN_DB_PER_S down (a
dancer much louder than the calibration is not left blaring for long), within +-RANGE_DB.

Each 400 ms gating block is K-weighted in the frequency domain (its spectrum times the
filter's power response, Parseval): numpy only, as scipy.signal takes seconds to import on a
Pi and would delay the first note."""

from __future__ import annotations

import math

import numpy as np

WINDOW_S = 10.0
RATE_UP_DB_PER_S = 0.5
RATE_DOWN_DB_PER_S = 2.0
RANGE_DB = 12.0
GATE_LUFS = -70.0  # BS.1770's gates: silence, and blocks 10 LU under the music, do not count
RELATIVE_GATE_LU = 10.0
GATING_BLOCK_S = 0.4

# BS.1770-4 K-weighting at 48 kHz: a high shelf (+4 dB above ~1.5 kHz), then a high pass.
_K_FILTERS = (((1.53512485958697, -2.69169618940638, 1.19839281085285),
               (1.0, -1.69065929318241, 0.73248077421585)),
              ((1.0, -2.0, 1.0), (1.0, -1.99004745483398, 0.99007225036621)))
_K_RATE_HZ = 48000


def k_weighting_power(freqs_hz: np.ndarray) -> np.ndarray:
    """|H(f)|^2 of the K-weighting filter at each frequency."""
    z = np.exp(-2j * np.pi * np.asarray(freqs_hz) / _K_RATE_HZ)
    power = np.ones(len(z))
    for b, a in _K_FILTERS:
        h = (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)
        power *= np.abs(h) ** 2
    return power


class LoudnessFollower:
    def __init__(self, sample_rate_hz: int, target_lufs: float):
        self.sample_rate_hz = sample_rate_hz
        self.target_lufs = target_lufs
        self.correction_db = 0.0
        self._block_frames = int(GATING_BLOCK_S * sample_rate_hz)
        weights = k_weighting_power(np.fft.rfftfreq(self._block_frames, 1 / sample_rate_hz))
        weights[1:(self._block_frames + 1) // 2] *= 2  # one-sided spectrum: both halves
        self._weights = weights / self._block_frames ** 2  # Parseval: sum -> mean square
        self._pending: list[np.ndarray] = []
        self._pending_frames = 0
        self._mean_square: float | None = None

    @property
    def loudness_lufs(self) -> float:
        """The followed loudness (before the correction); -inf before any sound."""
        if not self._mean_square:
            return float("-inf")
        return -0.691 + 10 * math.log10(self._mean_square)

    def _block_mean_square(self, block: np.ndarray) -> float:
        """K-weighted mean square of one gating block, summed over channels."""
        spectrum = np.fft.rfft(block, axis=0)
        return float((np.abs(spectrum) ** 2 * self._weights[:, None]).sum())

    def update(self, block: np.ndarray) -> float:
        """Measure a block (frames, channels) as played before the correction; returns the
        correction (dB) for the next block. A gating block too quiet to count leaves
        everything as it is."""
        self._pending.append(block)
        self._pending_frames += len(block)
        if self._pending_frames < self._block_frames:
            return self.correction_db
        frames = np.concatenate(self._pending)
        gating, rest = frames[:self._block_frames], frames[self._block_frames:]
        self._pending, self._pending_frames = ([rest] if len(rest) else []), len(rest)
        block_ms = self._block_mean_square(gating)
        block_lufs = -0.691 + 10 * math.log10(block_ms) if block_ms > 0 else float("-inf")
        if block_lufs < max(GATE_LUFS, self.loudness_lufs - RELATIVE_GATE_LU):
            return self.correction_db
        weight = min(1.0, GATING_BLOCK_S / WINDOW_S)
        self._mean_square = (block_ms if self._mean_square is None
                             else (1 - weight) * self._mean_square + weight * block_ms)
        error = self.target_lufs - (self.loudness_lufs + self.correction_db)
        step = max(-RATE_DOWN_DB_PER_S * GATING_BLOCK_S,
                   min(RATE_UP_DB_PER_S * GATING_BLOCK_S, error))
        self.correction_db = max(-RANGE_DB, min(RANGE_DB, self.correction_db + step))
        return self.correction_db
