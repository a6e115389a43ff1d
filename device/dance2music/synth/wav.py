"""16-bit PCM WAV files, written atomically."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from dance2music.files import atomic_path


def write_wav(path: str | Path, samples: np.ndarray, sample_rate_hz: int) -> None:
    samples = np.asarray(samples, dtype=np.int16)
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    with atomic_path(path) as tmp, wave.open(str(tmp), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(sample_rate_hz)
        w.writeframes(samples.tobytes())


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """(samples int16 (frames, channels), sample rate)."""
    with wave.open(str(path), "rb") as w:
        data = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
        return data.reshape(-1, w.getnchannels()), w.getframerate()
