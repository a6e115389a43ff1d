"""Loudness of rendered music: integrated loudness (ITU-R BS.1770 via pyloudnorm), true peak
(4x oversampled), and normalisation to a target with a look-ahead limiter that never lets the
true peak above its ceiling."""

from __future__ import annotations

import numpy as np

from dance2music.synth.limiter import HOLD_S, LOOKAHEAD_S, needed_gain, smooth_gain

TARGET_LUFS = -16.0
CEILING_DBTP = -1.0
_OVERSAMPLE = 4
_LIMITER_MARGIN_DB = 0.3  # the limiter aims this far under the ceiling (resampling ripple)
_INT16_FULL_SCALE = 32768.0


def to_float(samples: np.ndarray) -> np.ndarray:
    """int16 (or float) samples (frames, channels) as float64 in [-1, 1)."""
    x = np.asarray(samples)
    return x.astype(np.float64) / _INT16_FULL_SCALE if x.dtype == np.int16 else x.astype(np.float64)


def to_int16(samples: np.ndarray) -> np.ndarray:
    return np.clip(np.round(samples * _INT16_FULL_SCALE), -32768, 32767).astype(np.int16)


def integrated_lufs(samples: np.ndarray, sample_rate_hz: int) -> float:
    """Integrated loudness (LUFS); -inf for silence or audio shorter than one 0.4 s block."""
    x = to_float(samples)
    if len(x) < int(0.4 * sample_rate_hz):
        return float("-inf")
    import pyloudnorm  # imports scipy.signal: seconds on a Pi, so only when measuring

    return float(pyloudnorm.Meter(sample_rate_hz).integrated_loudness(x))


def _oversampled_abs(x: np.ndarray) -> np.ndarray:
    """|samples| at 4x the rate, the largest over the channels: (frames * 4,)."""
    from scipy.signal import resample_poly  # seconds to import on a Pi: only when measuring

    x = x.reshape(len(x), -1)
    return np.abs(resample_poly(x, _OVERSAMPLE, 1, axis=0)).max(axis=1)


def true_peak_dbtp(samples: np.ndarray) -> float:
    x = to_float(samples)
    peak = _oversampled_abs(x).max() if len(x) else 0.0
    return float(20 * np.log10(peak)) if peak > 0 else float("-inf")


def limit(x: np.ndarray, sample_rate_hz: int, ceiling_dbtp: float = CEILING_DBTP) -> np.ndarray:
    """`x` with its true peak (4x oversampled) held under `ceiling_dbtp` by the look-ahead
    limiter's gain curve (synth.limiter)."""
    ceiling = 10 ** ((ceiling_dbtp - _LIMITER_MARGIN_DB) / 20)
    need = needed_gain(_oversampled_abs(x).reshape(len(x), _OVERSAMPLE).max(axis=1), ceiling)
    if need.min() >= 1.0:
        return x
    half = max(1, int(LOOKAHEAD_S * sample_rate_hz / 2))
    gain = smooth_gain(need, half, int(HOLD_S * sample_rate_hz))
    return x * gain.reshape(-1, *([1] * (x.ndim - 1)))


def normalise(samples: np.ndarray, sample_rate_hz: int, target_lufs: float = TARGET_LUFS,
              ceiling_dbtp: float = CEILING_DBTP) -> np.ndarray:
    """float samples at `target_lufs` integrated loudness, true peak <= `ceiling_dbtp`.
    Limiting lowers the loudness a little, so gain and limiter are applied again until both
    hold (silence comes back unchanged)."""
    original = to_float(samples)
    x = original
    gain_db = 0.0
    for _ in range(4):
        loudness = integrated_lufs(x, sample_rate_hz)
        if not np.isfinite(loudness):
            return x
        gain_db += target_lufs - loudness
        x = limit(original * 10 ** (gain_db / 20), sample_rate_hz, ceiling_dbtp)
        if abs(integrated_lufs(x, sample_rate_hz) - target_lufs) < 0.05:
            break
    return x
