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

    def render(self, frames: int) -> np.ndarray:
        buf = np.zeros((frames, 2), dtype=np.float32)
        ptr = buf.ctypes.data
        self._write(self._synth.synth, frames, ptr, 0, 2, ptr, 1, 2)
        with self._lock:
            level_db, volume_db = self._level_db, self._volume_db
        x = buf.astype(np.float64) * 10 ** (level_db / 20)
        correction_db = self.follower.update(x) if self.follower is not None else 0.0
        return to_int16(self._limiter.process(x * 10 ** ((correction_db + volume_db) / 20)))
