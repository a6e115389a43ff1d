"""The live FluidSynth sink: real FluidSynth, a WAV file in place of the sound card."""

import time

import numpy as np
import pytest

from dance2music.config import AudioSettings
from dance2music.synth.fluid import AudioError
from dance2music.synth.sequencer import FluidSynthSink
from dance2music.synth.wav import read_wav

RATE = 48000


def file_sink(path):
    return FluidSynthSink(AudioSettings(driver="file", audio_file=str(path)))


def test_audio_clock_keeps_the_wall_clocks_pace(tmp_path):
    sink = file_sink(tmp_path / "out.wav")
    sink.open()
    try:
        t0, tick0 = time.monotonic(), sink.now()
        time.sleep(1.0)
        rate = (sink.now() - tick0) / (time.monotonic() - t0)
    finally:
        sink.close()
    # FluidSynth's own file driver runs 3-11 % slow; the paced output must not drift.
    assert rate == pytest.approx(RATE, rel=0.02)


def level(audio, start_s, end_s):
    seg = audio[int(start_s * RATE):int(end_s * RATE)].astype(np.float64)
    return np.sqrt(np.mean(seg ** 2))


def test_fade_out_and_shutdown_silence(tmp_path):
    sink = file_sink(tmp_path / "out.wav")
    sink.open()
    now = sink.now()
    sink.note_on(now + RATE // 10, 60, 100)  # held: only the fade ends it
    sink.fade_out(now + RATE // 2, RATE // 2)
    sink.note_on(now + int(1.3 * RATE), 60, 100)  # after the fade: as loud as before it
    time.sleep(1.9)
    sink.note_on(sink.now() + RATE, 72, 100)  # scheduled after shutdown: must never sound
    sink.close()
    sink.close()  # idempotent
    audio, _ = read_wav(tmp_path / "out.wav")
    start = now / RATE
    before, during, after = (level(audio, start + a, start + b) for a, b in
                             ((0.2, 0.5), (0.75, 0.95), (1.05, 1.25)))
    assert during < before / 2 and after < before / 50
    # The same note struck again sounds as loud as before the fade (restoring channel volume to
    # 127 instead of its default 100 made it 2 dB louder).
    assert level(audio, start + 1.4, start + 1.7) == pytest.approx(before, rel=0.05)
    rms = lambda seg: np.sqrt(np.mean(seg.astype(np.float64) ** 2))  # noqa: E731
    # Shutdown cut the sounding note within the file's last blocks (the reverb rings on).
    assert rms(audio[-256:]) < rms(audio[-6000:-2000]) / 5
    assert len(audio) < (start + 2.5) * RATE  # nothing rendered after close


def test_a_sound_card_that_does_not_open_is_an_audio_error():
    sink = FluidSynthSink(AudioSettings(driver="alsa", device="hw:CARD=NoSuchCard"))
    with pytest.raises(AudioError, match="the alsa output 'hw:CARD=NoSuchCard' did not open"):
        sink.open()
    assert not sink.is_open
    sink.close()


def test_unwritable_audio_file_is_an_audio_error(tmp_path):
    with pytest.raises(AudioError, match="cannot write .*/missing/out.wav"):
        file_sink(tmp_path / "missing" / "out.wav").open()
    assert not (tmp_path / "missing").exists()
