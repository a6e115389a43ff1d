"""A look-ahead peak limiter: the gain a signal needs to stay under a ceiling, smoothed so that
it falls before a peak, holds, and rises again without ever exceeding what any sample needs.

gain(m) = mean over [m-h, m+h] of held(j), held(j) = min over [j-h-hold, j+h] of need(): every
held(j) in the mean covers m itself, so gain(m) <= need(m): nothing passes the ceiling. The
same smoothing serves whole renderings (loudness.limit) and the live stream (StreamingLimiter,
which delays the audio by the look-ahead, 2h samples)."""

from __future__ import annotations

import numpy as np

LOOKAHEAD_S = 0.005
HOLD_S = 0.05  # the gain stays down this long after a peak: no ripple on a low bass note


def needed_gain(peaks: np.ndarray, ceiling: float) -> np.ndarray:
    return np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12))


def sliding_min(x: np.ndarray, size: int) -> np.ndarray:
    """min(x[i:i + size]) for each full window, in O(n) (van Herk / Gil-Werman): numpy only,
    as scipy.ndimage takes a second to import on a Pi."""
    n = len(x)
    blocks = np.concatenate([x, np.full((-n) % size, np.inf)]).reshape(-1, size)
    prefix = np.minimum.accumulate(blocks, axis=1).ravel()
    suffix = np.minimum.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].ravel()
    i = np.arange(n - size + 1)
    return np.minimum(suffix[i], prefix[i + size - 1])


def _held(need: np.ndarray, half: int, hold: int) -> np.ndarray:
    """min over [j - half - hold, j + half] for each j (edges: the nearest value)."""
    padded = np.concatenate([np.full(half + hold, need[0]), need, np.full(half, need[-1])])
    return sliding_min(padded, 2 * half + hold + 1)


def smooth_gain(need: np.ndarray, half: int, hold: int) -> np.ndarray:
    """The gain curve for a whole signal (same length as `need`)."""
    held = _held(need, half, hold)
    padded = np.pad(held, half, mode="edge")
    csum = np.r_[0.0, np.cumsum(padded)]
    return (csum[2 * half + 1:] - csum[:-(2 * half + 1)]) / (2 * half + 1)


class StreamingLimiter:
    """Block by block (frames, channels) float audio, delayed by 2 * half samples, with sample
    peaks kept under `ceiling` (linear)."""

    def __init__(self, sample_rate_hz: int, ceiling: float, channels: int = 2,
                 lookahead_s: float = LOOKAHEAD_S, hold_s: float = HOLD_S):
        self.ceiling = ceiling
        self.half = max(1, int(lookahead_s * sample_rate_hz / 2))
        self.hold = int(hold_s * sample_rate_hz)
        self._need = np.ones(self.hold + 4 * self.half)  # history of needed gains
        self._audio = np.zeros((2 * self.half, channels))  # the look-ahead delay line
        self._quiet = len(self._need)  # trailing samples of the history needing no gain
        self.limited_blocks = 0

    @property
    def delay_frames(self) -> int:
        return 2 * self.half

    def process(self, block: np.ndarray) -> np.ndarray:
        n = len(block)
        audio = np.concatenate([self._audio, block])
        self._audio = audio[n:]
        if self._quiet >= len(self._need) and max(block.max(), -block.min()) < self.ceiling:
            self._quiet += n
            return audio[:n]  # nothing near the ceiling within reach: the usual case
        need = np.concatenate([self._need, needed_gain(np.abs(block).max(axis=1), self.ceiling)])
        # Gains of the n samples leaving the delay line: they sit 2h before the newest.
        held = _held(need, self.half, self.hold)
        window = 2 * self.half + 1
        csum = np.r_[0.0, np.cumsum(held)]
        start = len(need) - n - 2 * self.half  # index in `need` of the first sample leaving
        gain = (csum[start + self.half + 1:start + self.half + 1 + n]
                - csum[start - self.half:start - self.half + n]) / window
        self._need = need[-len(self._need):]
        below = np.flatnonzero(self._need < 1.0)
        self._quiet = len(self._need) - 1 - below[-1] if len(below) else len(self._need)
        if gain.min() < 1.0:
            self.limited_blocks += 1
        return audio[:n] * gain[:, None]
