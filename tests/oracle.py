"""The literal, obviously-correct formulation of the paper's beam search: upsampled music
matrices and plain Pearson over every element. Slow; the shipped engine must match it.

Ties are defined exactly: similarities are quantised to multiples of 2^-16 and the music
matrix taken in its primitive integer form (Pearson ignores affine changes of M), so every
moment is an exact integer and candidates with mathematically equal correlations get equal
scores; the stable sort then keeps them in candidate order.
"""

from __future__ import annotations

import math
from functools import reduce

import numpy as np

QUANTUM = 2.0**-16


def literal_dance_matrix(vectors: np.ndarray) -> np.ndarray:
    out = np.empty((len(vectors), len(vectors)))
    for i, a in enumerate(vectors):
        for j, b in enumerate(vectors):
            na, nb = np.linalg.norm(a), np.linalg.norm(b)
            out[i, j] = 0.0 if na == 0 or nb == 0 else np.dot(a / na, b / nb)
    return out


def literal_music_matrix(notes, size: int) -> np.ndarray:
    """The music matrix 1 - |a - b| / 4, resized by nearest neighbour."""
    notes = np.asarray(notes)
    small = 1.0 - np.abs(notes[:, None] - notes[None, :]) / 4.0
    idx = np.arange(size) * len(notes) // size
    return small[np.ix_(idx, idx)]


def primitive_music(notes, size: int) -> np.ndarray:
    """-|a - b| / gcd, resized: an affine image of the music matrix in smallest integers."""
    notes = np.asarray(notes)
    dist = np.abs(notes[:, None] - notes[None, :])
    g = reduce(math.gcd, dist.ravel().tolist(), 0) or 1
    idx = np.arange(size) * len(notes) // size
    return (-dist // g)[np.ix_(idx, idx)]


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Plain float Pearson correlation, 0 for a constant input."""
    x, y = x.ravel(), y.ravel()
    xc, yc = x - x.mean(), y - y.mean()
    vx, vy = np.sum(xc * xc), np.sum(yc * yc)
    if vx <= 1e-12 * x.size or vy == 0:
        return 0.0
    return float(np.sum(xc * yc) / np.sqrt(vx * vy))


def exact_pearson(d_int: np.ndarray, m_int: np.ndarray) -> float:
    """Pearson from exact integer moments over every element."""
    x, y = d_int.ravel().astype(np.int64), m_int.ravel().astype(np.int64)
    n = len(x)  # every sum below stays far inside int64 for windows up to 60 x 60 frames
    sx, sy = int(x.sum()), int(y.sum())
    cov = n * int((x * y).sum()) - sx * sy
    vx = n * int((x * x).sum()) - sx * sx
    vy = n * int((y * y).sum()) - sy * sy
    if vx == 0 or vy == 0:
        return 0.0
    return float(cov) / math.sqrt(float(vx) * float(vy))


def literal_beam_search(vectors, k=6, beam_width=50, window=10, first_note=2, prefix=None,
                        notes=None):
    """The paper's search, literally; from `prefix` (default: the first note) up to `notes`."""
    n = len(vectors) // k if notes is None else notes
    dance = np.rint(literal_dance_matrix(vectors[: n * k]) / QUANTUM).astype(np.int64)
    beams = [[first_note] if prefix is None else [int(p) for p in prefix]]
    for t in range(len(beams[0]), n):
        start = max(0, t - window + 1)
        d = dance[start * k:(t + 1) * k, start * k:(t + 1) * k]
        scored = []
        for beam in beams:
            for note in range(5):
                cand = beam + [note]
                scored.append((exact_pearson(d, primitive_music(cand[start:], len(d))), cand))
        scored.sort(key=lambda sc: -sc[0])  # Python's sort is stable
        beams = [cand for _, cand in scored[:beam_width]]
    return np.array(beams[0])
