"""A sound card stand-in: renders the synth to a WAV file at exactly the wall clock's pace.

FluidSynth's own 'file' driver sleeps a period after each render, so it runs 3-11 % slower
than real time (measured here for 2048- to 128-frame periods) and its sample clock drifts away
from the camera's. This thread renders each block at an absolute monotonic deadline instead:
the sequencer's clock (samples rendered) then keeps the wall clock's pace, as a sound card's
does, and the loop takes the same timing path. The file appears complete at close.

Rendering holds `render_lock`: whoever holds it sees the sample clock stand still, so an event
sent for a later tick while holding it cannot have been passed by the render."""

from __future__ import annotations

import contextlib
import threading
import time
import wave
from pathlib import Path

import numpy as np

from dance2music.files import atomic_path
from dance2music.synth.fluid import AudioError


class PacedFileOutput:
    def __init__(self, synth, path: Path, sample_rate_hz: int, block_frames: int = 512):
        self._synth = synth
        self.block_frames = block_frames
        self.sample_rate_hz = sample_rate_hz
        self._files = contextlib.ExitStack()
        try:
            tmp = self._files.enter_context(atomic_path(path))
            self._wav = self._files.enter_context(wave.open(str(tmp), "wb"))
        except OSError as e:
            self._files.close()
            raise AudioError(f"audio: cannot write {path} ({e.strerror or e})") from None
        self._wav.setnchannels(2)
        self._wav.setsampwidth(2)
        self._wav.setframerate(sample_rate_hz)
        self.render_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="audio-file", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        start_ns = time.monotonic_ns()
        block = 0
        while not self._stop.is_set():
            with self.render_lock:
                samples = np.asarray(self._synth.get_samples(self.block_frames), dtype=np.int16)
            self._wav.writeframesraw(samples.tobytes())
            block += 1
            due_ns = start_ns + block * self.block_frames * 1_000_000_000 // self.sample_rate_hz
            wait_ns = due_ns - time.monotonic_ns()
            if wait_ns > 0:
                self._stop.wait(wait_ns / 1e9)

    def close(self) -> None:
        """Stop rendering and move the complete file into place."""
        self._stop.set()
        self._thread.join()
        self._files.close()
