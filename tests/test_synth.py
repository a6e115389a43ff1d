import numpy as np
import pytest

from dance2music.config import AudioSettings
from dance2music.synth import fluid, midi, score, wav
from onsets import detect_onsets, onset_offsets_s


def melody(n=60, seed=0):
    notes = np.random.default_rng(seed).integers(0, 5, n)
    notes[0] = 2
    return notes


def test_repeated_notes_merge_and_silence_ends_notes():
    notes = np.array([2, 2, 3, 3, 3, 1, 1])
    silent = np.array([0, 0, 0, 0, 1, 0, 0], bool)
    got = score.timed_notes(notes, 6, 30, silent)
    assert [n.midi for n in got] == [64, 67, 62]
    assert [n.start_s for n in got] == pytest.approx([0.0, 0.4, 1.0])
    assert [n.end_s for n in got] == pytest.approx([0.4, 0.8, 1.4])


@pytest.mark.parametrize("rate", [48000, 44100])
def test_rendered_onsets_are_on_the_grid(rate):
    notes = score.timed_notes(melody(), 6, 30)
    settings = AudioSettings(sample_rate_hz=rate)
    audio = fluid.render(notes, settings)
    assert audio.shape[1] == 2 and 20 * np.log10(np.abs(audio).max() / 32768) > -20
    found = detect_onsets(audio, rate)
    expected = np.array([n.start_s for n in notes])
    assert len(found) == len(expected)
    assert np.max(np.abs(found - expected)) < 0.008


def test_onsets_on_a_48khz_grid_are_sample_exact():
    # FluidSynth dispatches sequencer events at 64-sample blocks; on a 0.2 s grid at 48 kHz
    # (9600 samples = 150 blocks) every note therefore starts at the same offset from its
    # grid time, and the same melody one grid step later renders the same samples, shifted
    # (up to one LSB of FluidSynth's dither, whose phase moves with the shift). Reverb off:
    # its modulated delay lines run on the synth's own clock.
    notes = score.timed_notes(melody(30, seed=4), 6, 30)
    step = 9600
    later = [score.TimedNote(n.start_s + 0.2, n.end_s + 0.2, n.midi) for n in notes]
    dry = AudioSettings(reverb=False)
    a = fluid.render(notes, dry, duration_s=7.0).astype(np.int64)
    b = fluid.render(later, dry, duration_s=7.2).astype(np.int64)
    assert np.abs(b[:step]).max() <= 2  # silence before the first note
    assert np.abs(b[step:step + len(a)] - a).max() <= 2


def render_block_by_block(notes, settings, total):
    """The notes rendered one 64-frame block (FluidSynth's own) per request."""
    synth, seq, dest = fluid.open_synth(settings)
    try:
        for n in notes:
            seq.note_off(round(n.end_s * settings.sample_rate_hz), n.channel, n.midi, dest=dest)
        for n in notes:
            seq.note_on(round(n.start_s * settings.sample_rate_hz), n.channel, n.midi, n.velocity,
                        dest=dest)
        return np.concatenate([np.asarray(synth.get_samples(64), dtype=np.int16).reshape(64, 2)
                               for _ in range(total // 64)])
    finally:
        seq.delete()
        synth.delete()


@pytest.mark.parametrize("notes", [
    # A key struck again just as its previous voice's release ends: rendered in 4,096-frame
    # requests, this differed from the live file output by up to 20 LSB for a second.
    [score.TimedNote(0.5, 1.7, 60), score.TimedNote(124_823 / 48_000, 2.9, 60)],
    score.timed_notes(melody(15, seed=2), 6, 30),
])
def test_an_offline_rendering_is_the_block_by_block_rendering(notes):
    """What the live file output plays, sample for sample: the live audit compares them."""
    settings = AudioSettings()
    total = 3 * settings.sample_rate_hz
    offline = fluid.render(notes, settings, duration_s=3.0)
    assert np.array_equal(offline, render_block_by_block(notes, settings, total))


def test_missing_soundfont_is_a_clear_error(tmp_path):
    with pytest.raises(fluid.AudioError, match="SoundFont missing"):
        fluid.render([], AudioSettings(soundfont=str(tmp_path / "none.sf2")))


def test_midi_and_wav_round_trip(tmp_path):
    notes = score.timed_notes(melody(), 6, 30)
    midi.write_midi(tmp_path / "m.mid", notes)
    back = midi.read_midi(tmp_path / "m.mid")
    assert [n.midi for n in back] == [n.midi for n in notes]
    np.testing.assert_allclose([n.start_s for n in back], [n.start_s for n in notes], atol=1e-3)
    np.testing.assert_allclose([n.end_s for n in back], [n.end_s for n in notes], atol=1e-3)
    audio = fluid.render(notes[:3])
    wav.write_wav(tmp_path / "a.wav", audio, 48000)
    samples, rate = wav.read_wav(tmp_path / "a.wav")
    assert rate == 48000
    np.testing.assert_array_equal(samples, audio)


def test_onset_offsets_measure_a_known_delay():
    notes = score.timed_notes(melody(20, seed=2), 6, 30)
    reference = fluid.render(notes, duration_s=5.0)
    delayed = np.concatenate([np.zeros((96, 2), np.int16), reference])[: len(reference)]
    times = np.array([n.start_s for n in notes])
    np.testing.assert_allclose(onset_offsets_s(delayed, reference, 48000, times), 0.002)
    np.testing.assert_allclose(onset_offsets_s(reference, reference, 48000, times), 0.0)
