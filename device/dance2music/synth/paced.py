"""A sound card stand-in: renders the synth to a WAV file at exactly the wall clock's pace.

FluidSynth's own 'file' driver sleeps a period after each render, so it runs 3-11 % slower
than real time (measured here for 2048- to 128-frame periods) and its sample clock drifts away
from the camera's. This thread renders each block at an absolute monotonic deadline instead:
the sequencer's clock (samples rendered) then keeps the wall clock's pace, as a sound card's
does, and the loop takes the same timing path. The file appears complete at close.

A disk that fills up is a fault, not a crash: rendering goes on at its pace (the music and the
loop's clock with it), the blocks that cannot be written are counted and `error` says why,
writing is retried every `retry_s`, and the WAV written so far stays valid and is moved into
place at close.

Rendering holds `render_lock`: whoever holds it sees the sample clock stand still, so an event
sent for a later tick while holding it cannot have been passed by the render."""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from dance2music.synth.fluid import RENDER_BLOCK_FRAMES, AudioError
from dance2music.synth.wav import WavStream

log = logging.getLogger(__name__)


class PacedFileOutput:
    def __init__(self, synth, path: Path, sample_rate_hz: int,
                 block_frames: int = RENDER_BLOCK_FRAMES, retry_s: float = 2.0,
                 render: Callable[[int], np.ndarray] | None = None):
        """`render(frames)` -> int16 (frames, 2); default: FluidSynth's own 16-bit output."""
        self._render = render or (lambda n: np.asarray(synth.get_samples(n), dtype=np.int16))
        self.path = Path(path)
        self.block_frames = block_frames
        self.sample_rate_hz = sample_rate_hz
        self.retry_s = retry_s
        self.error: str | None = None  # why blocks are not being written, while they are not
        self.frames_lost = 0
        self._next_try_ns = 0
        self._tmp: Path | None = None
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".wav",
                                       dir=self.path.parent)
            os.close(fd)
            self._tmp = Path(tmp)
            self._wav = WavStream(self._tmp, sample_rate_hz)
        except OSError as e:
            if self._tmp is not None:
                self._tmp.unlink(missing_ok=True)
            raise AudioError(f"audio: cannot write {path} ({e.strerror or e})") from None
        self.render_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="audio-file", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        start_ns = time.monotonic_ns()
        block = 0
        while not self._stop.is_set():
            with self.render_lock:
                samples = self._render(self.block_frames)
            self._store(samples.tobytes())
            block += 1
            due_ns = start_ns + block * self.block_frames * 1_000_000_000 // self.sample_rate_hz
            wait_ns = due_ns - time.monotonic_ns()
            if wait_ns > 0:
                self._stop.wait(wait_ns / 1e9)

    def _store(self, data: bytes) -> None:
        now_ns = time.monotonic_ns()
        if self.error is not None and now_ns < self._next_try_ns:
            self.frames_lost += self.block_frames
            return
        try:
            self._wav.append(data)
        except OSError as e:
            self.frames_lost += self.block_frames
            self._next_try_ns = now_ns + int(self.retry_s * 1e9)
            if self.error is None:
                log.error("audio: cannot write %s (%s); the music goes on, writing is retried "
                          "every %.1f s", self.path, e.strerror or e, self.retry_s)
            self.error = f"audio: cannot write {self.path} ({e.strerror or e})"
            return
        if self.error is not None:
            log.info("audio: writing %s again (%.1f s of audio lost so far)", self.path,
                     self.frames_lost / self.sample_rate_hz)
            self.error = None

    def close(self) -> None:
        """Stop rendering and move the file, with everything written, into place."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._thread.join()
        try:
            self._wav.finish()
            os.chmod(self._tmp, 0o644)
            os.replace(self._tmp, self.path)
        except OSError as e:
            log.error("audio: cannot finish %s (%s); what was written is in %s", self.path,
                      e.strerror or e, self._tmp)
