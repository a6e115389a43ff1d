"""16-bit PCM WAV files, written atomically, or streamed block by block (live file output)."""

from __future__ import annotations

import errno
import os
import struct
import wave
from pathlib import Path

import numpy as np

from dance2music.files import atomic_path


def write_wav(path: str | Path, samples: np.ndarray, sample_rate_hz: int) -> None:
    samples = np.asarray(samples, dtype=np.int16)
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    with atomic_path(path) as tmp, wave.open(str(tmp), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(sample_rate_hz)
        w.writeframes(samples.tobytes())


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """(samples int16 (frames, channels), sample rate)."""
    with wave.open(str(path), "rb") as w:
        data = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
        return data.reshape(-1, w.getnchannels()), w.getframerate()


class WavStream:
    """A 16-bit stereo WAV written block by block, valid after every failure: a block the
    disk cannot take (full, quota) is cut back off and OSError raised, the data before it
    kept; `finish()` writes the final sizes into the header (in place: no new space needed)."""

    HEADER_BYTES = 44
    MAX_DATA_BYTES = 0xFFFFFFFF - 36  # RIFF sizes are 32 bits: ~6 h at 48 kHz stereo

    def __init__(self, path: str | Path, sample_rate_hz: int, channels: int = 2):
        self.sample_rate_hz, self.channels = sample_rate_hz, channels
        self.data_bytes = 0
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            self._write_at(self._header(), 0)
        except OSError:
            os.close(self._fd)
            raise

    def _header(self) -> bytes:
        frame_bytes = 2 * self.channels
        return struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + self.data_bytes, b"WAVE",
                           b"fmt ", 16, 1, self.channels, self.sample_rate_hz,
                           self.sample_rate_hz * frame_bytes, frame_bytes, 16, b"data",
                           self.data_bytes)

    def _write_at(self, data: bytes, offset: int) -> None:
        view = memoryview(data)
        while view:
            view = view[os.pwrite(self._fd, view, offset + len(data) - len(view)):]

    def append(self, data: bytes) -> None:
        if self.data_bytes + len(data) > self.MAX_DATA_BYTES:
            raise OSError(errno.EFBIG, "the WAV format's 4 GiB limit is reached")
        offset = self.HEADER_BYTES + self.data_bytes
        try:
            self._write_at(data, offset)
        except OSError:
            os.ftruncate(self._fd, offset)  # shrinking needs no space
            raise
        self.data_bytes += len(data)

    def finish(self) -> None:
        try:
            self._write_at(self._header(), 0)
            os.fsync(self._fd)
        finally:
            os.close(self._fd)
