"""Sound worlds, dynamics and accompaniment: what the arrangement does to the composers' notes."""

import numpy as np
import pytest
from conftest import DEMO_POSES

from dance2music.composition import compose_sequence
from dance2music.music.scale import MIDI_NOTES, NUM_NOTES
from dance2music.pose import sequence
from dance2music.sound import movement
from dance2music.sound.accompaniment import chord_candidates, clashes
from dance2music.sound.arrangement import Arranger, arrange
from dance2music.sound.dynamics import Dynamics
from dance2music.sound.movement import IntervalMotion
from dance2music.sound.performance import SoundOptions, perform
from dance2music.sound.worlds import LAYER_CHANNELS, MELODY_CHANNEL, WORLDS, get_world
from dance2music.errors import InputError


@pytest.fixture(scope="module")
def demo():
    return compose_sequence(sequence.load(DEMO_POSES), "greedy")


def melody_clashes(notes):
    """Accompaniment notes sounding a semitone (in any octave) from a melody note at its onset."""
    melody = [n for n in notes if n.channel == MELODY_CHANNEL]
    others = [n for n in notes if n.channel not in (MELODY_CHANNEL, *LAYER_CHANNELS)]
    return [(m, o) for m in melody for o in others
            if o.start_s <= m.start_s + 1e-9 and o.end_s > m.start_s + 1e-9
            and clashes(m.midi, o.midi)]


def test_world_table_is_consistent():
    assert len(WORLDS) >= 5
    assert len({w.melody_steps + (w.program,) for w in WORLDS.values()}) == len(WORLDS)
    for w in WORLDS.values():
        assert len(w.melody_steps) == NUM_NOTES and list(w.melody_steps) == sorted(w.melody_steps)
        assert {s % 12 for s in w.melody_steps} <= set(w.scale)
        assert len(w.layers) <= len(LAYER_CHANNELS)
        assert all(0 <= p < 128 for p in w.channel_programs.values())
        assert chord_candidates(w), w.name
    assert [WORLDS["piano"].melody_midi(i) for i in range(NUM_NOTES)] == list(MIDI_NOTES)
    with pytest.raises(InputError, match="world: expected one of piano"):
        get_world("disco")


@pytest.mark.parametrize("name", list(WORLDS))
def test_world_never_changes_the_composers_notes(demo, name):
    world = WORLDS[name]
    perf = perform(demo.notes, demo.silent, demo.vectors, demo.k, demo.fps, SoundOptions(name))
    melody = perf.melody()
    index_of = {world.melody_midi(i): i for i in range(NUM_NOTES)}
    step_s = demo.k / demo.fps
    # Every step's note index comes back from the melody channel, unchanged.
    back = np.full(len(demo.notes), -1)
    for n in melody:
        first, last = round(n.start_s / step_s), round(n.end_s / step_s)
        back[first:last] = index_of[n.midi]
    np.testing.assert_array_equal(back[~demo.silent], demo.notes[~demo.silent])
    assert melody_clashes(perf.notes) == []


def test_dynamics_follow_movement_energy():
    dyn = Dynamics()
    rng = np.random.default_rng(0)
    energies = np.r_[np.full(25, 0.005), rng.uniform(0.05, 1.5, 100), np.full(25, 0.005)]
    vel = np.array([dyn.velocity(IntervalMotion(e, False, 0.0)) for e in energies])
    assert vel[10:25].max() <= 35  # stillness is soft
    assert vel.max() - vel.min() >= 40
    assert np.corrcoef(vel[25:125], np.log(energies[25:125]))[0, 1] > 0.6
    accented = Dynamics()
    plain = Dynamics()
    a = [accented.velocity(IntervalMotion(0.3, True, 0.0)) for _ in range(5)]
    p = [plain.velocity(IntervalMotion(0.3, False, 0.0)) for _ in range(5)]
    assert all(x > y for x, y in zip(a, p))


def test_dynamics_range_on_a_real_dance_with_stillness(demo):
    """The demo dance with 4 s of held pose (a dancer standing still) in its middle."""
    v = demo.vectors
    still = np.repeat(v[180:181], 120, axis=0) + np.random.default_rng(1).normal(0, 1e-4, (120, 36))
    vectors = np.concatenate([v[:180], still, v[180:]])
    motions = movement.dance_motion(vectors, 6, 30.0)
    dyn = Dynamics()
    vel = np.array([dyn.velocity(m) for m in motions])
    assert vel.max() - vel.min() >= 40
    assert vel[32:50].max() < vel[:30].mean()  # the still stretch (steps 30-49) is softer


def test_kinematic_beats_are_speed_minima_known_causally():
    t = np.arange(90)
    speed_profile = np.abs(np.sin(np.pi * t / 15))  # stops every 15 frames
    xy = np.cumsum(speed_profile)[:, None] * 0.01
    vectors = np.tile(np.c_[xy, xy * 0], (1, 18)) * 0.1
    beats = movement.beat_frames(movement.joint_speeds(vectors, 30.0))
    assert set(beats) <= {15, 16, 30, 31, 45, 46, 60, 61, 75, 76} and len(beats) >= 4
    # The interval only knows a beat once BEAT_DELAY_FRAMES later frames exist.
    prefix_only = movement.interval_motion(vectors[:33], 30, 33, 30.0)
    whole = movement.interval_motion(vectors, 30, 36, 30.0)
    assert prefix_only == movement.interval_motion(vectors[:33], 30, 33, 30.0)
    assert whole.beat


def test_accompaniment_follows_body_height_and_avoids_clashes():
    world = WORLDS["koto"]  # in-sen has semitones: clashes are possible
    arranger = Arranger(world, chord_every_notes=4)
    rng = np.random.default_rng(3)
    chords_by_height = {}
    for i in range(400):
        height = -0.8 if (i // 40) % 2 == 0 else 0.6
        events = arranger.step(i, int(rng.integers(0, 5)), IntervalMotion(0.2, False, height))
        chord = sorted(e.midi for e in events if e.is_on and e.channel == 5)
        if i % 4 == 0 and i >= 80:
            chords_by_height.setdefault(height, []).append(np.mean(chord) if chord else None)
    low, high = (np.nanmean([c for c in chords_by_height[h] if c is not None])
                 for h in (-0.8, 0.6))
    assert high > low  # standing tall picks higher chords


def test_accompaniment_is_optional_and_silent_steps_silence_everything(demo):
    alone = perform(demo.notes, demo.silent, demo.vectors, demo.k, demo.fps,
                    SoundOptions("piano", accompaniment=False))
    assert {n.channel for n in alone.notes} == {MELODY_CHANNEL}
    silent = np.zeros(len(demo.notes), bool)
    silent[20:30] = True
    full = arrange(demo.notes, silent, demo.vectors, demo.k, demo.fps, Arranger(WORLDS["dream"]))
    step_s = demo.k / demo.fps
    assert not [n for n in full if n.start_s < 30 * step_s - 1e-9 and n.end_s > 20 * step_s + 1e-9]
    assert {n.channel for n in full} == {0, 2, 3, 4, 5}
