"""The one table of modes: what each plays, its cue, its LED and whether it makes music.
Everything else (configuration choices, the button, commands, the loop) reads it.

Cues are short glockenspiel motifs, so a headless box tells you where you are: each has its
own contour (rising, up a fifth, down a fifth, alternating, falling)."""

from __future__ import annotations

import dataclasses

CUE_STEP_S = 0.12  # between the notes of a motif
CUE_TAIL_S = 0.2  # after a motif's last note, before the music starts
CUE_VELOCITY = 90


@dataclasses.dataclass(frozen=True)
class Mode:
    name: str
    composer: str | None  # registry name of the causal composer; None: none (replay, standby)
    cue: tuple[int, ...]  # MIDI notes of the motif played on entering the mode
    blink_hz: float | None  # LED: None steady on (music) or off (standby)
    makes_music: bool
    fallback: str | None = None  # composer played when `composer` cannot be loaded

    @property
    def cue_length_s(self) -> float:
        return len(self.cue) * CUE_STEP_S + CUE_TAIL_S


STANDBY = "standby"
REPLAY = "replay"
MODE_TABLE: tuple[Mode, ...] = (  # music modes in the order `next` cycles through
    Mode("live", "online", (72, 76, 79), None, True, fallback="greedy"),
    Mode("greedy", "greedy", (72, 79), 1.0, True),
    Mode("baseline", "baseline", (79, 72), 2.0, True),
    Mode(REPLAY, None, (72, 76, 72, 76), 4.0, True),
    Mode(STANDBY, None, (79, 76, 72), None, False),
)
MODES: dict[str, Mode] = {m.name: m for m in MODE_TABLE}
MODE_NAMES = tuple(MODES)
MUSIC_MODES = tuple(m.name for m in MODE_TABLE if m.makes_music)
