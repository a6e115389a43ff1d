"""Sound worlds: one declarative table saying how the composers' note indices 0-4 sound.

The composers keep choosing indices 0-4 by the paper's correlation; a world maps them to
pitches (its scale and register) and instruments (General MIDI programs of FluidR3_GM, bank 0),
and gives the accompaniment its scale, instruments and register. Adding a world is one entry."""

from __future__ import annotations

import dataclasses

from dance2music.errors import InputError

# Channels of an arrangement. 1 is the mode cues' (synth.sequencer.CUE_CHANNEL); 9 is GM drums.
MELODY_CHANNEL = 0
LAYER_CHANNELS = (2, 3)
BASS_CHANNEL = 4
CHORD_CHANNEL = 5


@dataclasses.dataclass(frozen=True)
class Layer:
    """An extra instrument doubling the melody."""

    program: int  # GM program
    octave: int = 0  # octaves above (+) or below (-) the melody
    velocity_scale: float = 1.0


@dataclasses.dataclass(frozen=True)
class World:
    name: str
    description: str
    root_midi: int  # pitch of the scale's root in the melody's register
    melody_steps: tuple[int, ...]  # semitones above the root of note indices 0..4
    scale: tuple[int, ...]  # pitch classes above the root the chords and bass draw on
    program: int  # GM program of the melody
    chord_program: int
    bass_program: int
    layers: tuple[Layer, ...] = ()
    cue: tuple[int, ...] = (0, 2, 4)  # note indices of the motif announcing the world

    def melody_midi(self, note: int) -> int:
        return self.root_midi + self.melody_steps[note]

    @property
    def channel_programs(self) -> dict[int, int]:
        programs = {MELODY_CHANNEL: self.program, BASS_CHANNEL: self.bass_program,
                    CHORD_CHANNEL: self.chord_program}
        programs.update({LAYER_CHANNELS[i]: layer.program for i, layer in enumerate(self.layers)})
        return programs


PENTATONIC_MAJOR = (0, 2, 4, 7, 9)
PENTATONIC_MINOR = (0, 3, 5, 7, 10)

WORLDS: dict[str, World] = {w.name: w for w in (
    World("piano", "grand piano, C major pentatonic (the paper's music)", 60, PENTATONIC_MAJOR,
          PENTATONIC_MAJOR, program=0, chord_program=0, bass_program=32),
    World("mallets", "marimba with a xylophone an octave up, C major pentatonic", 72,
          PENTATONIC_MAJOR, PENTATONIC_MAJOR, program=12, chord_program=11, bass_program=33,
          layers=(Layer(13, octave=1, velocity_scale=0.45),), cue=(4, 2, 0, 2)),
    World("night", "electric piano over a warm pad, A minor pentatonic", 57, PENTATONIC_MINOR,
          PENTATONIC_MINOR, program=4, chord_program=89, bass_program=32, cue=(0, 1, 2)),
    World("blues", "jazz guitar and organ, C blues", 60, (0, 3, 6, 7, 10),
          (0, 3, 5, 6, 7, 10), program=26, chord_program=16, bass_program=32, cue=(0, 1, 2, 3)),
    World("koto", "koto and strings, D in-sen", 62, (0, 1, 5, 7, 10), (0, 1, 5, 7, 10),
          program=107, chord_program=48, bass_program=42, cue=(4, 3, 2, 0)),
    World("dream", "celesta over a new-age pad and music box, C whole-tone", 60,
          (0, 2, 4, 6, 8), (0, 2, 4, 6, 8, 10), program=8, chord_program=89, bass_program=35,
          layers=(Layer(88, octave=-1, velocity_scale=0.5), Layer(10, octave=1,
                                                                  velocity_scale=0.35)),
          cue=(0, 1, 2, 3, 4)),
)}
WORLD_NAMES = tuple(WORLDS)
DEFAULT_WORLD = "piano"


def get_world(name: str) -> World:
    try:
        return WORLDS[name]
    except KeyError:
        raise InputError(f"world: expected one of {', '.join(WORLD_NAMES)}, got {name!r}") from None


def richest_world() -> World:
    """The world sounding the most voices at once (the live CPU measurement's worst case)."""
    return max(WORLDS.values(), key=lambda w: len(w.layers))

