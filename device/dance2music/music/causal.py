"""Causal composers: each note decided from the past alone, so they can play live.

- greedy: the note that maximises the local-window correlation over its last 16 notes, the
  coming interval made of the frames of it already seen (lookahead) and the last of them held
  (a strong non-learned online reference, and the online classifier's prior);
- baseline: the paper's: a random note when the poses k-1 frames apart ending on the last frame
  seen are less similar than a threshold (the 80th percentile over training dances), else hold;
- random and constant: the trivial references of the evaluation tables.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from dance2music.errors import ModelError
from dance2music.music.composer import (DEFAULT_K, GREEDY_WINDOW, CausalComposer,
                                        check_lookahead, with_coming_interval)
from dance2music.music.scale import FIRST_NOTE, NUM_NOTES
from dance2music.music.similarity import ExactWindow, unit_rows

_CANDIDATES = np.arange(NUM_NOTES)


class GreedyComposer(CausalComposer):
    name = "greedy"

    def __init__(self, k: int = DEFAULT_K, window: int = GREEDY_WINDOW, lookahead_frames: int = 0):
        self.k = k
        self.history_notes = window - 1  # the window is these notes plus the candidate
        self.lookahead_frames = check_lookahead(lookahead_frames, k)

    def decide(self, recent: np.ndarray, notes: np.ndarray) -> int:
        return int(np.argmax(self.criterion(recent, notes)))

    def criterion(self, recent: np.ndarray, notes: np.ndarray) -> np.ndarray:
        """(5,) the window correlation of each candidate for a decision's frames (`recent`,
        ending lookahead_frames into the note's interval) and notes."""
        filled = with_coming_interval(recent, self.lookahead_frames, self.k)
        return self.window_correlations(filled[:-self.k], filled[-self.k:], notes)

    def window_correlations(self, recent: np.ndarray, coming: np.ndarray, notes: np.ndarray
                            ) -> np.ndarray:
        """The local-window correlation each of the 5 candidate notes would reach if the
        coming interval's k poses were `coming` (benchmarks/note_predictability.py tries
        other guesses than the held last pose)."""
        held = len(notes) * self.k  # frames of the notes in the window
        frames = np.concatenate([recent[len(recent) - held:], coming])
        units = unit_rows(frames).reshape(len(notes) + 1, self.k, -1)
        cands = np.concatenate([np.broadcast_to(notes, (NUM_NOTES, len(notes))),
                                _CANDIDATES[:, None]], axis=1)
        return ExactWindow.from_units(units).correlations(cands)


class _Seeded(CausalComposer):
    def __init__(self, k: int = DEFAULT_K, seed: int = 0, lookahead_frames: int = 0):
        self.k = k
        self.seed = seed
        self.lookahead_frames = check_lookahead(lookahead_frames, k)
        self.reset()

    def reset(self) -> None:
        self._rng = np.random.default_rng(self.seed)


def interval_similarity(vectors: np.ndarray, k: int) -> np.ndarray:
    """Cosine similarity of the poses at the two ends of every whole k-frame interval."""
    n = len(vectors) // k
    u = unit_rows(vectors[: n * k]).reshape(n, k, -1)
    return np.einsum("nd,nd->n", u[:, 0], u[:, -1])


class BaselineComposer(_Seeded):
    name = "baseline"
    history_notes = 1

    def __init__(self, threshold: float, k: int = DEFAULT_K, seed: int = 0,
                 lookahead_frames: int = 0):
        self.threshold = threshold
        super().__init__(k, seed, lookahead_frames)

    def decide(self, recent: np.ndarray, notes: np.ndarray) -> int:
        if interval_similarity(recent[-self.k:], self.k)[0] < self.threshold:
            return int(self._rng.integers(NUM_NOTES))
        return int(notes[-1])


class RandomComposer(_Seeded):
    name = "random"
    history_notes = 1

    def decide(self, recent: np.ndarray, notes: np.ndarray) -> int:
        return int(self._rng.integers(NUM_NOTES))


class ConstantComposer(CausalComposer):
    name = "constant"
    history_notes = 1

    def __init__(self, k: int = DEFAULT_K):
        self.k = k

    def decide(self, recent: np.ndarray, notes: np.ndarray) -> int:
        return FIRST_NOTE


def load_baseline_threshold(path: Path, representation: str = "paper") -> float:
    """The threshold for a pose representation, stored with the model data by
    models/baseline.py."""
    try:
        data = json.loads(Path(path).read_text())
        threshold = float(data["thresholds"][representation])
    except FileNotFoundError:
        raise ModelError(f"{path}: missing (build it with `python -m models.baseline`)") from None
    except (ValueError, KeyError, TypeError) as e:
        raise ModelError(f"{path}: expected JSON with a numeric 'thresholds.{representation}'"
                         f" ({type(e).__name__}: {e})") from None
    if not -1.0 <= threshold <= 1.0:
        raise ModelError(f"{path}: threshold {threshold} is not a cosine similarity in [-1, 1]")
    return threshold
