"""The sound worlds checked from their audio, loudness normalisation and the MIDI tempo map."""

import mido
import numpy as np
import pytest
from audio_oracle import pitch_class_at, timbre
from conftest import DEMO_POSES

from dance2music.composition import compose_sequence
from dance2music.errors import InputError
from dance2music.pose import sequence
from dance2music.sound.performance import SoundOptions, perform, render_performance
from dance2music.sound.worlds import LAYER_CHANNELS, MELODY_CHANNEL, WORLDS
from dance2music.synth import fluid, loudness, midi
from dance2music.synth.score import TimedNote

RATE = 48000


@pytest.fixture(scope="module")
def demo():
    return compose_sequence(sequence.load(DEMO_POSES), "greedy")


def isolated(world, notes):
    """The given melody notes one at a time, 0.4 s apart, at the same pitches, played by
    `world`'s melody voices (its instrument and layers)."""
    out = []
    for j, n in enumerate(notes):
        out.append(TimedNote(0.4 * j, 0.4 * j + 0.3, n.midi, n.velocity, MELODY_CHANNEL))
        out += [TimedNote(0.4 * j, 0.4 * j + 0.3, n.midi + 12 * layer.octave,
                          max(1, round(n.velocity * layer.velocity_scale)), channel)
                for channel, layer in zip(LAYER_CHANNELS, world.layers)]
    return fluid.render(out, programs=world.channel_programs, duration_s=0.4 * len(notes) + 0.5)


@pytest.mark.parametrize("name", list(WORLDS))
def test_each_world_sounds_its_scale_and_instrument(demo, name):
    world = WORLDS[name]
    perf = perform(demo.notes, demo.silent, demo.vectors, demo.k, demo.fps,
                   SoundOptions(name, accompaniment=False))
    audio = render_performance(perf)
    melody = [n for n in perf.melody() if n.end_s - n.start_s >= 0.2]
    heard = [pitch_class_at(audio, RATE, n.start_s) for n in melody]
    expected = [n.midi % 12 for n in melody]
    scale = {(world.root_midi + s) % 12 for s in world.scale}
    assert np.mean(np.equal(heard, expected)) >= 0.85, (heard, expected)
    assert np.mean([h in scale for h in heard]) >= 0.9
    # The instrument: the harmonic fingerprint of its notes is nearest to the same notes
    # played alone by this world's voices, not by any other world's.
    probe = melody[:10]
    own = [timbre(audio, RATE, n.start_s, n.midi) for n in probe]
    distance = {}
    for other in WORLDS.values():
        ref = isolated(other, probe)
        distance[other.name] = np.mean([np.abs(t - timbre(ref, RATE, 0.4 * j, n.midi)).mean()
                                        for j, (t, n) in enumerate(zip(own, probe))])
    assert min(distance, key=distance.get) == name, distance


@pytest.mark.parametrize("name", ["piano", "dream"])
def test_rendering_meets_the_loudness_target(demo, name):
    audio = render_performance(demo.performed(SoundOptions(name)))
    assert loudness.integrated_lufs(audio, RATE) == pytest.approx(loudness.TARGET_LUFS, abs=0.5)
    assert loudness.true_peak_dbtp(audio) <= loudness.CEILING_DBTP


def test_limiter_holds_the_true_peak_on_a_hot_signal():
    rng = np.random.default_rng(0)
    t = np.arange(RATE * 2) / RATE
    x = 0.2 * np.sin(2 * np.pi * 220 * t)
    x[RATE // 2:RATE // 2 + 200] += rng.uniform(-3, 3, 200)  # a burst far over full scale
    x = np.stack([x, x], axis=1)
    out = loudness.limit(x, RATE)
    assert loudness.true_peak_dbtp(out) <= loudness.CEILING_DBTP
    far = slice(RATE, RATE + 1000)  # away from the burst the signal is untouched
    np.testing.assert_allclose(out[far], x[far])
    quiet = loudness.normalise(np.zeros((RATE, 2)), RATE)
    assert not quiet.any()


def test_midi_notes_land_on_eighths_at_150_bpm(tmp_path, demo):
    perf = demo.performed(SoundOptions("mallets"))
    path = tmp_path / "m.mid"
    midi.write_midi(path, perf.notes, perf.programs, midi.TempoMap.for_step(0.2))
    song = mido.MidiFile(path)
    assert song.type == 1 and song.ticks_per_beat == midi.TICKS_PER_BEAT
    tempos = [m.tempo for m in song.tracks[0] if m.type == "set_tempo"]
    assert [round(mido.tempo2bpm(t), 6) for t in tempos] == [150.0]
    for track in song.tracks[1:]:
        now = 0
        for msg in track:
            now += msg.time
            if msg.type == "note_on":
                assert now % (midi.TICKS_PER_BEAT // 2) == 0  # on an eighth
    assert midi.programs_of(path) == perf.programs
    back = midi.read_midi(path)
    assert [(n.midi, n.channel, n.velocity) for n in back] == [
        (n.midi, n.channel, n.velocity) for n in perf.notes]
    np.testing.assert_allclose([n.start_s for n in back], [n.start_s for n in perf.notes],
                               atol=1e-6)
    assert {n.channel for n in back} >= {MELODY_CHANNEL, 2, 4, 5}


def test_variable_tempo_map():
    tempo = midi.TempoMap(((0.0, 120.0), (2.0, 60.0)))
    assert tempo.beats(2.0) == pytest.approx(4.0)
    assert tempo.beats(3.0) == pytest.approx(5.0)
    assert tempo.tick(1.0) == 2 * midi.TICKS_PER_BEAT
    for bad in [((1.0, 120.0),), ((0.0, 120.0), (0.0, 90.0)), ((0.0, 0.0),)]:
        with pytest.raises(InputError, match="tempo map"):
            midi.TempoMap(bad)
