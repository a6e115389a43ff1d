"""The paper's measures (global and local SSM correlation, next-note accuracy) and the Beat
Align Score of later dance-to-music work (see shared/notes/evaluation.md)."""

from __future__ import annotations

import numpy as np

from dance2music.music.composer import DEFAULT_WINDOW, CausalComposer
from dance2music.music.similarity import (ZERO_VARIANCE, DanceNotes, WindowStats, music_affinity,
                                          unit_rows)

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
    """Start times of the sounding notes on the fixed grid."""
    return sounding_onsets_s(notes, np.arange(len(notes)) * k / fps)


def sounding_onsets_s(notes: np.ndarray, starts_s: np.ndarray) -> np.ndarray:
    """Start times of the sounding notes: repeated notes sustain, so only changes start one."""
    notes = np.asarray(notes)
    return np.asarray(starts_s)[np.flatnonzero(np.r_[True, notes[1:] != notes[:-1]])]


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
    return beat_align(dance_beats_s(vectors[: len(notes) * k], fps), note_onsets_s(notes, k, fps))


def beat_align(beats_s: np.ndarray, onsets_s: np.ndarray) -> float:
    """The Beat Align Score of dance beats against note onsets, both in seconds."""
    if len(beats_s) == 0 or len(onsets_s) == 0:
        return 0.0
    d = np.min(np.abs(np.asarray(beats_s)[:, None] - np.asarray(onsets_s)[None, :]), axis=1)
    return float(np.mean(np.exp(-d * d / (2 * BEAT_SIGMA_S**2))))


def onsets_on_beats(onsets_s: np.ndarray, beats_s: np.ndarray, tolerance_s: float = 0.05) -> float:
    """Share of note onsets within tolerance_s of a kinematic beat."""
    if len(onsets_s) == 0 or len(beats_s) == 0:
        return 0.0
    d = np.min(np.abs(np.asarray(onsets_s)[:, None] - np.asarray(beats_s)[None, :]), axis=1)
    return float(np.mean(d <= tolerance_s + 1e-9))


def grid_correlation(vectors: np.ndarray, notes: np.ndarray, frame_notes: np.ndarray) -> float:
    """Pearson(D, M) over the dance's own frames for notes of any lengths: M[i][j] is the
    affinity of the notes sounding at frames i and j (`frame_notes`, -1: no note, left out).
    From per-note sums of unit pose vectors, as the block form in similarity.py."""
    keep = np.asarray(frame_notes) >= 0
    idx = np.asarray(frame_notes)[keep]
    units = unit_rows(np.asarray(vectors)[keep])
    n_frames = len(idx)
    sums = np.zeros((len(notes), units.shape[1]))
    np.add.at(sums, idx, units)
    counts = np.bincount(idx, minlength=len(notes)).astype(np.float64)
    m = music_affinity(np.asarray(notes))
    total = n_frames * n_frames
    sum_d = float(np.sum(sums.sum(axis=0) ** 2))
    gram = units.T @ units
    var_d = total * float(np.sum(gram * gram)) - sum_d * sum_d
    sum_m = counts @ m @ counts
    var_m = total * float(counts @ (m * m) @ counts) - sum_m * sum_m
    if var_d <= ZERO_VARIANCE * total * total or var_m <= 1e-12 * total * total:
        return 0.0
    cov = total * float(np.sum(m * (sums @ sums.T))) - sum_d * sum_m
    return float(cov / np.sqrt(var_d * var_m))
