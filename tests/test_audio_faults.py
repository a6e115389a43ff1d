"""The live file output on a disk that fills up: the music (and the loop's clock) goes on, the
fault is reported and writing retried, and the WAV written so far is kept (issue 14, 5)."""

import os
import time

import numpy as np
import pytest
from fault_fixtures import tmpfs

from dance2music.synth.paced import PacedFileOutput
from dance2music.synth.wav import WavStream, read_wav

RATE_HZ = 48000


class ToneSynth:
    """Renders a steady tone and counts the frames asked for (the sequencer's clock)."""

    def __init__(self):
        self.frames = 0

    def get_samples(self, frames: int) -> np.ndarray:
        t = (self.frames + np.arange(frames)) / RATE_HZ
        self.frames += frames
        tone = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
        return np.repeat(tone, 2)  # interleaved stereo, as FluidSynth's get_samples


def wait_for(predicate, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.02)
    return predicate()


def test_a_full_disk_keeps_the_music_going_and_the_wav(tmp_path):
    with tmpfs(tmp_path, "512k") as disk:
        filler = disk / "filler"
        filler.write_bytes(b"\0" * 300_000)
        synth = ToneSynth()
        out = PacedFileOutput(synth, disk / "live.wav", RATE_HZ, retry_s=0.2)
        try:
            assert wait_for(lambda: out.error is not None, 5.0)  # ~1 s of audio fills it
            assert "No space left on device" in out.error
            frames = synth.frames
            time.sleep(0.5)
            assert synth.frames - frames > 0.3 * RATE_HZ  # the clock keeps the wall's pace
            filler.unlink()  # space again: writing resumes at the next retry
            assert wait_for(lambda: out.error is None, 3.0)
        finally:
            out.close()
        audio, rate = read_wav(disk / "live.wav")
        assert rate == RATE_HZ and audio.shape[1] == 2
        assert len(audio) > 0.5 * RATE_HZ and out.frames_lost > 0
        assert np.abs(audio[:, 0]).max() > 7000  # real samples, not a zeroed file
        assert sorted(os.listdir(disk)) == ["live.wav"]  # no temporary left


def test_a_stream_cut_by_a_full_disk_stays_a_valid_wav(tmp_path):
    with tmpfs(tmp_path, "64k") as disk:
        wav = WavStream(disk / "s.wav", RATE_HZ)
        block = np.full(4096, 1000, np.int16).tobytes()
        with pytest.raises(OSError):
            for _ in range(100):
                wav.append(block)
        kept = wav.data_bytes
        wav.finish()
        audio, _ = read_wav(disk / "s.wav")
        assert audio.size * 2 == kept > 0
        assert os.path.getsize(disk / "s.wav") == WavStream.HEADER_BYTES + kept


def test_the_loop_reports_an_output_that_cannot_keep_what_it_plays():
    from conftest import DEMO_POSES

    from dance2music.music.causal import GreedyComposer
    from dance2music.testing import FakeRig

    rig = FakeRig(DEMO_POSES, lambda name: GreedyComposer(), absent_s=60).start()
    rig.run_for(1.0)
    assert rig.stats.read().components["audio"].ok
    rig.sink.output_error = "audio: cannot write /x/live.wav (No space left on device)"
    before = len(rig.notes())
    rig.run_for(1.0)
    audio = rig.stats.read().components["audio"]
    assert not audio.ok and "No space left on device" in audio.error
    assert len(rig.notes()) > before and rig.sink.opens == 1  # plays on, not reopened
    rig.sink.output_error = None
    rig.run_for(0.1)
    assert rig.stats.read().components["audio"].ok
