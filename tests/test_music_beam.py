import numpy as np
import pytest
from oracle import literal_beam_search, literal_dance_matrix, literal_music_matrix, pearson

from dance2music.errors import InputError
from dance2music.music.beam import BeamSearch
from dance2music.music.similarity import DanceNotes
from dance2music.pose import features, sequence


def random_dance(rng, frames):
    """Random poses with the degenerate cases real dance has: held poses, repeated poses,
    missing joints and whole missing frames."""
    v = rng.uniform(-1, 1, (frames, 36))
    kind = rng.integers(4)
    if kind == 1:  # a few distinct poses, repeated: ties everywhere
        v = rng.uniform(-1, 1, (3, 36))[rng.integers(3, size=frames)]
    elif kind == 2:  # missing joints and frames
        v[rng.random(v.shape) < 0.2] = -1.0
        v[rng.random(frames) < 0.1] = -1.0
    elif kind == 3:  # smooth motion
        v = np.cumsum(rng.normal(0, 0.05, (frames, 36)), axis=0).clip(-1, 1)
    return v


def test_window_correlation_equals_plain_pearson():
    rng = np.random.default_rng(7)
    for w in (1, 2, 5, 10):
        v = rng.uniform(-1, 1, (w * 6, 36))
        notes = rng.integers(0, 5, (20, w))
        fast = DanceNotes(v, 6).window(0, w).correlations(notes)
        d = literal_dance_matrix(v)
        slow = [pearson(d, literal_music_matrix(n, len(d))) for n in notes]
        np.testing.assert_allclose(fast, slow, atol=1e-12)


@pytest.mark.parametrize("seed", range(50))
def test_fast_beam_search_equals_literal_on_random_dances(seed):
    rng = np.random.default_rng(seed)
    frames = int(rng.integers(12, 150))
    k = int(rng.choice([2, 3, 6]))
    beam_width = int(rng.choice([1, 3, 50]))
    window = int(rng.choice([1, 4, 10]))
    v = random_dance(rng, frames)
    fast = BeamSearch(k=k, beam_width=beam_width, window=window).compose(v)
    slow = literal_beam_search(v, k=k, beam_width=beam_width, window=window)
    np.testing.assert_array_equal(fast, slow)


@pytest.mark.parametrize("seed", range(20))
def test_extending_a_given_history_equals_the_literal_search_from_it(seed):
    rng = np.random.default_rng(100 + seed)
    k = int(rng.choice([2, 6]))
    v = random_dance(rng, int(rng.integers(4 * k, 150)))
    total = len(v) // k
    prefix = rng.integers(0, 5, int(rng.integers(1, total)))
    notes = int(rng.integers(len(prefix), total + 1))
    window = int(rng.choice([1, 4, 16]))
    fast = BeamSearch(k=k, window=window).extend(v, prefix, notes)
    slow = literal_beam_search(v, k=k, window=window, prefix=prefix, notes=notes)
    np.testing.assert_array_equal(fast, slow)
    np.testing.assert_array_equal(fast[:len(prefix)], prefix)


def test_extend_refuses_an_empty_or_too_long_history():
    v = np.random.default_rng(0).uniform(-1, 1, (60, 36))
    for prefix in ([], [2] * 11):
        with pytest.raises(InputError, match=rf"prefix: expected 1 to 10 notes, got {len(prefix)}"):
            BeamSearch().extend(v, prefix)


def test_fast_beam_search_equals_literal_on_real_dance(aistpp_clips):
    for clip in aistpp_clips:
        seq = sequence.load(clip)
        v = features.paper_vectors(seq.keypoints, seq.image_size)
        np.testing.assert_array_equal(BeamSearch().compose(v), literal_beam_search(v),
                                      err_msg=str(clip))


def test_starts_on_e4_and_gives_one_note_per_k_frames():
    v = np.random.default_rng(0).uniform(-1, 1, (100, 36))
    notes = BeamSearch(k=6).compose(v)
    assert len(notes) == 100 // 6 and notes[0] == 2
    assert set(notes) <= set(range(5))


def test_identical_poses_get_identical_notes():
    rng = np.random.default_rng(3)
    poses = rng.uniform(-1, 1, (4, 36))
    order = [0, 1, 2, 0, 3, 1, 0, 2, 3, 0, 1, 2]  # each note interval holds one pose
    v = np.repeat(poses[order], 6, axis=0)
    notes = BeamSearch().compose(v)
    for a in range(1, len(order)):  # note 0 is E4 whatever the pose
        for b in range(1, len(order)):
            if order[a] == order[b]:
                assert notes[a] == notes[b], (a, b, notes)


def test_affinity_sign_repeats_the_note_of_a_repeated_pose():
    # A dance alternating two very different poses: the music must alternate too, and every
    # return of a pose must bring back its note (the distance formula would do the opposite).
    a, b = np.full(36, 0.9), np.tile([0.9, -0.9], 18)
    v = np.repeat(np.array([a, b] * 6), 6, axis=0)
    notes = BeamSearch().compose(v)
    assert len(set(notes[0::2])) == 1 and len(set(notes[1::2])) == 1
    assert notes[0] != notes[1]


@pytest.mark.parametrize("kwargs, message", [
    ({"beam_width": 0}, "beam_width"), ({"window": 0}, "window"), ({"first_note": 7}, "first_note"),
])
def test_bad_parameters_are_named(kwargs, message):
    with pytest.raises(InputError, match=message):
        BeamSearch(**kwargs)


@pytest.mark.parametrize("vectors, k, message", [
    (np.zeros((100, 36)), 0, "k: expected an integer >= 1"),
    (np.zeros((5, 36)), 6, "too short"),
    (np.zeros((0, 36)), 6, "too short"),
    (np.zeros((100,)), 6, "expected shape"),
    (np.full((100, 36), np.nan), 6, "NaN"),
])
def test_bad_dances_are_named(vectors, k, message):
    with pytest.raises(InputError, match=message):
        BeamSearch(k=k).compose(vectors)
