"""The live NoteSink: FluidSynth playing to a sound card (or a WAV file in real time), with
every event scheduled on the sequencer at an absolute tick of the rendered-sample clock.

The tick (samples rendered so far) is the loop's clock: the note grid is laid on it, so onsets
are sample-exact whatever Python's scheduling jitter. A WAV file output is rendered at the wall
clock's pace (PacedFileOutput), so a file run takes the same timing path as a sound card."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import time
from pathlib import Path

from dance2music.config import AudioSettings
from dance2music.synth.fluid import PIANO_CHANNEL, AudioError, open_synth
from dance2music.synth.output import LimitedDriver, LimitedRenderer
from dance2music.synth.paced import PacedFileOutput

log = logging.getLogger(__name__)

CUE_CHANNEL = 1
CUE_PROGRAM = 9  # General MIDI glockenspiel: cues never sound like the piano's melody
# Fades ride on expression (CC 11, default 127), not channel volume (CC 7, default 100):
# restoring "full volume" 127 after a fade played everything after it 2 dB louder.
_EXPRESSION_CC = 11
_ALL_SOUND_OFF_CC = 120
_FULL_EXPRESSION = 127
# Channels an arrangement plays on (sound.worlds: melody 0, layers 2-3, bass 4, chords 5).
MUSIC_CHANNELS = (PIANO_CHANNEL, 2, 3, 4, 5)


def _bind(fluidsynth):
    """C functions pyfluidsynth has no wrapper for (controller events, dropping events)."""
    c = ctypes
    return (
        fluidsynth.cfunc("fluid_event_control_change", None, ("evt", c.c_void_p, 1),
                         ("channel", c.c_int, 1), ("control", c.c_short, 1), ("val", c.c_int, 1)),
        fluidsynth.cfunc("fluid_sequencer_remove_events", None, ("seq", c.c_void_p, 1),
                         ("source", c.c_short, 1), ("dest", c.c_short, 1), ("type", c.c_int, 1)),
    )


class FluidSynthSink:
    def __init__(self, settings: AudioSettings, level: bool = False):
        """`settings`: the synth and its output ([audio]); `level`: the output goes through
        the calibrated level, loudness follower, volume and limiter (synth.output); else
        FluidSynth's raw 16-bit output."""
        self.settings = settings
        self.level = level
        self.ticks_per_s = settings.sample_rate_hz
        self._synth = self._seq = self._dest = self._driver = None
        self._renderer: LimitedRenderer | None = None

    def open(self) -> None:
        """Start the synth and its audio output; AudioError if the output did not open."""
        import fluidsynth

        self.close()
        out = self.settings
        driver = {"audio.driver": out.driver, "audio.period-size": int(out.period_size),
                  "audio.periods": int(out.periods)}
        if out.driver == "alsa":
            driver["audio.alsa.device"] = out.device
        synth, seq, dest = open_synth(self.settings, **driver)
        synth.program_change(CUE_CHANNEL, CUE_PROGRAM)
        try:
            handle = self._start_output(fluidsynth, synth)
        except AudioError:
            seq.delete()
            synth.delete()
            raise
        self._control_change, self._remove_events = _bind(fluidsynth)
        self._fs = fluidsynth
        self._synth, self._seq, self._dest, self._driver = synth, seq, dest, handle
        if out.driver == "file":
            log.info("audio: %s at %d Hz, paced by the wall clock", out.audio_file,
                     self.settings.sample_rate_hz)
        else:
            log.info("audio: %s %s at %d Hz, %d x %d frames", out.driver, out.device,
                     self.settings.sample_rate_hz, synth.get_setting("audio.period-size"),
                     synth.get_setting("audio.periods"))

    def _start_output(self, fluidsynth, synth):
        out = self.settings
        rate = self.settings.sample_rate_hz
        self._renderer = LimitedRenderer(fluidsynth, synth, rate) if self.level else None
        if out.driver == "file":
            if not out.audio_file:
                raise AudioError("audio: the file output needs an audio file")
            return PacedFileOutput(synth, Path(out.audio_file), rate,
                                   render=self._renderer.render if self._renderer else None)
        if self._renderer is not None:
            driver = LimitedDriver(fluidsynth, synth, self._renderer)
            if not driver.handle:
                raise AudioError(f"audio: the {out.driver} output {out.device!r} did not open")
            return driver
        # Our own driver, not Synth.start(): that returns 0 when the device failed and opens
        # an ALSA MIDI input we do not want.
        handle = fluidsynth.new_fluid_audio_driver(synth.settings, synth.synth)
        if not handle:
            raise AudioError(f"audio: the {out.driver} output {out.device!r} did not open")
        return handle

    @property
    def is_open(self) -> bool:
        return self._driver is not None

    @property
    def output_error(self) -> str | None:
        """Why the open output is not keeping what it plays (the file output on a full disk),
        or None: the music and the clock go on meanwhile."""
        return getattr(self._driver, "error", None)

    def now(self) -> int:
        """The audio clock: samples rendered so far."""
        return self._seq.get_tick()

    def render_lock(self) -> contextlib.AbstractContextManager:
        """Holds rendering back while held (the file output). FluidSynth's own drivers render
        in a thread of theirs that cannot be held: there the 2 ms guard before a note's tick
        is the only margin (docs/audio.md)."""
        if isinstance(self._driver, PacedFileOutput):
            return self._driver.render_lock
        return contextlib.nullcontext()

    def set_level(self, level_db: float, volume_db: float) -> None:
        """The world's calibrated level and the listener's volume (no effect without `level`)."""
        if self._renderer is not None:
            self._renderer.set_level_db(level_db)
            self._renderer.set_volume_db(volume_db)

    def program(self, channel: int, program: int) -> None:
        """General MIDI program (instrument) of a channel, from now on."""
        self._synth.program_change(channel, program)

    def note_on(self, tick: int, midi: int, velocity: int, channel: int = PIANO_CHANNEL) -> None:
        self._seq.note_on(tick, channel, midi, velocity, dest=self._dest)

    def note_off(self, tick: int, midi: int, channel: int = PIANO_CHANNEL) -> None:
        self._seq.note_off(tick, channel, midi, dest=self._dest)

    def control(self, tick: int, controller: int, value: int,
                channel: int = PIANO_CHANNEL) -> None:
        evt = self._seq._create_event(-1, self._dest)
        self._control_change(evt, channel, controller, int(value))
        self._seq._schedule_event(evt, tick)
        self._fs.delete_fluid_event(evt)

    def fade_out(self, tick: int, duration_ticks: int, steps: int = 8) -> None:
        """The music (every channel but the cues') down to 0 over `duration_ticks`, every voice
        cut at silence (a note-off would let the release ring on when the volume comes back),
        then full expression again."""
        end = tick + duration_ticks
        for channel in MUSIC_CHANNELS:
            for i in range(1, steps + 1):
                self.control(tick + duration_ticks * i // steps, _EXPRESSION_CC,
                             _FULL_EXPRESSION * (steps - i) // steps, channel)
            self.control(end, _ALL_SOUND_OFF_CC, 0, channel)
            self.control(end + 1, _EXPRESSION_CC, _FULL_EXPRESSION, channel)

    def silence(self) -> None:
        """Drop every scheduled event and cut every sounding note now."""
        if self._seq is not None:
            self._remove_events(self._seq.sequencer, -1, -1, -1)
            for channel in (*MUSIC_CHANNELS, CUE_CHANNEL):
                self._synth.all_sounds_off(channel)
                self._synth.cc(channel, _EXPRESSION_CC, _FULL_EXPRESSION)

    def close(self) -> None:
        """Silence, then stop the output; idempotent."""
        if self._synth is None:
            return
        self.silence()
        # Let the cut reach the output (a buffer or two) before stopping it: no click, no
        # note left sounding in the device's buffer or at the end of the file.
        block = (self._driver.block_frames if isinstance(self._driver, PacedFileOutput)
                 else self.settings.period_size * self.settings.periods)
        time.sleep(2 * block / self.ticks_per_s)
        if isinstance(self._driver, PacedFileOutput | LimitedDriver):
            self._driver.close()
        else:
            self._fs.delete_fluid_audio_driver(self._driver)
        self._seq.delete()
        self._synth.delete()
        self._synth = self._seq = self._dest = self._driver = None
