"""The composer interfaces: offline composers see the whole dance; causal ones decide each
note from the past only, so they can play live."""

from __future__ import annotations

import abc

import numpy as np

from dance2music.errors import InputError
from dance2music.music.scale import FIRST_NOTE

DEFAULT_K = 6  # frames per note: 0.2 s at 30 fps
DEFAULT_WINDOW = 10  # notes of local history (60 frames)


def check_dance(vectors: np.ndarray, k: int) -> np.ndarray:
    """Validate a (T, dim) pose-vector array for composing with k frames per note."""
    if not isinstance(k, int | np.integer) or k < 1:
        raise InputError(f"k: expected an integer >= 1, got {k!r}")
    v = np.asarray(vectors)
    if v.ndim != 2 or v.shape[1] == 0:
        raise InputError(f"pose vectors: expected shape (frames, dim), got {v.shape}")
    if not np.all(np.isfinite(v)):
        raise InputError("pose vectors: contain NaN or infinite values")
    if len(v) < 2 * k:
        raise InputError(f"dance too short: {len(v)} frames, need at least {2 * k} "
                         f"(two notes of k={k} frames)")
    return v


class Composer(abc.ABC):
    """Turns a dance (pose vectors at 30 fps) into one note per k frames."""

    name: str
    k: int

    @abc.abstractmethod
    def compose(self, vectors: np.ndarray) -> np.ndarray:
        """(T, dim) pose vectors -> (T // k,) note indices, the first one FIRST_NOTE."""


class CausalComposer(Composer):
    """Decides note t (played over frames [t*k, (t+1)*k)) from frames before t*k and notes
    before t. The live loop calls `decide` at every grid boundary; `compose` replays a dance."""

    history_notes: int = DEFAULT_WINDOW

    @property
    def history_frames(self) -> int:
        return self.history_notes * self.k

    def reset(self) -> None:
        """Forget any state (random generators restart from their seed)."""

    @abc.abstractmethod
    def decide(self, recent: np.ndarray, notes: np.ndarray) -> int:
        """`recent`: the last (at most history_frames) pose vectors before the note, ending on
        a note boundary; `notes`: the last (at most history_notes) notes. Returns the next."""

    def compose(self, vectors: np.ndarray) -> np.ndarray:
        return self.follow(check_dance(vectors, self.k))

    def follow(self, vectors: np.ndarray, forced: np.ndarray | None = None) -> np.ndarray:
        """Decide every note of a dance in order. With `forced` notes (teacher forcing) each
        decision sees the forced history instead of its own; returns the decisions."""
        self.reset()
        n = len(vectors) // self.k
        notes = np.empty(n, dtype=np.int64)
        notes[0] = FIRST_NOTE
        history = notes if forced is None else np.asarray(forced)
        for t in range(1, n):
            end = t * self.k
            recent = vectors[max(0, end - self.history_frames):end]
            notes[t] = self.decide(recent, history[max(0, t - self.history_notes):t])
        return notes
