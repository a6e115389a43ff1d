"""The online note classifier's inputs, computed one way for training (models/classifier) and
for the device (music/online.py), so the two can never drift apart.

At decision n (the note played over frames [n*k, (n+1)*k)), having seen the first d
(lookahead) frames of that interval, the classifier sees:
  image      float32 (1, SIZE, SIZE): cosine similarity of the paper's local window: the
             9 intervals before the note and the coming one (its d seen frames, then the last of
             them held), placed bottom-right, zeros top-left while fewer frames exist;
  history    int64 (HISTORY,): the last (at most HISTORY) notes before n, left-padded with
             START_TOKEN;
  lookahead  int64 (1,): d, so one model serves every lookahead it was trained for;
  prior      float32 (5,): the greedy composer's criterion for each candidate over its longer
             window (16 notes, causal.GreedyComposer): the classifier starts from the greedy
             choice and learns corrections.
"""

from __future__ import annotations

import numpy as np

from dance2music.music.causal import GreedyComposer
from dance2music.music.composer import DEFAULT_K, DEFAULT_WINDOW, with_coming_interval
from dance2music.music.scale import FIRST_NOTE, START_TOKEN
from dance2music.music.similarity import dance_similarity

HISTORY = DEFAULT_WINDOW  # notes
SIZE = DEFAULT_WINDOW * DEFAULT_K  # frames (60: 2 s at 30 fps)


def similarity_image(frames: np.ndarray, size: int = SIZE) -> np.ndarray:
    """(L, dim) pose vectors -> (1, size, size) float32; only the last `size` poses count."""
    frames = np.asarray(frames)[-size:]
    image = np.zeros((1, size, size), dtype=np.float32)
    if len(frames):
        image[0, size - len(frames):, size - len(frames):] = dance_similarity(frames)
    return image


def decision_image(recent: np.ndarray, lookahead_frames: int, k: int = DEFAULT_K) -> np.ndarray:
    """The image of a decision whose frames (`recent`) end `lookahead_frames` into the note's
    interval."""
    return similarity_image(with_coming_interval(recent, lookahead_frames, k))


def note_history(notes: np.ndarray, length: int = HISTORY) -> np.ndarray:
    """The last (at most `length`) notes, left-padded with START_TOKEN -> int64 (length,)."""
    notes = np.asarray(notes, dtype=np.int64)
    notes = notes[max(0, len(notes) - length):]
    history = np.full(length, START_TOKEN, dtype=np.int64)
    history[length - len(notes):] = notes
    return history


def decision_inputs(recent: np.ndarray, notes: np.ndarray, prior: GreedyComposer
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One decision's image, history and prior from its frames (the greedy composer's
    frame_span, which holds the image's) and its last (at most prior.history_notes) notes."""
    return (decision_image(recent, prior.lookahead_frames, prior.k), note_history(notes),
            prior.criterion(recent, notes).astype(np.float32))


def teacher_forced_inputs(vectors: np.ndarray, notes: np.ndarray, lookahead: np.ndarray,
                          k: int = DEFAULT_K) -> tuple[np.ndarray, ...]:
    """Every decision n >= 1 of a dance whose notes are known (the labels), as the live loop
    would present it (the frames of CausalComposer.frame_span): images (n-1, 1, S, S),
    histories (n-1, H), lookaheads (n-1, 1), priors (n-1, 5) and targets (n-1,). `lookahead`:
    d for each decision (broadcast from a scalar). The first note is fixed (FIRST_NOTE), not
    decided."""
    notes = np.asarray(notes, dtype=np.int64)
    n = min(len(vectors) // k, len(notes))
    if n < 2 or notes[0] != FIRST_NOTE:
        raise ValueError(f"need >= 2 notes starting on {FIRST_NOTE}, got {notes[:n]}")
    ds = np.broadcast_to(np.asarray(lookahead, dtype=np.int64), (n - 1,))
    priors = {d: GreedyComposer(k, lookahead_frames=int(d)) for d in np.unique(ds)}
    inputs = [decision_inputs(priors[d].history(vectors, t),
                              notes[max(0, t - priors[d].history_notes):t], priors[d])
              for t, d in zip(range(1, n), ds)]
    images, histories, prior_scores = (np.stack(column) for column in zip(*inputs))
    return images, histories, ds[:, None].copy(), prior_scores, notes[1:n].copy()
