"""What the listener hears besides the composed notes: a mode's cue, a world's announcement
and the volume. A cue ends the music after what is already scheduled; no note starts before
the cue and its tail are over."""

from __future__ import annotations

from dance2music.live.audio import AudioOutput
from dance2music.live.scheduler import NoteScheduler
from dance2music.live.seams import NoteSink
from dance2music.modes.commands import Command
from dance2music.modes.table import CUE_STEP_S, CUE_TAIL_S, CUE_VELOCITY
from dance2music.sound.live import LiveSound
from dance2music.sound.worlds import MELODY_CHANNEL, WORLD_NAMES
from dance2music.synth.sequencer import CUE_CHANNEL


class SoundDesk:
    def __init__(self, sink: NoteSink, audio: AudioOutput, scheduler: NoteScheduler,
                 sound: LiveSound, stats, latency_ms: float):
        self.sink, self.audio, self.scheduler = sink, audio, scheduler
        self.sound, self.stats, self.latency_ms = sound, stats, latency_ms
        self._cue_end_tick = 0  # no note before this onset: a cue is playing

    def cue_playing(self, onset_tick: int) -> bool:
        return onset_tick < self._cue_end_tick

    def cut(self) -> int | None:
        """End the music (after what is already scheduled); the tick it ends at, None with no
        audio output."""
        if not self.sink.is_open:
            return None
        return self.scheduler.cut(self.sink.now() + self.audio.ticks(self.latency_ms))

    def announce(self, notes: tuple[int, ...] | None) -> None:
        """End the music and play a mode's cue (None: no cue)."""
        start = self.cut()
        if start is not None and notes is not None:
            self._cue(start, notes, CUE_CHANNEL)

    def _cue(self, start: int, notes: tuple[int, ...], channel: int) -> None:
        step = self.audio.ticks(CUE_STEP_S * 1000)
        self.scheduler.cue(start, notes, step, CUE_VELOCITY, channel)
        self._cue_end_tick = start + len(notes) * step + self.audio.ticks(CUE_TAIL_S * 1000)

    def command(self, command: Command) -> None:
        """'world NAME|next': the new world announces itself with its cue on its own
        instrument; 'volume ...': from the next audio block, kept across restarts."""
        if command.verb == "volume":
            self.sound.set_volume(*command.volume)
        else:
            start = self.cut()  # ends the old world's voices
            self.sound.set_world(command.sound)
            if start is not None:
                self._cue(start, self.sound.cue(), MELODY_CHANNEL)
        self.new_output()

    def new_output(self) -> None:
        """The world's instruments and level, and the volume, on the sink (when open)."""
        if self.sink.is_open:
            self.sound.apply_to(self.sink)
        self.stats.set_sound(self.sound.world.name, WORLD_NAMES, self.sound.volume_db)
