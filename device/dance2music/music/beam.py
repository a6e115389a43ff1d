"""The paper's offline approach: beam search maximising the local-window correlation between
the dance and music similarity matrices."""

from __future__ import annotations

import dataclasses

import numpy as np

from dance2music.errors import InputError
from dance2music.music.composer import DEFAULT_K, DEFAULT_WINDOW, Composer, check_dance
from dance2music.music.scale import FIRST_NOTE, NUM_NOTES
from dance2music.music.similarity import DanceNotes, QuantisedDance

_CANDIDATES = np.arange(NUM_NOTES)


@dataclasses.dataclass(frozen=True)
class BeamSearch(Composer):
    """Every step extends each beam by each note (beams in rank order, notes ascending), scores
    the candidates on the window of their last `window` notes and its frames, and keeps the
    best `beam_width` (a stable sort: ties go to the earlier candidate)."""

    k: int = DEFAULT_K
    beam_width: int = 50
    window: int = DEFAULT_WINDOW
    first_note: int = FIRST_NOTE
    name: str = dataclasses.field(default="beam", init=False)

    def __post_init__(self) -> None:
        for field, value in (("beam_width", self.beam_width), ("window", self.window)):
            if not isinstance(value, int) or value < 1:
                raise InputError(f"{field}: expected an integer >= 1, got {value!r}")
        if self.first_note not in range(NUM_NOTES):
            raise InputError(f"first_note: expected 0..{NUM_NOTES - 1}, got {self.first_note!r}")

    def compose(self, vectors: np.ndarray) -> np.ndarray:
        return self.extend(vectors, np.array([self.first_note]))

    def extend(self, vectors: np.ndarray, prefix: np.ndarray, notes: int | None = None
               ) -> np.ndarray:
        """The best continuation of `prefix` (its notes kept as they are) up to `notes` notes
        (default: the whole dance): what the search would play next from a history it did not
        choose (models/classifier labels a composer's own histories with it)."""
        vectors = check_dance(vectors, self.k)
        n = len(vectors) // self.k if notes is None else min(notes, len(vectors) // self.k)
        # Only the frames of the notes searched: every window trails its last note.
        dance = DanceNotes(vectors[: n * self.k], self.k)
        prefix = np.asarray(prefix, dtype=np.int64)
        if not 1 <= len(prefix) <= n:
            raise InputError(f"prefix: expected 1 to {n} notes, got {len(prefix)}")
        moments = QuantisedDance(dance, self.window)
        keep = self.window - 1  # notes of a beam that the next window still sees
        tails = prefix[len(prefix) - min(keep, len(prefix)):][None]
        parents = np.zeros((n, self.beam_width), dtype=np.int64)
        chosen = np.zeros((n, self.beam_width), dtype=np.int64)
        for t in range(len(prefix), n):
            start = max(0, t - keep)
            stats = moments.window(start, t + 1)
            beams = len(tails)
            cands = np.empty((beams * NUM_NOTES, tails.shape[1] + 1), dtype=np.int64)
            cands[:, :-1] = np.repeat(tails, NUM_NOTES, axis=0)
            cands[:, -1] = np.tile(_CANDIDATES, beams)
            order = np.argsort(-stats.correlations(cands), kind="stable")[: self.beam_width]
            parents[t, : len(order)] = order // NUM_NOTES
            chosen[t, : len(order)] = order % NUM_NOTES
            tails = cands[order, -keep:] if keep else cands[order, :0]
        # Backtrack from the best final beam.
        out = np.empty(n, dtype=np.int64)
        out[:len(prefix)] = prefix
        beam = 0
        for t in range(n - 1, len(prefix) - 1, -1):
            out[t] = chosen[t, beam]
            beam = parents[t, beam]
        return out
