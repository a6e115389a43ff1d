"""The shipped online note classifier: integrity, reproducibility, causality, no torch."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from dance2music.artefacts import REPO_MODEL_DIR, load_manifest, sha256_of
from dance2music.errors import InputError, ModelError
from dance2music.music import measures
from dance2music.music.beam import BeamSearch
from dance2music.music.composer import DEFAULT_LOOKAHEAD_FRAMES
from dance2music.music.online import MANIFEST, OnlineClassifier, trained_for
from dance2music.music.online_features import decision_image, note_history, similarity_image
from dance2music.music.registry import make_composer
from dance2music.music.similarity import dance_similarity
from dance2music.pose import features, sequence


@pytest.fixture(scope="module")
def manifest():
    return load_manifest(REPO_MODEL_DIR / MANIFEST)


@pytest.fixture(scope="module")
def reference_clip(manifest, aistpp_clips):
    ref = manifest["test"]["reference_clip"]
    path = next(p for p in aistpp_clips if p.stem.endswith(ref["choreography"]))
    seq = sequence.load(path, view=ref["view"])
    representation = manifest["trained_for"]["representation"]
    return features.pose_vectors(seq.keypoints, seq.image_size, representation), ref


def test_shipped_model_reproduces_its_recorded_accuracy(reference_clip):
    vectors, ref = reference_clip
    # recorded at the shipped default d, one of those the model was trained for
    assert ref["lookahead_frames"] == DEFAULT_LOOKAHEAD_FRAMES
    assert DEFAULT_LOOKAHEAD_FRAMES in trained_for()["lookahead_frames"]
    online = make_composer("online", lookahead_frames=ref["lookahead_frames"])
    assert isinstance(online, OnlineClassifier) and online.path.name == "note_classifier.onnx"
    acc = measures.next_note_accuracy(online, vectors, BeamSearch().compose(vectors))
    assert abs(acc - ref["accuracy_int8"]) <= 0.01


def test_shipped_model_is_small_and_at_most_a_tenth_of_the_paper_network(manifest):
    arch = manifest["architecture"]
    assert arch["macs_per_decision"] * 10 <= arch["paper_network_macs"]
    for entry in manifest["files"].values():
        assert (REPO_MODEL_DIR / entry["file"]).stat().st_size < 1 << 20


@pytest.mark.parametrize("d", trained_for()["lookahead_frames"])
def test_a_frame_after_the_lookahead_cannot_change_the_note(reference_clip, d):
    vectors, _ = reference_clip
    online = OnlineClassifier.shipped(lookahead_frames=d)
    notes = online.compose(vectors)
    assert len(set(notes)) > 1  # a model stuck on one note would pass the rest trivially
    for t in (1, 4, 12, 37):
        changed = vectors.copy()
        changed[t * 6 + d:] = np.random.default_rng(t).uniform(-1, 1, changed[t * 6 + d:].shape)
        np.testing.assert_array_equal(online.compose(changed)[: t + 1], notes[: t + 1])


def test_features_align_bottom_right_and_pad_with_the_start_token():
    recent = np.random.default_rng(0).uniform(-1, 1, (7, 36))
    image = similarity_image(recent)
    assert image.shape == (1, 60, 60) and image.dtype == np.float32
    assert not image[0, :53].any() and not image[0, :, :53].any()
    np.testing.assert_allclose(np.diag(image[0])[53:], 1.0, rtol=1e-6)
    np.testing.assert_array_equal(note_history([2, 3]), [5] * 8 + [2, 3])
    np.testing.assert_array_equal(note_history(np.arange(12) % 5), (np.arange(2, 12) % 5))


def test_the_image_ends_on_the_coming_interval_with_its_last_seen_frame_held():
    recent = np.random.default_rng(1).uniform(-1, 1, (62, 36))  # 60 past frames, 2 seen
    image = decision_image(recent, lookahead_frames=2)[0]
    # 54 frames before the boundary, the 2 seen, then 4 copies of the last seen one
    np.testing.assert_allclose(image[:56, :56], dance_similarity(recent[6:]), atol=1e-6)
    held = image[55:, :]  # the last seen frame and its 4 held copies: identical rows
    np.testing.assert_allclose(held, np.repeat(held[:1], 5, axis=0), rtol=1e-6)


def test_corrupt_model_file_is_detected_by_its_checksum(tmp_path):
    shutil.copytree(REPO_MODEL_DIR, tmp_path, dirs_exist_ok=True)
    model = tmp_path / "note_classifier.onnx"
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model.write_bytes(bytes(data))
    with pytest.raises(ModelError, match=r"note_classifier\.onnx: model file corrupt or replaced"):
        OnlineClassifier.shipped(directory=tmp_path)


def test_live_composers_load_from_the_configured_model_folder(tmp_path):
    """[pose] model_dir names the folder of every model (no environment variable): the live
    composers read the classifier and the baseline's threshold from there."""
    from dance2music.config import Config
    from dance2music.live.appliance import composer_factory

    shutil.copytree(REPO_MODEL_DIR, tmp_path, dirs_exist_ok=True)
    composer_for = composer_factory(Config().with_overrides(pose={"model_dir": str(tmp_path)}))
    assert composer_for("online").path == tmp_path / "note_classifier.onnx"
    composer_for("baseline")
    (tmp_path / "baseline.json").unlink()
    (tmp_path / "note_classifier.onnx").unlink()
    with pytest.raises(ModelError, match=str(tmp_path)):
        composer_for("online")
    with pytest.raises((ModelError, InputError), match="baseline.json"):
        composer_for("baseline")


def _tiny_model(path, image_side):
    """A valid ONNX model with the classifier's interface but an image of another size."""
    onnx = pytest.importorskip("onnx", reason="building test models needs the train extra")
    from onnx import TensorProto, helper
    graph = helper.make_graph(
        [helper.make_node("ReduceMean", ["image"], ["pooled"], axes=[2, 3], keepdims=0),
         helper.make_node("Cast", ["history"], ["notes"], to=TensorProto.FLOAT),
         helper.make_node("Concat", ["pooled", "notes"], ["joined"], axis=1),
         helper.make_node("Slice", ["joined", "starts", "ends", "axes"], ["logits"])],
        "tiny",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 1, image_side, image_side]),
         helper.make_tensor_value_info("history", TensorProto.INT64, ["batch", 10]),
         helper.make_tensor_value_info("lookahead", TensorProto.INT64, ["batch", 1]),
         helper.make_tensor_value_info("prior", TensorProto.FLOAT, ["batch", 5])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 5])],
        [helper.make_tensor("starts", TensorProto.INT64, [1], [0]),
         helper.make_tensor("ends", TensorProto.INT64, [1], [5]),
         helper.make_tensor("axes", TensorProto.INT64, [1], [1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def test_wrong_input_shape_names_the_file_and_both_shapes(tmp_path):
    path = _tiny_model(tmp_path / "small_image.onnx", 30)
    with pytest.raises(ModelError) as err:
        OnlineClassifier(path, sha256_of(path))
    message = str(err.value)
    assert "small_image.onnx" in message and "(batch, 1, 60, 60)" in message
    assert "'batch', 1, 30, 30" in message


def test_tiny_model_with_the_right_interface_runs(tmp_path):
    # The same builder with the right shape loads and decides: the error above is the shape's.
    path = _tiny_model(tmp_path / "right.onnx", 60)
    notes = OnlineClassifier(path, sha256_of(path)).compose(np.ones((60, 36)))
    assert len(notes) == 10


def test_other_k_is_refused():
    with pytest.raises(InputError, match="k=6"):
        OnlineClassifier.shipped(k=5)


def test_the_device_path_never_imports_torch(reference_clip):
    code = ("import sys, numpy as np\n"
            "from dance2music.music.registry import make_composer\n"
            "dance = np.random.default_rng(0).uniform(-1, 1, (120, 36))\n"
            "make_composer('online', lookahead_frames=2).compose(dance)\n"
            "assert 'torch' not in sys.modules, 'torch imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_compose_and_eval_commands_offer_the_online_composer(tmp_path, capsys, aistpp_clips):
    from conftest import DEMO_POSES

    from dance2music.cli import main
    out = tmp_path / "online.json"
    assert main(["compose", str(DEMO_POSES), "--composer", "online", "-o", str(out)]) == 0
    composed = json.loads(out.read_text())
    assert composed["composer"] == "online" and len(composed["notes"]) == 60
    capsys.readouterr()
    assert main(["eval", str(aistpp_clips[0]), "--composers", "online,greedy", "--json"]) == 0
    table = json.loads(capsys.readouterr().out)
    assert 0.2 < table["online"]["next_note_acc"] <= 1


def test_online_refuses_a_representation_or_lookahead_it_was_not_trained_for(manifest):
    made_for = manifest["trained_for"]
    other = "paper" if made_for["representation"] == "body" else "body"
    trained = made_for["representation"]
    with pytest.raises(InputError, match=f"representation: .*trained on '{trained}' pose vectors, "
                                         f"got '{other}'"):
        make_composer("online", representation=other)
    untrained = max(made_for["lookahead_frames"]) + 1
    with pytest.raises(InputError, match=rf"lookahead_frames: .*trained for .*got {untrained}"):
        make_composer("online", lookahead_frames=untrained)


def test_a_manifest_without_the_variant_is_a_model_error(tmp_path):
    (tmp_path / MANIFEST).write_text(json.dumps({"files": {"fp32": {"file": "x.onnx"}}}))
    with pytest.raises(ModelError, match=r"no files\.int8\.file/sha256 entry"):
        OnlineClassifier.shipped(directory=tmp_path)
    with pytest.raises(ModelError, match=r"manifest not found"):
        OnlineClassifier.shipped(directory=tmp_path / "nowhere")
