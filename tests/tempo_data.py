"""Synthetic dances for the tempo tests: a pulse at known beats, or smooth movement with none."""

from __future__ import annotations

import numpy as np

FPS = 30.0


def _base_pose(rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(-0.6, 0.6, 36)


def pulse_dance(bpm: float | list[tuple[float, float]], seconds: float, seed: int = 0,
                noise: float = 0.003) -> tuple[np.ndarray, np.ndarray]:
    """A dancer swaying one way per beat: every joint moves along its own direction by
    a cos(pi * beats), so the speed falls to zero on every beat. `bpm` is a tempo or a list of
    (from_s, bpm) changes. Returns (pose vectors at 30 fps, beat times in seconds)."""
    rng = np.random.default_rng(seed)
    changes = [(0.0, float(bpm))] if np.isscalar(bpm) else list(bpm)
    times = np.arange(round(seconds * FPS)) / FPS
    tempo = np.array([next(b for t0, b in reversed(changes) if t >= t0) for t in times])
    beats_at = np.concatenate([[0.0], np.cumsum(tempo[:-1] / 60 / FPS)])  # beats elapsed
    amplitude = rng.uniform(0.02, 0.08, 36) * rng.choice([-1, 1], 36)
    vectors = (_base_pose(rng)[None, :] + amplitude[None, :] * np.cos(np.pi * beats_at)[:, None]
               + rng.normal(0, noise, (len(times), 36)))
    whole = np.arange(1, int(beats_at[-1]) + 1)
    beat_times = np.interp(whole, beats_at, times)
    return np.clip(vectors, -0.99, 0.99), beat_times


def free_dance(seconds: float, seed: int = 0, correlation_s: float = 0.3) -> np.ndarray:
    """Smooth movement with no pulse: every coordinate an independent Ornstein-Uhlenbeck
    process (correlation time `correlation_s`)."""
    rng = np.random.default_rng(seed)
    n = round(seconds * FPS)
    a = np.exp(-1 / (correlation_s * FPS))
    drift = np.zeros((n, 36))
    for i in range(1, n):
        drift[i] = a * drift[i - 1] + np.sqrt(1 - a * a) * rng.normal(0, 0.05, 36)
    return np.clip(_base_pose(rng)[None, :] + drift, -0.99, 0.99)
