"""The literal, obviously-correct formulation of the paper's beam search: upsampled music
matrices and plain Pearson over every element. Slow; the shipped engine must match it."""

from __future__ import annotations

import numpy as np

ZERO_VARIANCE = 1e-12


def literal_dance_matrix(vectors: np.ndarray) -> np.ndarray:
    out = np.empty((len(vectors), len(vectors)))
    for i, a in enumerate(vectors):
        for j, b in enumerate(vectors):
            na, nb = np.linalg.norm(a), np.linalg.norm(b)
            out[i, j] = 0.0 if na == 0 or nb == 0 else np.dot(a, b) / (na * nb)
    return out


def literal_music_matrix(notes, size: int) -> np.ndarray:
    notes = np.asarray(notes)
    small = 1.0 - np.abs(notes[:, None] - notes[None, :]) / 4.0
    idx = np.arange(size) * len(notes) // size  # nearest-neighbour resize
    return small[np.ix_(idx, idx)]


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    x, y = x.ravel(), y.ravel()
    xc, yc = x - x.mean(), y - y.mean()
    vx, vy = np.sum(xc * xc), np.sum(yc * yc)
    if vx <= ZERO_VARIANCE * x.size or vy == 0:
        return 0.0
    return float(np.sum(xc * yc) / np.sqrt(vx * vy))


def literal_beam_search(vectors, k=6, beam_width=50, window=10, first_note=2):
    n = len(vectors) // k
    dance = literal_dance_matrix(vectors[: n * k])
    beams = [[first_note]]
    for t in range(1, n):
        start = max(0, t - window + 1)
        d = dance[start * k:(t + 1) * k, start * k:(t + 1) * k]
        scored = []
        for beam in beams:
            for note in range(5):
                cand = beam + [note]
                m = literal_music_matrix(cand[start:], len(d))
                scored.append((pearson(d, m), cand))
        scored.sort(key=lambda sc: -sc[0])  # Python's sort is stable
        beams = [cand for _, cand in scored[:beam_width]]
    return np.array(beams[0])
