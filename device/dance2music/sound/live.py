"""The live loop's sound: the arranger of the current world, switching worlds and the volume
while playing. The loop calls it; it calls the sink (programs, level, volume) and the outputs."""

from __future__ import annotations

import logging
from pathlib import Path

from dance2music.sound import calibration, volume
from dance2music.sound.arrangement import Arranger
from dance2music.sound.dynamics import DynamicsSettings
from dance2music.sound.movement import IntervalMotion
from dance2music.sound.outputs import LiveOutput, open_outputs
from dance2music.sound.worlds import WORLD_NAMES, World, get_world

log = logging.getLogger(__name__)


class LiveSound:
    """`world=None` plays the paper's music: the piano melody alone at a constant velocity."""

    def __init__(self, world: str | None = None, accompaniment: bool = True,
                 chord_every_notes: int = 4, volume_store: volume.VolumeStore | None = None,
                 outputs: list[LiveOutput] | None = None):
        self.plain = world is None
        self.outputs = outputs or []  # MIDI/OSC: told the world, volume, mode and movement
        self.accompaniment = accompaniment and not self.plain
        self.chord_every_notes = chord_every_notes
        self.volume_store = volume_store or volume.VolumeStore(None)
        self.volume_db = self.volume_store.load()
        self.arranger = self._arranger(get_world(world or "piano"))

    @classmethod
    def from_settings(cls, settings) -> LiveSound:
        """From the [sound] section of the configuration."""
        store = volume.VolumeStore(Path(settings.volume_file) if settings.volume_file else None,
                                   settings.volume_db)
        return cls(settings.world, settings.accompaniment, settings.chord_every_notes, store,
                   open_outputs(settings))

    def _arranger(self, world: World) -> Arranger:
        return Arranger(world, self.accompaniment, self.chord_every_notes,
                        None if self.plain else DynamicsSettings())

    @property
    def world(self) -> World:
        return self.arranger.world

    def apply_to(self, sink) -> None:
        """The world's instruments, level and the volume on a (newly opened) sink."""
        if self.plain:
            return  # the synth starts with the piano; no level chain to set
        for channel, program in self.world.channel_programs.items():
            sink.program(channel, program)
        if hasattr(sink, "set_level"):
            sink.set_level(calibration.gain_db(self.world.name), self.volume_db)

    def set_world(self, name: str) -> World:
        """Switch to world `name` ('next': the one after the current); the caller ends the
        notes sounding (Arranger.finish) before, and applies the new world to the sink."""
        if name == "next":
            i = WORLD_NAMES.index(self.world.name)
            name = WORLD_NAMES[(i + 1) % len(WORLD_NAMES)]
        self.arranger = self._arranger(get_world(name))
        log.info("world: %s (%s)", name, self.world.description)
        self.state("world", name)
        return self.world

    def cue(self) -> tuple[int, ...]:
        """MIDI notes of the world's announcing motif (played on its melody instrument)."""
        return tuple(self.world.melody_midi(i) for i in self.world.cue)

    def set_volume(self, command: str, value_db: float | None = None) -> float:
        self.volume_db = volume.adjusted(self.volume_db, command, value_db)
        self.volume_store.save(self.volume_db)
        log.info("volume: %+.1f dB", self.volume_db)
        self.state("volume", self.volume_db)
        return self.volume_db

    def state(self, name: str, value: str | float) -> None:
        for output in self.outputs:
            output.state(name, value)

    def motion(self, motion: IntervalMotion | None) -> None:
        """An interval's movement and the velocity it gave, to the outputs."""
        if motion is not None:
            for output in self.outputs:
                output.motion(motion.energy, motion.height, motion.beat,
                              self.arranger.last_velocity)

    def close(self) -> None:
        for output in self.outputs:
            output.close()
        self.outputs = []
