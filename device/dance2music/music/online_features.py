"""The online note classifier's inputs, computed one way for training (models/classifier) and
for the device (music/online.py), so the two can never drift apart.

At decision n (the note played over frames [n*k, (n+1)*k)), having seen the first d
(lookahead) frames of that interval, the classifier sees:
  image      float32 (1, SIZE, SIZE): cosine similarity of the greedy composer's window: the
             9 intervals before the note and the coming one (its d seen frames, then the last of
             them held), placed bottom-right, zeros top-left while fewer frames exist;
  history    int64 (HISTORY,): the last (at most HISTORY) notes before n, left-padded with
             START_TOKEN;
  lookahead  int64 (1,): d, so one model serves every lookahead it was trained for.
"""

from __future__ import annotations

import numpy as np

from dance2music.music.composer import (DEFAULT_K, DEFAULT_WINDOW, decision_frames,
                                        with_coming_interval)
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


def teacher_forced_inputs(vectors: np.ndarray, notes: np.ndarray, lookahead: np.ndarray,
                          k: int = DEFAULT_K) -> tuple[np.ndarray, ...]:
    """Every decision n >= 1 of a dance whose notes are known (the labels), as the live loop
    would present it (the frames of CausalComposer.frame_span): images (n-1, 1, S, S),
    histories (n-1, H), lookaheads (n-1, 1) and targets (n-1,). `lookahead`: d for each
    decision (broadcast from a scalar). The first note is fixed (FIRST_NOTE), not decided."""
    notes = np.asarray(notes, dtype=np.int64)
    n = min(len(vectors) // k, len(notes))
    if n < 2 or notes[0] != FIRST_NOTE:
        raise ValueError(f"need >= 2 notes starting on {FIRST_NOTE}, got {notes[:n]}")
    ds = np.broadcast_to(np.asarray(lookahead, dtype=np.int64), (n - 1,))
    images = np.stack([decision_image(decision_frames(vectors, t, k, SIZE, d), d, k)
                       for t, d in zip(range(1, n), ds)])
    histories = np.stack([note_history(notes[max(0, t - HISTORY):t]) for t in range(1, n)])
    return images, histories, ds[:, None].copy(), notes[1:n].copy()
