"""Note grids: where each note starts. The fixed grid is one note per k frames (0.2 s); the
tempo grid follows the dancer's beat (two notes per beat, onsets on the beat) while the
tracker is confident, and falls back to the fixed step when it is not.

The composers and measures work on one pose every 1/fps s with k poses per note. On a tempo
grid they get the pose stream resampled in warped time (`warp`): k poses per note whatever
the note's length, so beam search, greedy, the classifier and every measure run unchanged.
A boundary is decided at the previous boundary from frames before it, so the grid is causal
and the same offline and live; a tempo change moves it only at a note boundary.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np

from dance2music.errors import InputError
from dance2music.music.tempo import TempoEstimate, TempoSettings, TempoTracker

GridKind = Literal["fixed", "tempo"]
GRID_KINDS: tuple[GridKind, ...] = ("fixed", "tempo")
# Sample times are rounded (30 fps is not exact in binary), so a sample this close after a
# frame still takes that frame.
_TIME_TOLERANCE_S = 1e-6


@dataclasses.dataclass(frozen=True)
class GridSettings:
    k: int = 6  # poses per note (frames per note on the fixed grid)
    fps: float = 30.0
    notes_per_beat: int = 2
    max_phase_step: float = 0.25  # a boundary moves at most this fraction of a note towards
    # the beat per note, so the rhythm bends instead of jumping

    @property
    def fixed_step_s(self) -> float:
        return self.k / self.fps


def longest_note_s(settings: GridSettings = GridSettings(),
                   tempo: TempoSettings = TempoSettings()) -> float:
    """The longest note the grid lays: the fixed step, or a note of the slowest tempo the
    tracker reports (its beat fit reaches fine_ratio below min_bpm) bent by max_phase_step."""
    slowest_bpm = tempo.min_bpm * (1 - tempo.fine_ratio)
    bent_s = 60 / slowest_bpm / settings.notes_per_beat * (1 + settings.max_phase_step)
    return max(settings.fixed_step_s, bent_s)


class GridFollower:
    """Decides, at each note boundary, when the next note starts."""

    def __init__(self, settings: GridSettings = GridSettings()):
        self.settings = settings

    def next_boundary_s(self, boundary_s: float, estimate: TempoEstimate) -> float:
        s = self.settings
        if not estimate.locked:
            return boundary_s + s.fixed_step_s
        note_s = estimate.beat_period_s / s.notes_per_beat
        target_s = boundary_s + note_s
        on_beat_s = estimate.last_beat_s + round((target_s - estimate.last_beat_s) / note_s) * note_s
        limit_s = s.max_phase_step * note_s
        return target_s + float(np.clip(on_beat_s - target_s, -limit_s, limit_s))


@dataclasses.dataclass(frozen=True)
class NoteTimes:
    """Boundaries of n notes (n + 1 times in seconds) and, per note, the tempo it followed
    (nan where the grid fell back to the fixed step) and the tracker's confidence."""

    boundaries_s: np.ndarray  # (n + 1,)
    bpm: np.ndarray  # (n,)
    confidence: np.ndarray  # (n,)

    def __len__(self) -> int:
        return len(self.bpm)

    @property
    def onsets_s(self) -> np.ndarray:
        return self.boundaries_s[:-1]

    @property
    def tempo_bpm(self) -> float | None:
        """The median tempo the grid followed, None if it never locked."""
        locked = self.bpm[~np.isnan(self.bpm)]
        return float(np.median(locked)) if len(locked) else None

    def tempo_changes(self, notes_per_beat: int = 2) -> list[tuple[float, float]]:
        """(time_s, bpm) at which each note is 1/notes_per_beat of a beat: a MIDI tempo map
        on which every note starts on a tick."""
        lengths = np.diff(self.boundaries_s)
        bpms = 60.0 / (lengths * notes_per_beat)
        changes = [(0.0, float(bpms[0]))]
        for t, bpm in zip(self.boundaries_s[1:-1], bpms[1:]):
            if not np.isclose(bpm, changes[-1][1]):
                changes.append((float(t), float(bpm)))
        return changes

    def frame_notes(self, num_frames: int, fps: float) -> np.ndarray:
        """The note sounding at each frame (-1 after the last note)."""
        times = np.arange(num_frames) / fps + _TIME_TOLERANCE_S
        idx = np.searchsorted(self.boundaries_s, times, side="right") - 1
        return np.where(idx < len(self), idx, -1)


def fixed_grid(num_frames: int, settings: GridSettings = GridSettings()) -> NoteTimes:
    n = num_frames // settings.k
    boundaries = np.arange(n + 1) * settings.fixed_step_s  # as i * step everywhere else
    return NoteTimes(boundaries, np.full(n, np.nan), np.zeros(n))


def tempo_grid(vectors: np.ndarray, settings: GridSettings = GridSettings(),
               tracker: TempoTracker | None = None) -> NoteTimes:
    """The grid a live run would lay over this dance: the tracker sees each frame before its
    time, and at every boundary the follower places the next one. Notes end within the dance."""
    tracker = tracker or TempoTracker(TempoSettings(fps=settings.fps))
    tracker.reset()
    follower = GridFollower(settings)
    end_s = len(vectors) / settings.fps
    boundaries, bpm, confidence = [0.0], [], []
    fed = 0
    while True:
        # every frame captured before the boundary
        upto = int(np.ceil(boundaries[-1] * settings.fps - _TIME_TOLERANCE_S))
        for v in vectors[fed:upto]:
            tracker.update(v)
        fed = max(fed, upto)
        estimate = tracker.estimate()
        nxt = follower.next_boundary_s(boundaries[-1], estimate)
        if nxt > end_s + _TIME_TOLERANCE_S:
            break
        boundaries.append(nxt)
        bpm.append(estimate.bpm if estimate.locked else np.nan)
        confidence.append(estimate.confidence)
    return NoteTimes(np.array(boundaries), np.array(bpm), np.array(confidence))


def make_grid(kind: GridKind, vectors: np.ndarray, settings: GridSettings = GridSettings()
              ) -> NoteTimes:
    if kind == "fixed":
        return fixed_grid(len(vectors), settings)
    if kind == "tempo":
        return tempo_grid(vectors, settings)
    raise InputError(f"grid: expected one of {', '.join(GRID_KINDS)}, got {kind!r}")


def warp(vectors: np.ndarray, grid: NoteTimes, k: int, fps: float) -> np.ndarray:
    """(T, dim) poses at fps -> (len(grid) * k, dim): k poses per note at evenly spaced times
    within it, each the latest frame at or before its time (what a live camera has)."""
    starts, ends = grid.boundaries_s[:-1], grid.boundaries_s[1:]
    times = starts[:, None] + (ends - starts)[:, None] * np.arange(k)[None, :] / k
    idx = np.floor(times.ravel() * fps + _TIME_TOLERANCE_S).astype(np.int64)
    return np.asarray(vectors)[np.clip(idx, 0, len(vectors) - 1)]
