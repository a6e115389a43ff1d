import json

import numpy as np
import pytest
from oracle import literal_dance_matrix, literal_music_matrix, pearson

from dance2music.errors import InputError, ModelError
from dance2music.music import measures
from dance2music.music.beam import BeamSearch
from dance2music.music.causal import (BaselineComposer, ConstantComposer, GreedyComposer,
                                      RandomComposer, interval_similarity, load_baseline_threshold)
from dance2music.music.registry import make_composer
from dance2music.pose import features, sequence


@pytest.fixture(scope="module")
def dance(aistpp_clips):
    seq = sequence.load(aistpp_clips[0])
    return features.paper_vectors(seq.keypoints, seq.image_size)


@pytest.mark.parametrize("d", [0, 2, 6])
def test_greedy_picks_the_best_local_correlation_over_the_frames_seen(dance, d):
    greedy = GreedyComposer(lookahead_frames=d)
    notes = greedy.compose(dance[:240])
    h = greedy.history_notes
    assert h == 15  # the window: 15 notes and the candidate
    for t in (1, 5, 20, 39):
        past = notes[max(0, t - h):t]
        seen = dance[max(0, t - h) * 6:t * 6 + d]  # d frames of the note's own interval
        held = np.concatenate([seen, np.repeat(seen[-1:], 6 - d, axis=0)])
        dm = literal_dance_matrix(held)
        scores = [pearson(dm, literal_music_matrix(np.r_[past, c], len(dm))) for c in range(5)]
        assert np.isclose(scores[notes[t]], max(scores), atol=1e-9), t


@pytest.mark.parametrize("d", [0, 1, 2, 3])
@pytest.mark.parametrize("name", ["greedy", "baseline", "random", "constant"])
def test_a_frame_after_the_lookahead_cannot_change_the_note(dance, name, d):
    composer = make_composer(name, representation="paper", lookahead_frames=d)
    notes = composer.compose(dance)
    for t in (3, 17, 40):
        changed = dance.copy()
        changed[t * 6 + d:] = np.random.default_rng(t).uniform(-1, 1, changed[t * 6 + d:].shape)
        np.testing.assert_array_equal(composer.compose(changed)[: t + 1], notes[: t + 1])


def test_greedy_uses_the_frames_it_sees(dance):
    # The lookahead is not decorative: the last frame seen changes some decisions.
    greedy = GreedyComposer(lookahead_frames=2)
    notes = greedy.compose(dance)
    changed = [t for t in range(1, len(notes)) if greedy.decide(
        np.r_[greedy.history(dance, t)[:-1], -dance[t * 6 + 1:t * 6 + 2]], notes[:t][-15:])
        != notes[t]]
    assert len(changed) >= 5


def test_the_frames_of_a_decision_end_lookahead_frames_into_its_interval(dance):
    greedy = GreedyComposer(lookahead_frames=3)
    assert greedy.frame_span(20) == (20 * 6 - 90, 20 * 6 + 3)
    assert greedy.frame_span(20, first=100) == (100, 123)  # a segment that began at frame 100
    np.testing.assert_array_equal(greedy.history(dance, 2), dance[:15])


@pytest.mark.parametrize("d", [-1, 7, 1.5])
def test_a_lookahead_outside_the_interval_is_refused(d):
    with pytest.raises(InputError, match=r"lookahead_frames: expected an integer from 0 to k=6"):
        GreedyComposer(lookahead_frames=d)


def test_baseline_holds_above_the_threshold_and_is_seedable(dance):
    sims = interval_similarity(dance, 6)
    notes = BaselineComposer(threshold=float(np.median(sims)), seed=1).compose(dance)
    # Note t follows the interval before it, [(t-1)k, tk).
    held = sims[:-1] >= np.median(sims)
    assert (notes[1:][held] == notes[:-1][held]).all()
    assert (notes[1:][~held] != notes[:-1][~held]).any()
    again = BaselineComposer(threshold=float(np.median(sims)), seed=1).compose(dance)
    other = BaselineComposer(threshold=float(np.median(sims)), seed=2).compose(dance)
    np.testing.assert_array_equal(notes, again)
    assert (notes != other).any()


def test_random_and_constant_references(dance):
    assert (ConstantComposer().compose(dance) == 2).all()
    notes = RandomComposer(seed=3).compose(dance)
    assert notes[0] == 2 and set(notes[1:]) == set(range(5))


def test_baseline_threshold_file_errors(tmp_path):
    with pytest.raises(ModelError, match="missing"):
        load_baseline_threshold(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"thresholds": {"paper": "high"}}))
    with pytest.raises(ModelError, match="thresholds.paper"):
        load_baseline_threshold(bad)
    bad.write_text(json.dumps({"thresholds": {"paper": 3.0}}))
    with pytest.raises(ModelError, match="not a cosine similarity"):
        load_baseline_threshold(bad)


def test_shipped_baseline_threshold_is_the_training_percentile():
    from models import baseline
    stored = load_baseline_threshold(baseline.REPO_MODEL_DIR / "baseline.json")
    assert stored == pytest.approx(baseline.thresholds()["paper"], abs=1e-6)


def test_global_correlation_is_plain_pearson_of_the_full_matrices(dance):
    notes = BeamSearch().compose(dance[:180])
    d = literal_dance_matrix(dance[:180])
    expected = pearson(d, literal_music_matrix(notes, len(d)))
    assert measures.global_correlation(dance[:180], notes, 6) == pytest.approx(expected, abs=1e-9)


def test_beam_beats_every_reference_on_real_dance(dance):
    score = {name: measures.global_correlation(
        dance, make_composer(name, representation="paper").compose(dance), 6)
        for name in ("beam", "greedy", "baseline", "random", "constant")}
    assert score["beam"] > score["greedy"] > score["baseline"]
    assert score["beam"] > 0.3 and abs(score["random"]) < 0.1 and score["constant"] == 0


def test_next_note_accuracy_uses_teacher_forcing(dance):
    reference = BeamSearch().compose(dance)
    assert measures.next_note_accuracy(ConstantComposer(), dance, reference) == pytest.approx(
        np.mean(reference[1:] == 2))

    class Copycat(ConstantComposer):  # repeats the forced previous note
        def decide(self, recent, notes):
            return int(notes[-1])

    expected = np.mean(reference[1:] == reference[:-1])
    assert measures.next_note_accuracy(Copycat(), dance, reference) == pytest.approx(expected)


def test_beat_align_score_rewards_onsets_on_kinematic_beats():
    t = np.arange(300) / 30
    # A body that stops every 0.4 s: kinematic beats at multiples of 0.4 s.
    position = (0.5 - 0.5 * np.cos(np.pi * t / 0.4))[:, None] * np.ones((1, 36))
    on_beat = np.tile([2, 2, 3, 3], 300 // 24)  # changes every 0.4 s at k=6, 30 fps
    off_beat = np.r_[2, on_beat][:len(on_beat)]  # the same, 0.2 s late
    assert measures.beat_align_score(position, on_beat, 6, 30) > 0.9
    assert measures.beat_align_score(position, off_beat, 6, 30) < 0.1


def test_strict_local_minima_matches_the_definition():
    rng = np.random.default_rng(0)
    for _ in range(100):
        x = rng.integers(0, 6, int(rng.integers(1, 40))).astype(float)
        order = int(rng.integers(1, 5))
        expected = [i for i in range(len(x))
                    if all(x[i] < x[j] for j in range(max(0, i - order), min(len(x), i + order + 1))
                           if j != i) and 0 < i < len(x) - 1]
        assert measures.strict_local_minima(x, order).tolist() == expected
