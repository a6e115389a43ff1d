"""The training recipe stays alive: a few steps on a tiny real set lower the loss, the run is
reproducible, and the export/quantisation path yields a model the runtime accepts."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the recipe needs the train extra (torch==2.13.0)")

from dance2music.artefacts import sha256_of  # noqa: E402
from dance2music.music.online import OnlineClassifier  # noqa: E402
from models.classifier import data, export  # noqa: E402
from models.classifier.network import NoteClassifier, count_macs  # noqa: E402
from models.classifier.train import TrainConfig, train  # noqa: E402


@pytest.fixture(scope="module")
def tiny_set(aistpp_clips):
    windows = data.augmented_windows(("ch01",), copies=1, seed=0, representation="body",
                                     lookaheads=(0, 1, 2, 3))
    return windows.subset(np.random.default_rng(0).choice(len(windows), 256, replace=False))


def test_a_few_epochs_lower_the_loss_and_repeat_exactly(tiny_set):
    # The greedy prior starts the loss low: 20 epochs to show the learned part fitting.
    cfg = TrainConfig(width=0.125, epochs=20, batch=32, lr=1e-2, threads=1)
    _, history = train(tiny_set, tiny_set, cfg, log=lambda s: None)
    assert len(history) == 20
    assert history[-1]["loss"] < history[0]["loss"] - 0.1
    _, again = train(tiny_set, tiny_set, cfg, log=lambda s: None)
    np.testing.assert_array_equal(np.concatenate([h["losses"] for h in history]),
                                  np.concatenate([h["losses"] for h in again]))


def test_paper_width_costs_about_057_gmac():
    assert 0.55e9 < count_macs(NoteClassifier(1.0)) < 0.6e9
    assert count_macs(NoteClassifier(0.125)) * 10 < count_macs(NoteClassifier(1.0))


def test_export_and_int8_quantisation_keep_the_decisions(tiny_set, tmp_path):
    torch.manual_seed(0)
    model = NoteClassifier(0.125).eval()
    export.export_fp32(model, tmp_path / "fp32.onnx")
    export.quantise_int8(tmp_path / "fp32.onnx", tmp_path / "int8.onnx", tiny_set)
    fp32 = OnlineClassifier(tmp_path / "fp32.onnx", sha256_of(tmp_path / "fp32.onnx"))
    int8 = OnlineClassifier(tmp_path / "int8.onnx", sha256_of(tmp_path / "int8.onnx"))
    with torch.no_grad():
        expected = model(torch.from_numpy(tiny_set.images), torch.from_numpy(tiny_set.histories),
                         torch.from_numpy(tiny_set.lookaheads))
    got = fp32.logits(tiny_set.images, tiny_set.histories, tiny_set.lookaheads)
    np.testing.assert_allclose(got, expected.numpy(), atol=1e-5)
    quantised = int8.logits(tiny_set.images, tiny_set.histories, tiny_set.lookaheads)
    assert np.abs(quantised - got).max() < 0.05 * np.abs(got).max()


@pytest.mark.parametrize("d", [0, 2])
def test_the_graphs_greedy_scores_are_the_greedy_composers_criterion(aistpp_clips, d):
    from dance2music.music.beam import BeamSearch
    from dance2music.music.causal import GreedyComposer
    from dance2music.music.composer import with_coming_interval
    from models import dance_data
    from models.classifier.network import GreedyScores
    vectors = dance_data.clip_vectors("ch01", 0, "body")
    notes = BeamSearch().compose(vectors)
    windows = data.labelled_windows(vectors, d)
    with torch.no_grad():
        scores = GreedyScores()(torch.from_numpy(windows.images),
                                torch.from_numpy(windows.histories)).numpy()
    greedy = GreedyComposer(lookahead_frames=d)
    for t in (1, 2, 9, 10, 30, len(notes) - 1):
        filled = with_coming_interval(greedy.history(vectors, t), d, 6)
        expected = greedy.window_correlations(filled[:-6], filled[-6:], notes[max(0, t - 9):t])
        # float32 image against the search's exact (2^-16-quantised) arithmetic
        np.testing.assert_allclose(scores[t - 1], expected, atol=2e-3)
