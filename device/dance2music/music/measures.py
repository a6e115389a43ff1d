"""The paper's measures (global and local SSM correlation, next-note accuracy) and the Beat
Align Score of later dance-to-music work (see shared/notes/evaluation.md)."""

from __future__ import annotations

import numpy as np

from dance2music.music.composer import DEFAULT_WINDOW, CausalComposer
from dance2music.music.similarity import DanceNotes, WindowStats

BEAT_SIGMA_S = 0.05  # 50 ms, as AIST++/FACT
BEAT_ORDER_S = 1 / 6  # local-minimum neighbourhood: 10 frames at 60 fps


def global_correlation(vectors: np.ndarray, notes: np.ndarray, k: int) -> float:
    """Pearson(D, resized M) over the whole clip (the paper's reported measure)."""
    dance = DanceNotes(vectors, k)
    notes = np.asarray(notes)[: dance.num_notes]
    return float(WindowStats(dance.units).correlations(notes))


def local_correlation(vectors: np.ndarray, notes: np.ndarray, k: int,
                      window: int = DEFAULT_WINDOW) -> float:
    """Mean over notes t >= 1 of the correlation on the window of notes ending at t: the
    quantity the beam search maximises step by step."""
    dance = DanceNotes(vectors, k)
    notes = np.asarray(notes)[: dance.num_notes]
    scores = [float(dance.window(max(0, t - window + 1), t + 1)
                    .correlations(notes[max(0, t - window + 1):t + 1]))
              for t in range(1, dance.num_notes)]
    return float(np.mean(scores)) if scores else 0.0


def next_note_accuracy(composer: CausalComposer, vectors: np.ndarray,
                       reference: np.ndarray) -> float:
    """Teacher forcing: the fraction of notes t >= 1 for which the composer, given the
    reference's own notes before t and the frames its frame_span gives, picks the reference's
    note t."""
    reference = np.asarray(reference)
    predicted = composer.follow(vectors, forced=reference)
    return float(np.mean(predicted[1:] == reference[1: len(predicted)]))


def note_onsets_s(notes: np.ndarray, k: int, fps: float) -> np.ndarray:
    """Start times of the sounding notes: repeated notes sustain, so only changes start one."""
    notes = np.asarray(notes)
    starts = np.flatnonzero(np.r_[True, notes[1:] != notes[:-1]])
    return starts * k / fps


def dance_beats_s(vectors: np.ndarray, fps: float) -> np.ndarray:
    """Kinematic beats: local minima of the joints' summed speed (central differences, so
    the speed belongs to the frame itself)."""
    joints = np.asarray(vectors, dtype=np.float64).reshape(len(vectors), -1, 2)
    if len(joints) < 3:
        return np.zeros(0)
    speed = np.linalg.norm(np.gradient(joints, axis=0), axis=-1).sum(axis=-1)
    order = max(1, round(BEAT_ORDER_S * fps))
    return strict_local_minima(speed, order) / fps


def strict_local_minima(x: np.ndarray, order: int) -> np.ndarray:
    """Indices i where x[i] is below every x[j] with 0 < |i - j| <= order (edges compare with
    what exists), as scipy's argrelextrema(x, np.less, order, mode='clip')."""
    padded = np.pad(x, order, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * order + 1)
    neighbours = np.delete(windows, order, axis=1)
    return np.flatnonzero((x[:, None] < neighbours).all(axis=1))


def beat_align_score(vectors: np.ndarray, notes: np.ndarray, k: int, fps: float) -> float:
    """Mean over dance beats of exp(-d^2 / 2 sigma^2), d = distance to the nearest note onset."""
    beats = dance_beats_s(vectors[: len(notes) * k], fps)
    onsets = note_onsets_s(notes, k, fps)
    if len(beats) == 0:
        return 0.0
    d = np.min(np.abs(beats[:, None] - onsets[None, :]), axis=1)
    return float(np.mean(np.exp(-d * d / (2 * BEAT_SIGMA_S**2))))
