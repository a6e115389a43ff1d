"""Bass and chords on a slower grid, from the world's scale, chosen by the dance, never a
semitone (minor second, major seventh or their octaves) against the melody at an onset.

Chords are triads stacked from every other tone of the world's scale (pentatonic scales give
open, quartal sonorities), leaving out any with a semitone inside. Every `every_notes` notes a
chord is chosen by how high the dancer's body sits (normalised to the dancer's recent range):
crouching picks low chords, standing tall high ones; the nearest chord that does not clash
with the melody note sounding then wins. Between chord changes, a chord tone a semitone from a
newly struck melody note is released at that onset. Decisions use only the present, so the
same rule runs live."""

from __future__ import annotations

import collections
import math

import numpy as np

from dance2music.sound.worlds import BASS_CHANNEL, CHORD_CHANNEL, World

CHORD_LOW_MIDI = 48  # chord roots in C3..B3
BASS_LOW_MIDI = 36  # bass in C2..B2
CHORD_VELOCITY_SCALE = 0.6
BASS_VELOCITY_SCALE = 0.8
_HEIGHT_WINDOW_NOTES = 150
_MIN_HEIGHT_SPREAD = 0.1  # image half-heights: smaller wanderings do not change the chord


def clashes(a_midi: int, b_midi: int) -> bool:
    """A minor second or major seventh apart, in any octave."""
    return (a_midi - b_midi) % 12 in (1, 11)


def chord_candidates(world: World) -> list[tuple[int, ...]]:
    """Pitch classes (above the world's root) of the world's triads, lowest sounding first."""
    scale = sorted(set(world.scale))
    out = []
    for i in range(len(scale)):
        triad = tuple(scale[(i + j) % len(scale)] for j in (0, 2, 4))
        if not any(clashes(a, b) for a in triad for b in triad if a != b):
            out.append(triad)
    return sorted(out, key=lambda triad: sum(voicing(world, triad)[1]))


def voicing(world: World, triad: tuple[int, ...]) -> tuple[int, list[int]]:
    """(bass pitch, chord pitches): the chord's root in C3..B3 and its tones above it, the
    bass on the same root in C2..B2."""
    root_pc = (world.root_midi + triad[0]) % 12
    chord_root = CHORD_LOW_MIDI + root_pc
    tones = [chord_root + (pc - triad[0]) % 12 for pc in triad]
    return BASS_LOW_MIDI + root_pc, tones


class Accompaniment:
    def __init__(self, world: World, every_notes: int = 4):
        self.world = world
        self.every_notes = every_notes
        self.chords = chord_candidates(world)
        self._heights: collections.deque[float] = collections.deque(maxlen=_HEIGHT_WINDOW_NOTES)
        self.sounding: list[tuple[int, int]] = []  # (midi, channel)

    def _preferred(self, height: float) -> int:
        """Index of the chord the body's height asks for."""
        if not math.isnan(height):
            self._heights.append(height)
        if not self._heights:
            return 0
        low, high = min(self._heights), max(self._heights)
        spread = max(high - low, _MIN_HEIGHT_SPREAD)
        x = 0.5 if math.isnan(height) else (height - low) / spread
        return int(np.clip(x * len(self.chords), 0, len(self.chords) - 1))

    def _chord_for(self, height: float, melody_midi: int) -> tuple[int, list[int]]:
        want = self._preferred(height)
        for i in sorted(range(len(self.chords)), key=lambda i: (abs(i - want), i)):
            bass, tones = voicing(self.world, self.chords[i])
            if not any(clashes(p, melody_midi) for p in [bass, *tones]):
                return bass, tones
        bass, tones = voicing(self.world, self.chords[want])  # every chord clashes: thin it
        kept = [p for p in tones if not clashes(p, melody_midi)]
        return (bass if not clashes(bass, melody_midi) else None), kept

    def release_all(self) -> list[tuple[int, int]]:
        out, self.sounding = self.sounding, []
        return out

    def step(self, index: int, melody_midi: int, struck: bool, height: float, velocity: int
             ) -> tuple[list[tuple[int, int]], list[tuple[int, int, int]]]:
        """At grid step `index` with `melody_midi` sounding (`struck`: begun now): the
        accompaniment notes to release (midi, channel) and to start (midi, velocity, channel)."""
        if index % self.every_notes == 0:
            releases = self.release_all()
            bass, tones = self._chord_for(height, melody_midi)
            starts = [(p, max(1, round(velocity * CHORD_VELOCITY_SCALE)), CHORD_CHANNEL)
                      for p in tones]
            if bass is not None:
                starts.append((bass, max(1, round(velocity * BASS_VELOCITY_SCALE)), BASS_CHANNEL))
            self.sounding = [(p, c) for p, _, c in starts]
            return releases, starts
        if not struck:
            return [], []
        releases = [(p, c) for p, c in self.sounding if clashes(p, melody_midi)]
        self.sounding = [s for s in self.sounding if s not in releases]
        return releases, []
