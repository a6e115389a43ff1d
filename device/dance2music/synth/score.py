"""From a note sequence to timed piano notes: one grid step per k frames, repeated notes merged
into one sustained note (as the paper's reference plays them)."""

from __future__ import annotations

import dataclasses

import numpy as np

from dance2music.music.scale import MIDI_NOTES

VELOCITY = 100


@dataclasses.dataclass(frozen=True)
class TimedNote:
    start_s: float
    end_s: float
    midi: int
    velocity: int = VELOCITY
    channel: int = 0


def timed_notes(notes: np.ndarray, k: int, fps: float, silent: np.ndarray | None = None
                ) -> list[TimedNote]:
    """Notes of a sequence on its grid (step = k / fps seconds). Steps flagged in `silent`
    (nobody in view) play nothing and end the note before them."""
    step_s = k / fps
    out: list[TimedNote] = []
    start = None
    for t, note in enumerate(notes):
        quiet = silent is not None and bool(silent[t])
        if start is not None and (quiet or note != notes[start]):
            out.append(TimedNote(start * step_s, t * step_s, MIDI_NOTES[notes[start]]))
            start = None
        if start is None and not quiet:
            start = t
    if start is not None:
        out.append(TimedNote(start * step_s, len(notes) * step_s, MIDI_NOTES[notes[start]]))
    return out
