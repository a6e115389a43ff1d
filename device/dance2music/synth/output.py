"""The live audio path after the synth: float rendering (no clipping inside FluidSynth), the
calibrated level, the slow loudness follower, the volume, and the limiter that keeps every
sample under the ceiling, to int16 for the output.

FluidSynth's own 16-bit rendering clips at full scale; rendering floats and limiting them
here means a loud chord or a volume set too high is turned down, never clipped."""

from __future__ import annotations

import ctypes
import threading

import numpy as np

from dance2music.synth.leveller import LoudnessFollower
from dance2music.synth.limiter import StreamingLimiter
from dance2music.synth.loudness import CEILING_DBTP, TARGET_LUFS, to_int16

# Sample peaks under this: the ceiling less a margin for the peaks between samples.
LIVE_CEILING = 10 ** ((CEILING_DBTP - 0.5) / 20)


def _write_float(fluidsynth):
    c = ctypes
    return fluidsynth.cfunc("fluid_synth_write_float", c.c_int, ("synth", c.c_void_p, 1),
                            ("len", c.c_int, 1), ("lout", c.c_void_p, 1), ("loff", c.c_int, 1),
                            ("lincr", c.c_int, 1), ("rout", c.c_void_p, 1),
                            ("roff", c.c_int, 1), ("rincr", c.c_int, 1))


class LimitedRenderer:
    """Renders blocks of the synth as float; applies the world's calibrated level, the slow
    loudness follower's correction and the listener's volume (both settable from any thread),
    then the limiter; returns int16 stereo (frames, 2)."""

    def __init__(self, fluidsynth, synth, sample_rate_hz: int, level_db: float = 0.0,
                 volume_db: float = 0.0, follow_loudness: bool = True):
        self._write = _write_float(fluidsynth)
        self._synth = synth
        self._limiter = StreamingLimiter(sample_rate_hz, LIVE_CEILING)
        self.follower = LoudnessFollower(sample_rate_hz, TARGET_LUFS) if follow_loudness else None
        self._level_db = level_db
        self._volume_db = volume_db
        self._lock = threading.Lock()

    @property
    def delay_frames(self) -> int:
        return self._limiter.delay_frames

    @property
    def limited_blocks(self) -> int:
        return self._limiter.limited_blocks

    def set_level_db(self, level_db: float) -> None:
        """The calibrated level of a new world."""
        with self._lock:
            self._level_db = level_db

    def set_volume_db(self, volume_db: float) -> None:
        with self._lock:
            self._volume_db = volume_db

    def render_float(self, frames: int) -> np.ndarray:
        buf = np.zeros((frames, 2), dtype=np.float32)
        ptr = buf.ctypes.data
        self._write(self._synth.synth, frames, ptr, 0, 2, ptr, 1, 2)
        with self._lock:
            level_db, volume_db = self._level_db, self._volume_db
        x = buf.astype(np.float64) * 10 ** (level_db / 20)
        correction_db = self.follower.update(x) if self.follower is not None else 0.0
        return self._limiter.process(x * 10 ** ((correction_db + volume_db) / 20))

    def render(self, frames: int) -> np.ndarray:
        return to_int16(self.render_float(frames))


_AUDIO_FUNC = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                               ctypes.POINTER(ctypes.POINTER(ctypes.c_float)), ctypes.c_int,
                               ctypes.POINTER(ctypes.POINTER(ctypes.c_float)))


class LimitedDriver:
    """A FluidSynth audio driver (ALSA, JACK, PulseAudio...) whose every period is rendered
    by a LimitedRenderer (fluid_audio_driver_new2 with our callback), so the sound card gets
    the levelled, limited signal. The callback runs in the driver's thread and takes the GIL
    for each period: a Python thread hogging the GIL longer than a period makes an underrun."""

    def __init__(self, fluidsynth, synth, renderer: LimitedRenderer):
        c = ctypes
        new = fluidsynth.cfunc("new_fluid_audio_driver2", c.c_void_p, ("settings", c.c_void_p, 1),
                               ("func", _AUDIO_FUNC, 1), ("data", c.c_void_p, 1))
        self._delete = fluidsynth.cfunc("delete_fluid_audio_driver", None,
                                        ("driver", c.c_void_p, 1))
        self.renderer = renderer
        self.periods = 0
        self._callback = _AUDIO_FUNC(self._period)  # kept: FluidSynth holds a raw pointer
        self.handle = new(synth.settings, self._callback, None)

    def _period(self, _data, frames, _nfx, _fx, nout, out) -> int:
        block = self.renderer.render_float(frames).astype(np.float32)
        for channel in range(min(nout, 2)):
            np.ctypeslib.as_array(out[channel], shape=(frames,))[:] = block[:, channel]
        self.periods += 1
        return 0

    def close(self) -> None:
        if self.handle:
            self._delete(self.handle)
            self.handle = None
