"""Causal One Euro filtering of keypoints (Casiry et al., CHI 2012) as MediaPipe's pose
solution does it: it smooths jitter when the body is still and follows fast moves with
almost no lag; it never waits for future frames."""

from __future__ import annotations

import math

import numpy as np

# MediaPipe pose's tuning; speeds are measured in body-ROI sizes per second.
MIN_CUTOFF_HZ = 0.05
BETA = 80.0
DERIVATIVE_CUTOFF_HZ = 1.0


def _alpha(cutoff_hz: np.ndarray | float, dt: float) -> np.ndarray | float:
    tau = 1.0 / (2 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt)


class OneEuroSmoother:
    """Smooths an (N, 2) array of positions frame by frame; reset() when the track is lost."""

    def __init__(self, min_cutoff_hz: float = MIN_CUTOFF_HZ, beta: float = BETA,
                 derivative_cutoff_hz: float = DERIVATIVE_CUTOFF_HZ) -> None:
        self.min_cutoff_hz, self.beta, self.derivative_cutoff_hz = min_cutoff_hz, beta, derivative_cutoff_hz
        self.reset()

    def reset(self) -> None:
        self._value: np.ndarray | None = None
        self._speed: np.ndarray | None = None
        self._time = 0.0

    def __call__(self, xy: np.ndarray, timestamp_s: float, scale: float) -> np.ndarray:
        """Filtered copy of `xy`; `scale` (pixels of body size) makes the speed size-free."""
        dt = timestamp_s - self._time
        if self._value is None or dt <= 0 or scale <= 0:
            self._value, self._speed, self._time = xy.copy(), np.zeros_like(xy), timestamp_s
            return xy.copy()
        speed = (xy - self._value) / (dt * scale)
        self._speed = self._speed + _alpha(self.derivative_cutoff_hz, dt) * (speed - self._speed)
        cutoff = self.min_cutoff_hz + self.beta * np.abs(self._speed)
        self._value = self._value + _alpha(cutoff, dt) * (xy - self._value)
        self._time = timestamp_s
        return self._value.copy()
