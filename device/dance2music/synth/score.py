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


def timed_notes(notes: np.ndarray, k: int, fps: float, silent: np.ndarray | None = None
                ) -> list[TimedNote]:
    """Notes of a sequence on the fixed grid (step = k / fps seconds)."""
    return notes_on_grid(notes, np.arange(len(notes) + 1) * (k / fps), silent)


def notes_on_grid(notes: np.ndarray, boundaries_s: np.ndarray, silent: np.ndarray | None = None
                  ) -> list[TimedNote]:
    """Notes of a sequence on any grid (note t sounds from boundaries_s[t] to [t + 1]). Steps
    flagged in `silent` (nobody in view) play nothing and end the note before them."""
    times = [float(b) for b in boundaries_s]
    out: list[TimedNote] = []
    start = None
    for t, note in enumerate(notes):
        quiet = silent is not None and bool(silent[t])
        if start is not None and (quiet or note != notes[start]):
            out.append(TimedNote(times[start], times[t], MIDI_NOTES[notes[start]]))
            start = None
        if start is None and not quiet:
            start = t
    if start is not None:
        out.append(TimedNote(times[start], times[len(notes)], MIDI_NOTES[notes[start]]))
    return out
