"""From the composers' note indices to what sounds: the one place a world, the dynamics and
the accompaniment meet. The same Arranger runs offline (a whole composition) and live (one grid
step at a time); it never changes the note indices it is given."""

from __future__ import annotations

import dataclasses

import numpy as np

from dance2music.sound.accompaniment import Accompaniment
from dance2music.sound.dynamics import Dynamics, DynamicsSettings
from dance2music.sound.movement import IntervalMotion, dance_motion
from dance2music.sound.worlds import LAYER_CHANNELS, MELODY_CHANNEL, World
from dance2music.synth.score import VELOCITY, TimedNote

_STILL = IntervalMotion(energy=0.0, beat=False, height=float("nan"))


@dataclasses.dataclass(frozen=True)
class SoundEvent:
    """A note starting (velocity > 0) or ending (velocity 0) at a grid step's onset."""

    midi: int
    velocity: int
    channel: int

    @property
    def is_on(self) -> bool:
        return self.velocity > 0


class Arranger:
    """Grid step by grid step: the melody note index (None: silence) and the interval's motion
    in, the events sounding it out (note-offs first)."""

    def __init__(self, world: World, accompaniment: bool = True, chord_every_notes: int = 4,
                 dynamics: DynamicsSettings | None = DynamicsSettings()):
        """`dynamics` None: every note at the paper's constant velocity."""
        self.world = world
        self.dynamics = Dynamics(dynamics) if dynamics is not None else None
        self.accompaniment = Accompaniment(world, chord_every_notes) if accompaniment else None
        self._melody: list[tuple[int, int]] = []  # (midi, channel) sounding
        self._note: int | None = None
        self.last_velocity = 0

    @property
    def programs(self) -> dict[int, int]:
        return self.world.channel_programs

    def _melody_voices(self, note: int, velocity: int) -> list[tuple[int, int, int]]:
        midi = self.world.melody_midi(note)
        voices = [(midi, velocity, MELODY_CHANNEL)]
        for channel, layer in zip(LAYER_CHANNELS, self.world.layers):
            voices.append((midi + 12 * layer.octave,
                            max(1, round(velocity * layer.velocity_scale)), channel))
        return voices

    def step(self, index: int, note: int | None, motion: IntervalMotion | None) -> list[SoundEvent]:
        motion = motion or _STILL
        # Every interval feeds the dancer's range, sounding or not.
        velocity = self.dynamics.velocity(motion) if self.dynamics is not None else VELOCITY
        self.last_velocity = velocity
        offs: list[tuple[int, int]] = []
        ons: list[tuple[int, int, int]] = []
        if note is None:
            offs += self._melody + (self.accompaniment.release_all() if self.accompaniment else [])
            self._melody, self._note = [], None
        else:
            struck = note != self._note
            if struck:
                offs += self._melody
                voices = self._melody_voices(note, velocity)
                ons += voices
                self._melody, self._note = [(p, c) for p, _, c in voices], note
            if self.accompaniment is not None:
                released, started = self.accompaniment.step(
                    index, self.world.melody_midi(note), struck, motion.height, velocity)
                offs += released
                ons += started
        return ([SoundEvent(p, 0, c) for p, c in offs]
                + [SoundEvent(p, v, c) for p, v, c in ons])

    def finish(self) -> list[SoundEvent]:
        """Note-offs for everything still sounding."""
        rest = self._melody + (self.accompaniment.release_all() if self.accompaniment else [])
        self._melody, self._note = [], None
        return [SoundEvent(p, 0, c) for p, c in rest]


def arrange(notes: np.ndarray, silent: np.ndarray | None, vectors: np.ndarray, k: int,
            fps: float, arranger: Arranger, boundaries_s: np.ndarray | None = None
            ) -> list[TimedNote]:
    """The timed notes of a whole composition (step i at boundaries_s[i], by default at
    i * k / fps seconds)."""
    if boundaries_s is None:
        boundaries_s = np.arange(len(notes) + 1) * (k / fps)
    times = [float(t) for t in boundaries_s]
    motions = dance_motion(vectors, k, fps)
    started: dict[tuple[int, int], tuple[float, int]] = {}
    out: list[TimedNote] = []

    def apply(events: list[SoundEvent], time_s: float) -> None:
        for e in events:
            key = (e.midi, e.channel)
            if key in started:  # an off, or a restrike of a sounding pitch
                start_s, velocity = started.pop(key)
                out.append(TimedNote(start_s, time_s, e.midi, velocity, e.channel))
            if e.is_on:
                started[key] = (time_s, e.velocity)

    for i, note in enumerate(notes):
        quiet = silent is not None and bool(silent[i])
        motion = motions[i] if i < len(motions) else None
        apply(arranger.step(i, None if quiet else int(note), motion), times[i])
    apply(arranger.finish(), times[len(notes)])
    return sorted(out, key=lambda n: (n.start_s, n.channel, n.midi))
