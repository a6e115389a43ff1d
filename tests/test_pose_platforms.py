"""Per-platform pose models: the manifest assigns each architecture its files (INT8 on x86-64,
FP16 on aarch64), the runtime picks by architecture and checks them, and the build's kernel
table describes every convolution. The arm64 run itself is tests/system/test_arm64_check.py."""

from __future__ import annotations

import json
import shutil

import cv2
import numpy as np
import pytest

from dance2music.artefacts import REPO_MODEL_DIR
from dance2music.errors import ModelError
from dance2music.pose import modelfiles
from dance2music.pose.estimator import OpenVinoPose
from dance2music.pose.modelfiles import MANIFEST_NAME, platform_models, read_manifest
from pose_data import opencv_image

MANIFEST = read_manifest(REPO_MODEL_DIR)


@pytest.mark.parametrize("arch, names, precision", [
    ("x86_64", ("detector", "landmark"), "f32"),
    ("aarch64", ("detector_fp16", "landmark_fp16"), "f16"),
])
def test_each_architecture_gets_its_models_and_precision(arch, names, precision):
    models = platform_models(REPO_MODEL_DIR, MANIFEST, arch)
    assert (models.detector, models.landmark) == names
    assert models.inference_precision == precision
    for name in names:
        assert name in MANIFEST["models"]


def test_machine_names_of_the_same_architecture_agree(monkeypatch):
    monkeypatch.setattr(modelfiles.platform, "machine", lambda: "arm64")  # macOS / some kernels
    assert modelfiles.machine_arch() == "aarch64"
    monkeypatch.setattr(modelfiles.platform, "machine", lambda: "AMD64")
    assert modelfiles.machine_arch() == "x86_64"


def test_an_architecture_without_models_is_a_model_error_naming_it():
    with pytest.raises(ModelError, match="'riscv64'.*aarch64, x86_64"):
        platform_models(REPO_MODEL_DIR, MANIFEST, "riscv64")


def test_a_manifest_without_platforms_runs_int8_everywhere():
    legacy = {k: v for k, v in MANIFEST.items() if k != "platforms"}
    models = platform_models(REPO_MODEL_DIR, legacy, "aarch64")
    assert (models.detector, models.landmark, models.inference_precision) == ("detector", "landmark", "f32")


def test_a_malformed_platform_entry_is_a_model_error():
    broken = {**MANIFEST, "platforms": {"x86_64": {"detector": "detector", "landmark": "landmark",
                                                   "inference_precision": "int4"}}}
    with pytest.raises(ModelError, match="platforms.x86_64.*inference_precision"):
        platform_models(REPO_MODEL_DIR, broken, "x86_64")


@pytest.mark.parametrize("arch", ["x86_64", "aarch64"])
def test_the_build_recorded_a_kernel_for_every_convolution(arch):
    runtime = MANIFEST["platforms"][arch].get("runtime")
    if runtime is None:
        pytest.skip(f"no {arch} kernel table recorded yet (scripts/arm64-check.sh --record)")
    for role, table in runtime["models"].items():
        assert table["convolutions"] == len(table["layers"]) == 73, role
        assert sum(table["by_precision"].values()) == 73
        assert all(" " in kernel for kernel in table["layers"].values())  # "precision kernel"


def test_the_aarch64_models_run_every_convolution_on_an_optimised_kernel():
    runtime = MANIFEST["platforms"]["aarch64"].get("runtime")
    if runtime is None:
        pytest.skip("no aarch64 kernel table recorded yet (scripts/arm64-check.sh --record)")
    for table in runtime["models"].values():
        assert not [k for k in table["layers"].values() if "ref" in k]


def test_the_aarch64_files_find_the_same_pose_as_x86s(monkeypatch):
    """The FP16 files, picked as a Pi would pick them, on a real image (this CPU computes them
    in f32: the weights are the tflite's own f16 values, so only arm64's f16 arithmetic adds
    drift, which scripts/arm64-check.sh measures)."""
    image = cv2.imread(str(opencv_image("messi5.jpg")))

    def pose():
        with OpenVinoPose(smoothing=False) as est:
            est.estimate(image, 0.0)
            return est.estimate(image, 1 / 30).keypoints

    x86 = pose()
    monkeypatch.setattr(modelfiles, "machine_arch", lambda: "aarch64")
    pi = pose()
    confident = x86[:, 2] >= 0.5
    size = np.ptp(x86[confident, :2], axis=0).max()
    assert np.linalg.norm(pi[confident, :2] - x86[confident, :2], axis=1).mean() < 0.05 * size


def test_a_corrupt_aarch64_file_is_refused_on_aarch64(tmp_path, monkeypatch):
    target = tmp_path / "int8"
    shutil.copytree(REPO_MODEL_DIR, target)
    xml = json.loads((target / MANIFEST_NAME).read_text())["models"]["landmark_fp16"]["xml"]
    bin_file = target / xml.replace(".xml", ".bin")
    data = bytearray(bin_file.read_bytes())
    data[1000] ^= 0xFF
    bin_file.write_bytes(bytes(data))
    OpenVinoPose(target).close()  # x86 does not read the aarch64 files
    monkeypatch.setattr(modelfiles, "machine_arch", lambda: "aarch64")
    with pytest.raises(ModelError, match="pose_landmark_full_fp16.bin"):
        OpenVinoPose(target)
