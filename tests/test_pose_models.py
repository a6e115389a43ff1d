"""The committed INT8 models: manifest checks at load, and INT8-vs-FP32 drift on held-out
frames (FP32 references written by models/pose/build.py)."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict

import cv2
import numpy as np
import openvino as ov
import pytest

from dance2music.errors import ModelError
from dance2music.media.video import VideoReader
from dance2music.pose import blazepose as bp
from dance2music.pose.estimator import OpenVinoPose
from dance2music.artefacts import REPO_MODEL_DIR, sha256_of
from dance2music.pose.modelfiles import MANIFEST_NAME, compile_model, read_manifest, verified_xml
from pose_data import FIXTURES, resolve

HELD_OUT = json.loads((FIXTURES / "int8_heldout.json").read_text())


@pytest.fixture
def model_copy(tmp_path):
    target = tmp_path / "int8"
    shutil.copytree(REPO_MODEL_DIR, target)
    return target


def test_manifest_describes_every_model_file_with_source_and_licence():
    manifest = read_manifest(REPO_MODEL_DIR)
    source = manifest["source"]
    assert (source["package"], source["version"], source["licence"]) == ("mediapipe", "0.10.14", "Apache-2.0")
    licence = REPO_MODEL_DIR / source["licence_file"]
    assert "Apache License" in licence.read_text() and sha256_of(licence) == source["licence_file_sha256"]
    for name in ("detector", "landmark"):
        entry = manifest["models"][name]
        assert {f.rsplit(".", 1)[1] for f in entry["files"]} == {"xml", "bin"}
        assert entry["int8_vs_fp32"] and entry["latency_ms_1_thread"]["int8"]["median"] > 0
        verified_xml(REPO_MODEL_DIR, manifest, name)  # every committed file matches


def test_a_flipped_byte_in_a_model_file_is_a_model_error_naming_it(model_copy):
    manifest = read_manifest(model_copy)
    weights = model_copy / manifest["models"]["landmark"]["xml"].replace(".xml", ".bin")
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelError, match=f"{weights.name}: model file corrupt or replaced: sha256"):
        OpenVinoPose(model_copy)


def test_a_missing_model_file_is_a_model_error_naming_it(model_copy):
    xml = model_copy / read_manifest(model_copy)["models"]["detector"]["xml"]
    xml.unlink()
    with pytest.raises(ModelError, match=f"{xml}: model file missing"):
        OpenVinoPose(model_copy)


def test_a_missing_or_broken_manifest_is_a_model_error(model_copy):
    manifest = model_copy / MANIFEST_NAME
    manifest.write_text("{not json")
    with pytest.raises(ModelError, match="unreadable model manifest"):
        OpenVinoPose(model_copy)
    manifest.unlink()
    with pytest.raises(ModelError, match="manifest not found"):
        OpenVinoPose(model_copy)


def _frames_by_source(samples) -> dict:
    wanted = defaultdict(set)
    for s in samples:
        wanted[tuple(s["source"])].add(s["frame"])
    images = {}
    for source, frames in wanted.items():
        path = resolve(list(source))
        if source[0] == "opencv-doc":
            images[(source, 0)] = cv2.imread(str(path))
            continue
        with VideoReader(path) as video:
            for frame in video:
                if frame.index in frames:
                    images[(source, frame.index)] = frame.image
    return images


def test_int8_landmarks_stay_within_5_percent_of_body_size_of_fp32_on_held_out_frames():
    """On FP32's crop of every held-out person FP32 calls present."""
    samples = [s for s in HELD_OUT["landmark"] if s["fp32_presence"] >= 0.5]
    images = _frames_by_source(samples)
    manifest = read_manifest(REPO_MODEL_DIR)
    model = compile_model(ov.Core(), verified_xml(REPO_MODEL_DIR, manifest, "landmark"))
    drift, present = [], []
    for s in samples:
        roi = bp.Roi(*s["roi"])
        out = model(roi.crop(images[(tuple(s["source"]), s["frame"])]))
        xy = out[0].reshape(bp.NUM_LANDMARKS, 5)[:bp.SCALE_POINT + 1, :2]
        err = np.linalg.norm(xy - np.asarray(s["fp32_landmarks_crop_px"]), axis=1)
        drift.append(err.mean() / s["body_size_crop_px"])
        present.append(float(out[1].ravel()[0]) >= 0.5)
    assert len(drift) >= 50
    assert np.mean(drift) <= 0.05, f"mean INT8 drift {np.mean(drift):.3f} of body size"
    assert np.mean(present) >= 0.9  # INT8 sees the people FP32 sees


def test_int8_detector_finds_the_people_fp32_clearly_found_on_held_out_frames():
    """At least 95% of the people FP32 detects with score >= 0.65 (below that INT8 may tip a
    marginal, distant person under the 0.5 threshold), at nearly the same hip and scale points."""
    samples = HELD_OUT["detector"]
    images = _frames_by_source(samples)
    manifest = read_manifest(REPO_MODEL_DIR)
    model = compile_model(ov.Core(), verified_xml(REPO_MODEL_DIR, manifest, "detector"))
    found = total = 0
    for s in samples:
        tensor, lb = bp.letterbox(images[(tuple(s["source"]), s["frame"])])
        out = model(tensor)
        got = bp.decode_detections(out[0], out[1], lb)
        for ref in s["detections"]:
            if ref["score"] < 0.65:
                continue
            kp = np.asarray(ref["keypoints"])
            size = 2 * bp.ROI_SCALE * np.linalg.norm(kp[1] - kp[0])
            total += 1
            found += any(np.linalg.norm(d.keypoints[:2] - kp, axis=1).mean() < 0.1 * size for d in got)
    assert total >= 30 and found >= 0.95 * total


def _int8_weights(conv) -> bool:
    """Whether a convolution's weights are stored as INT8 (a dequantising chain to an i8
    constant), not as an f32 constant."""
    node = conv.input_value(1).get_node()
    while node.get_type_name() in ("Multiply", "Convert", "Subtract", "Reshape"):
        node = node.input_value(0).get_node()
    return node.get_type_name() == "Constant" and node.get_output_element_type(0) == ov.Type.i8


@pytest.mark.parametrize("name", ["detector", "landmark"])
def test_most_depthwise_convolutions_are_int8(name):
    """The build constant-folds the depthwise kernels' layout transposes so NNCF quantises
    them: unfolded, all 28 per model stayed f32 and cost a third of the inference time."""
    manifest = read_manifest(REPO_MODEL_DIR)
    model = ov.Core().read_model(str(verified_xml(REPO_MODEL_DIR, manifest, name)))
    depthwise = [n for n in model.get_ordered_ops() if n.get_type_name() == "GroupConvolution"]
    quantised = sum(map(_int8_weights, depthwise))
    assert len(depthwise) == 28 and quantised >= 0.75 * len(depthwise), (quantised, len(depthwise))
