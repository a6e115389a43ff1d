"""The composer interfaces: offline composers see the whole dance; causal ones decide each
note from the past only, so they can play live."""

from __future__ import annotations

import abc

import numpy as np

from dance2music.errors import InputError
from dance2music.music.scale import FIRST_NOTE

DEFAULT_K = 6  # frames per note: 0.2 s at 30 fps
DEFAULT_WINDOW = 10  # notes of local history (60 frames): the paper's beam search
# The greedy composer's window (96 frames): global correlation rises from 10 notes to a plateau
# at 16 on the validation and training choreographies (benchmarks/greedy_window.py), without
# flatter music; the paper's 10 suit the beam search, which also sees the future.
GREEDY_WINDOW = 16
# Notes before a boundary whose frames a causal composer sees, at most: the greedy window's
# (the online classifier's prior shares it). The live loop keeps at least these frames.
LONGEST_HISTORY_NOTES = GREEDY_WINDOW - 1
# Frames of a note's own interval seen before deciding it (33 ms at 30 fps, inside the default
# fixed latency of 100 ms). 2 frames (67 ms) measure better offline but left too little of L
# for frame jitter live: 1-2 misses per 2 min on the idle 2-core VM (tests/test_soak.py), 0 at
# 1 frame. README, the lookahead table.
DEFAULT_LOOKAHEAD_FRAMES = 1


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


def check_lookahead(lookahead_frames: int, k: int) -> int:
    if not isinstance(lookahead_frames, int | np.integer) or not 0 <= lookahead_frames <= k:
        raise InputError(f"lookahead_frames: expected an integer from 0 to k={k} (frames of the "
                         f"coming interval seen before deciding), got {lookahead_frames!r}")
    return int(lookahead_frames)


def with_coming_interval(recent: np.ndarray, lookahead_frames: int, k: int) -> np.ndarray:
    """`recent` ends `lookahead_frames` into the coming interval: complete that interval with its
    last frame held (with no lookahead, the last pose before the boundary holds)."""
    return np.concatenate([recent, np.repeat(recent[-1:], k - lookahead_frames, axis=0)])


def decision_span(n: int, k: int, history_frames: int, lookahead_frames: int, first: int = 0
                  ) -> tuple[int, int]:
    """Frames [start, end) note n's decision sees: up to history_frames before n*k (none before
    `first`, where the dance or the segment began) and frames n*k .. n*k+d-1."""
    boundary = n * k
    return max(first, boundary - history_frames), boundary + lookahead_frames


def decision_frames(vectors: np.ndarray, n: int, k: int, history_frames: int,
                    lookahead_frames: int) -> np.ndarray:
    """The frames of a whole dance that note n's decision sees."""
    return vectors[slice(*decision_span(n, k, history_frames, lookahead_frames))]


class CausalComposer(Composer):
    """Decides note n (played over frames [n*k, (n+1)*k)) from the notes before n, the frames
    before n*k and the first `lookahead_frames` (d) frames of its own interval: they arrive within
    the fixed latency, before the note sounds. The live loop and `follow` (offline) both take the
    frames a decision sees from `frame_span`, so they decide alike on the same frames."""

    history_notes: int = DEFAULT_WINDOW
    lookahead_frames: int = 0

    @property
    def history_frames(self) -> int:
        """Frames before the boundary a decision sees."""
        return self.history_notes * self.k

    def frame_span(self, n: int, first: int = 0) -> tuple[int, int]:
        """Frames [start, end) note n's decision sees (decision_span): the live loop waits for
        frame end - 1, or holds the last one that came when the deadline is near."""
        return decision_span(n, self.k, self.history_frames, self.lookahead_frames, first)

    def history(self, vectors: np.ndarray, n: int) -> np.ndarray:
        """The pose vectors note n's decision sees in a whole dance."""
        return decision_frames(vectors, n, self.k, self.history_frames, self.lookahead_frames)

    def reset(self) -> None:
        """Forget any state (random generators restart from their seed)."""

    @abc.abstractmethod
    def decide(self, recent: np.ndarray, notes: np.ndarray) -> int:
        """`recent`: the frames of `frame_span` (they end lookahead_frames after the note's
        boundary); `notes`: the last (at most history_notes) notes. Returns the next note."""

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
            notes[t] = self.decide(self.history(vectors, t),
                                   history[max(0, t - self.history_notes):t])
        return notes
