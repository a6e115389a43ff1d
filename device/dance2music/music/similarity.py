"""Dance and music self-similarity, and their Pearson correlation computed from block sums.

The music matrix M[a][b] = 1 - |note_a - note_b| / 4 is an affinity (the paper prints the
distance, which flips the correlation's sign; see shared/notes/algorithm.md). Resized to the
dance matrix D by nearest neighbour (frame i belongs to note i // k), M is constant on k x k
blocks, so every sum Pearson needs reduces to sums of D over note blocks:

    corr(D, M) = sum_ab m_ab C_ab / sqrt(var_D * k^2 * (w^2 sum m^2 - (sum m)^2) / w^2)

with C the block sums of D - mean(D) and var_D the sum of (D - mean D)^2. The block sums
factor too: the sum of cos(p_i, p_j) over frames i of note a and j of note b is s_a . s_b,
with s_a the sum of note a's unit pose vectors. A candidate costs w^2 operations, not (wk)^2.

Search ranks candidates with `ExactWindow` instead: D quantised to multiples of 2^-16 makes
every moment Pearson needs an exact integer, and the music matrix is reduced to its primitive
integer form (Pearson ignores affine changes of M). Candidates whose correlations are equal in
exact arithmetic - mirrored or transposed melodies, swapped identical poses - then get
bit-identical scores, so ties break by candidate order alone, as the literal search's do.
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
        flat = m.reshape(m.shape[:-2] + (w * w,))
        # An elementwise product and a per-row sum, not einsum/BLAS: candidates with equal
        # music matrices must score bit-identically so that ties break by candidate order.
        cov = (flat * self.centred.ravel()).sum(axis=-1)
        # Exact in floating point: every m is a multiple of 1/4.
        m_sum = flat.sum(axis=-1)
        var_m = w * w * (flat * flat).sum(axis=-1) - m_sum * m_sum
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


SIMILARITY_QUANTUM = 2.0**-16


class ExactWindow:
    """Integer moments of the quantised dance matrix over a window of w whole notes."""

    __slots__ = ("blocks", "size", "sum_d", "var_d", "k")

    def __init__(self, blocks: np.ndarray, sum_sq: int, k: int):
        """`blocks`: (w, w) int64 block sums of the quantised D; `sum_sq`: sum of its squares."""
        w = len(blocks)
        self.k = k
        self.size = (w * k) ** 2
        self.blocks = blocks.astype(np.float64)
        self.sum_d = float(blocks.sum())
        self.var_d = self.size * int(sum_sq) - int(blocks.sum()) ** 2  # exact (Python int)

    @classmethod
    def from_units(cls, units: np.ndarray) -> ExactWindow:
        """From (w, k, dim) unit pose vectors of the window's frames, note by note."""
        w, k, _ = units.shape
        frames = units.reshape(w * k, -1)
        d = quantise(frames @ frames.T)
        return cls(d.reshape(w, k, w, k).sum(axis=(1, 3)), int((d * d).sum()), k)

    def correlations(self, notes: np.ndarray) -> np.ndarray:
        """Pearson correlation for candidate note windows (c, w): 0 where either matrix is
        constant. Equal in exact arithmetic implies bit-identical here."""
        notes = np.asarray(notes)
        w = notes.shape[-1]
        upper = _upper_pairs(w)
        # Integer-valued float64 is exact below 2^53 whatever the summation order: every sum
        # here stays below 2^43 for windows up to 60 x 60 frames.
        dist = np.abs(notes[:, upper[0]] - notes[:, upper[1]]).astype(np.float64)
        present = sum((dist == d).any(axis=1) << (d - 1) for d in range(1, NUM_NOTES))
        scale = _GCD_OF_PRESENT[present]
        music = dist / scale[:, None]  # primitive integer form of |a - b|: M up to affinity
        k2 = self.k * self.k
        # M is symmetric with a zero diagonal (in this form): twice the upper triangle.
        sum_m = 2 * k2 * music.sum(axis=1)
        cov = self.sum_d * sum_m - 2 * self.size * (music @ self.blocks[upper])
        var_m = 2 * self.size * k2 * np.einsum("ij,ij->i", music, music) - sum_m * sum_m
        return pearson_from_moments(cov, float(self.var_d), var_m)


def _gcd_table() -> np.ndarray:
    """gcd of the note distances present, indexed by a bit mask of distances 1..4."""
    table = np.ones(1 << (NUM_NOTES - 1))
    for mask in range(1, len(table)):
        table[mask] = np.gcd.reduce([d for d in range(1, NUM_NOTES) if mask >> (d - 1) & 1])
    return table


_GCD_OF_PRESENT = _gcd_table()
_UPPER_PAIRS = {}


def _upper_pairs(w: int) -> tuple[np.ndarray, np.ndarray]:
    if w not in _UPPER_PAIRS:
        _UPPER_PAIRS[w] = np.triu_indices(w, 1)
    return _UPPER_PAIRS[w]


def quantise(similarity: np.ndarray) -> np.ndarray:
    return np.rint(similarity / SIMILARITY_QUANTUM).astype(np.int64)


class QuantisedDance:
    """Block sums of the quantised D between every note and the `window - 1` notes before it,
    computed once, so each search step only gathers its window."""

    def __init__(self, dance: DanceNotes, window: int):
        u, n = dance.units, dance.num_notes
        self.k = dance.k
        self.lag_sums = np.zeros((n, window), dtype=np.int64)  # [a, lag]: block (a, a - lag)
        self.lag_sq = np.zeros((n, window), dtype=np.int64)
        for lag in range(min(window, n)):
            d = quantise(np.einsum("nid,njd->nij", u[lag:], u[: n - lag]))
            self.lag_sums[lag:, lag] = d.sum(axis=(1, 2))
            self.lag_sq[lag:, lag] = (d * d).sum(axis=(1, 2))

    def window(self, start: int, stop: int) -> ExactWindow:
        notes = np.arange(start, stop)
        later = np.maximum(notes[:, None], notes[None, :])
        lag = np.abs(notes[:, None] - notes[None, :])
        sum_sq = int(self.lag_sq[later, lag].sum())
        return ExactWindow(self.lag_sums[later, lag], sum_sq, self.k)


def pearson_from_moments(cov: np.ndarray, var_d: float, var_m: np.ndarray) -> np.ndarray:
    """cov / sqrt(var_d * var_m) from exact integer moments; 0 where a variance is 0."""
    denom = np.sqrt(var_d * var_m)
    return np.divide(cov, denom, out=np.zeros(len(cov)), where=denom > 0)
