"""The online note classifier's inputs, computed one way for training (models/classifier) and
for the device (music/online.py), so the two can never drift apart.

At decision t (the note played over frames [t*k, (t+1)*k)) the classifier sees:
  image    float32 (1, SIZE, SIZE): cosine similarity of the last (at most SIZE) poses before
           t*k, placed bottom-right, zeros top-left while fewer than SIZE poses exist;
  history  int64 (HISTORY,): the last (at most HISTORY) notes before t, left-padded with
           START_TOKEN.
"""

from __future__ import annotations

import numpy as np

from dance2music.music.composer import DEFAULT_K, DEFAULT_WINDOW
from dance2music.music.scale import FIRST_NOTE, START_TOKEN
from dance2music.music.similarity import dance_similarity

HISTORY = DEFAULT_WINDOW  # notes
SIZE = DEFAULT_WINDOW * DEFAULT_K  # frames (60: 2 s at 30 fps)


def similarity_image(recent: np.ndarray, size: int = SIZE) -> np.ndarray:
    """(L, dim) pose vectors -> (1, size, size) float32; only the last `size` poses count."""
    recent = np.asarray(recent)[-size:]
    image = np.zeros((1, size, size), dtype=np.float32)
    if len(recent):
        image[0, size - len(recent):, size - len(recent):] = dance_similarity(recent)
    return image


def note_history(notes: np.ndarray, length: int = HISTORY) -> np.ndarray:
    """The last (at most `length`) notes, left-padded with START_TOKEN -> int64 (length,)."""
    notes = np.asarray(notes, dtype=np.int64)
    notes = notes[max(0, len(notes) - length):]
    history = np.full(length, START_TOKEN, dtype=np.int64)
    history[length - len(notes):] = notes
    return history


def teacher_forced_inputs(vectors: np.ndarray, notes: np.ndarray, k: int = DEFAULT_K
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every decision t >= 1 of a dance whose notes are known (the labels), as the live loop
    would present it (CausalComposer.follow slices the same way): images (n-1, 1, S, S),
    histories (n-1, H) and targets (n-1,). The first note is fixed (FIRST_NOTE), not decided."""
    notes = np.asarray(notes, dtype=np.int64)
    n = min(len(vectors) // k, len(notes))
    if n < 2 or notes[0] != FIRST_NOTE:
        raise ValueError(f"need >= 2 notes starting on {FIRST_NOTE}, got {notes[:n]}")
    images = np.stack([similarity_image(vectors[max(0, t * k - SIZE):t * k]) for t in range(1, n)])
    histories = np.stack([note_history(notes[max(0, t - HISTORY):t]) for t in range(1, n)])
    return images, histories, notes[1:n].copy()
