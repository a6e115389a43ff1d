"""Dance and music self-similarity, and their Pearson correlation computed from block sums.

The music matrix M[a][b] = 1 - |note_a - note_b| / 4 is an affinity (the paper prints the
distance, which flips the correlation's sign; see shared/notes/algorithm.md). Resized to the
dance matrix D by nearest neighbour (frame i belongs to note i // k), M is constant on k x k
blocks, so every sum Pearson needs reduces to sums of D over note blocks:

    corr(D, M) = sum_ab m_ab C_ab / sqrt(var_D * k^2 * (w^2 sum m^2 - (sum m)^2) / w^2)

with C the block sums of D - mean(D) and var_D the sum of (D - mean D)^2. The block sums
factor too: the sum of cos(p_i, p_j) over frames i of note a and j of note b is s_a . s_b,
with s_a the sum of note a's unit pose vectors. A candidate costs w^2 operations, not (wk)^2.
"""

from __future__ import annotations

import numpy as np

from dance2music.music.scale import NUM_NOTES

# Below this variance per element the dance matrix counts as constant (correlation 0).
ZERO_VARIANCE = 1e-12


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length; an all-zero row stays zero (its cosine similarity is 0)."""
    v = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.divide(v, norms, out=np.zeros_like(v), where=norms > 0)


def dance_similarity(vectors: np.ndarray) -> np.ndarray:
    """D[i][j] = cosine similarity of poses i and j."""
    u = unit_rows(vectors)
    return u @ u.T


def music_affinity(notes: np.ndarray) -> np.ndarray:
    """M[a][b] = 1 - |note_a - note_b| / 4 over the last axis of a (..., n) note array."""
    n = np.asarray(notes, dtype=np.int64)
    return 1.0 - np.abs(n[..., :, None] - n[..., None, :]) / (NUM_NOTES - 1)


class WindowStats:
    """What the correlation needs of D over a window of w whole notes of k frames."""

    __slots__ = ("centred", "var_d", "k")

    def __init__(self, units: np.ndarray):
        """`units`: (w, k, dim) unit pose vectors of the window's frames, note by note."""
        w, k, _ = units.shape
        sums = units.sum(axis=1)
        blocks = sums @ sums.T
        frames = units.reshape(w * k, -1)
        gram = frames.T @ frames  # sum of D^2 = ||U^T U||_F^2
        mean = blocks.sum() / (w * k) ** 2
        self.k = k
        self.centred = blocks - k * k * mean  # (w, w) block sums of D - mean(D)
        self.var_d = float(np.sum(gram * gram)) - (w * k) ** 2 * mean * mean

    def correlations(self, notes: np.ndarray) -> np.ndarray:
        """Pearson correlation of D with the resized music matrix for candidate note windows
        (..., w); 0 where either matrix is constant."""
        notes = np.asarray(notes)
        w = notes.shape[-1]
        m = music_affinity(notes)
        cov = np.einsum("...ab,ab->...", m, self.centred)
        m_sum = m.sum(axis=(-2, -1))
        # Exact in floating point: every m is a multiple of 1/4.
        var_m = w * w * np.einsum("...ab,...ab->...", m, m) - m_sum * m_sum
        if self.var_d <= ZERO_VARIANCE * (w * self.k) ** 2:
            return np.zeros(cov.shape)
        denom = np.sqrt(self.var_d * self.k * self.k * var_m) / w
        return np.divide(cov, denom, out=np.zeros(cov.shape), where=var_m > 0)


class DanceNotes:
    """A dance cut into note intervals of k frames: frames beyond the last whole interval are
    dropped (N frames give N // k notes)."""

    def __init__(self, vectors: np.ndarray, k: int):
        if k < 1:
            raise ValueError(f"k: expected an integer >= 1, got {k}")
        self.k = k
        self.num_notes = len(vectors) // k
        self.units = unit_rows(vectors[: self.num_notes * k]).reshape(self.num_notes, k, -1)

    def window(self, start: int, stop: int) -> WindowStats:
        """Statistics of D over the frames of notes [start, stop)."""
        return WindowStats(self.units[start:stop])
