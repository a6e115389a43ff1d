"""A composition performed in a sound world: its timed notes on every channel, their programs,
and the rendering normalised to the loudness target."""

from __future__ import annotations

import dataclasses

import numpy as np

from dance2music.config import AudioSettings
from dance2music.sound.arrangement import Arranger, arrange
from dance2music.sound.worlds import DEFAULT_WORLD, World, get_world
from dance2music.synth import fluid, loudness
from dance2music.synth.score import TimedNote


@dataclasses.dataclass(frozen=True)
class SoundOptions:
    world: str = DEFAULT_WORLD
    accompaniment: bool = True
    chord_every_notes: int = 4


@dataclasses.dataclass(frozen=True)
class Performance:
    world: World
    notes: list[TimedNote]
    programs: dict[int, int]  # GM program per channel

    def melody(self) -> list[TimedNote]:
        return [n for n in self.notes if n.channel == 0]


def perform(notes: np.ndarray, silent: np.ndarray | None, vectors: np.ndarray, k: int,
            fps: float, options: SoundOptions = SoundOptions(),
            boundaries_s: np.ndarray | None = None) -> Performance:
    """`boundaries_s`: note i from boundaries_s[i] (a tempo grid, music/grid.py; `vectors` then
    k poses per note in warped time); default the fixed grid of k / fps s steps."""
    world = get_world(options.world)
    arranger = Arranger(world, options.accompaniment, options.chord_every_notes)
    return Performance(world, arrange(notes, silent, vectors, k, fps, arranger, boundaries_s),
                       arranger.programs)


def render_performance(performance: Performance, synth: AudioSettings = AudioSettings(),
                       duration_s: float | None = None) -> np.ndarray:
    """int16 stereo at TARGET_LUFS integrated loudness, true peak <= CEILING_DBTP."""
    raw = fluid.render(performance.notes, synth, duration_s=duration_s,
                       programs=performance.programs)
    return loudness.to_int16(loudness.normalise(raw, synth.sample_rate_hz))
