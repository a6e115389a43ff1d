"""The training recipe stays alive: a few steps on a tiny real set lower the loss, the run is
reproducible, and the export/quantisation path yields a model the runtime accepts."""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the recipe needs the train extra (torch==2.13.0)")

from dance2music.artefacts import sha256_of  # noqa: E402
from dance2music.music.online import OnlineClassifier  # noqa: E402
from models.classifier import data, export  # noqa: E402
from models.classifier.network import NoteClassifier, count_macs  # noqa: E402
from models.classifier.train import TrainConfig, accuracy_on, train  # noqa: E402


@pytest.fixture(scope="module")
def tiny_set(aistpp_clips):
    windows = data.augmented_windows(("ch01",), copies=1, seed=0, representation="body",
                                     lookaheads=(0, 1, 2, 3))
    return windows.subset(np.random.default_rng(0).choice(len(windows), 256, replace=False))


def test_a_few_epochs_lower_the_loss_and_repeat_exactly(tiny_set):
    # The greedy prior starts the loss low: 20 epochs to show the learned part fitting.
    cfg = TrainConfig(width=0.125, epochs=20, batch=32, lr=1e-2, threads=1)
    _, history = train(tiny_set, accuracy_on(tiny_set), cfg, log=lambda s: None)
    assert len(history) == 20
    assert history[-1]["loss"] < history[0]["loss"] - 0.1
    _, again = train(tiny_set, accuracy_on(tiny_set), cfg, log=lambda s: None)
    np.testing.assert_array_equal(np.concatenate([h["losses"] for h in history]),
                                  np.concatenate([h["losses"] for h in again]))


def test_paper_width_costs_about_057_gmac():
    assert 0.55e9 < count_macs(NoteClassifier(1.0)) < 0.6e9
    assert count_macs(NoteClassifier(0.125)) * 10 < count_macs(NoteClassifier(1.0))


def test_export_and_int8_quantisation_keep_the_decisions(tiny_set, tmp_path):
    torch.manual_seed(0)
    model = NoteClassifier(0.125, note_planes=True, greedy_prior=True).eval()
    export.export_fp32(model, tmp_path / "fp32.onnx")
    export.quantise_int8(tmp_path / "fp32.onnx", tmp_path / "int8.onnx", tiny_set)
    fp32 = OnlineClassifier(tmp_path / "fp32.onnx", sha256_of(tmp_path / "fp32.onnx"))
    int8 = OnlineClassifier(tmp_path / "int8.onnx", sha256_of(tmp_path / "int8.onnx"))
    feed = tiny_set.feed()
    with torch.no_grad():
        expected = model(*(torch.from_numpy(x) for x in feed.values()))
    got = fp32.logits(*feed.values())
    np.testing.assert_allclose(got, expected.numpy(), atol=1e-5)
    quantised = int8.logits(*feed.values())
    assert np.abs(quantised - got).max() < 0.05 * np.abs(got).max()


@pytest.mark.parametrize("d", [0, 2])
def test_the_training_priors_are_the_greedy_composers_decisions(aistpp_clips, d):
    """The windows present each decision as the live composer sees it: the prior's best note
    is the greedy composer's own choice under the same teacher forcing."""
    from dance2music.music.beam import BeamSearch
    from dance2music.music.causal import GreedyComposer
    from models import dance_data
    vectors = dance_data.clip_vectors("ch01", 0, "body")
    notes = BeamSearch().compose(vectors)
    windows = data.labelled_windows(vectors, d)
    np.testing.assert_array_equal(windows.targets, notes[1:])
    expected = GreedyComposer(lookahead_frames=d).follow(vectors, forced=notes)[1:]
    np.testing.assert_array_equal(np.argmax(windows.priors, axis=1), expected)
    assert len(set(expected)) > 1
