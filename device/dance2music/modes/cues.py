"""A short motif per mode on the glockenspiel, so a headless box tells you where you are:
each has its own contour (rising, up-a-fifth, down-a-fifth, alternating, falling)."""

from __future__ import annotations

CUE_STEP_S = 0.12  # between the notes of a motif
CUE_VELOCITY = 90
CUES: dict[str, tuple[int, ...]] = {
    "live": (72, 76, 79),
    "greedy": (72, 79),
    "baseline": (79, 72),
    "replay": (72, 76, 72, 76),
    "standby": (79, 76, 72),
}


def cue_length_s(mode: str) -> float:
    return len(CUES[mode]) * CUE_STEP_S + 0.2
