"""Pose files that lie about their timing, sizes or types: each is one InputError naming the
file and the array, raised before anything large is allocated (issue 14, findings 6 and 7)."""

import json
import resource
import zipfile

import numpy as np
import pytest

from dance2music.errors import InputError, ModelError
from dance2music.pose import modelfiles, sequence

GOOD = {"keypoints": np.full((30, 18, 3), 0.5, np.float32), "fps": 30.0,
        "image_size": np.array([640, 480])}


def save(tmp_path, **changes):
    path = tmp_path / "p.npz"
    content = {k: v for k, v in {**GOOD, **changes}.items() if v is not None}
    np.savez(path, **content)
    return path


@pytest.fixture
def memory_capped():
    """Address space capped at 4 GiB more than now: an allocation of tens of GiB would fail
    with MemoryError instead of being attempted (the bug allocated 60-80 GiB)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as f:
        now = int(f.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (now + (4 << 30), hard))
    yield
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@pytest.mark.parametrize("changes, message", [
    ({"fps": 1e-6}, "fps: expected 1..240"),
    ({"fps": 1e9}, "fps: expected 1..240"),
    ({"fps": np.inf}, "fps: expected 1..240"),
    ({"fps": np.array([30.0, 25.0])}, "fps: expected 0 dimensions"),
    ({"fps": np.array("30")}, "fps: expected numbers"),
    ({"fps": np.array(True)}, "fps: expected numbers"),
    ({"fps": np.array(30 + 1j)}, "fps: expected numbers"),
    ({"image_size": np.array(640)}, "image_size: expected 1 dimensions"),
    ({"image_size": np.array([640, 480, 3])}, "image_size: "),
    ({"image_size": np.array([np.nan, 480])}, "image_size: expected \\(W, H\\)"),
    ({"image_size": np.array([10 ** 9, 480])}, "image_size: expected \\(W, H\\) in pixels"),
    ({"keypoints": np.array(["a"] * 54).reshape(1, 18, 3)}, "keypoints: expected numbers"),
    ({"keypoints": np.zeros((0, 18, 3))}, "1 <= T"),
    ({"keypoints": np.zeros((5, 18))}, "keypoints: expected 3 dimensions"),
    ({"timestamps_s": np.array([0.0, 1e7] + [2e7 + i for i in range(28)])}, "spans"),
    ({"timestamps_s": np.arange(30.0).reshape(5, 6)}, "timestamps_s: expected 1 dimensions"),
])
def test_lying_pose_files_are_refused_cheaply(tmp_path, memory_capped, changes, message):
    path = save(tmp_path, **changes)
    with pytest.raises(InputError, match=message) as e:
        sequence.load(path).resampled()
    assert str(path) in str(e.value)


def test_object_arrays_are_refused_without_unpickling(tmp_path):
    path = tmp_path / "p.npz"
    np.savez(path, **{**GOOD, "fps": np.array([{"x": 1}], dtype=object)})
    with pytest.raises(InputError, match="fps: expected numbers, got dtype object"):
        sequence.load(path)


def test_a_header_claiming_a_huge_array_is_refused_before_reading(tmp_path, memory_capped):
    path = save(tmp_path)
    header = {"descr": "<f4", "fortran_order": False, "shape": (10 ** 9, 18, 3)}
    huge = tmp_path / "huge.npz"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(huge, "w") as dst:
        for name in src.namelist():
            if name == "keypoints.npy":
                with dst.open(name, "w") as f:
                    np.lib.format.write_array_header_1_0(f, header)
                    f.write(b"\0" * 64)
            else:
                dst.writestr(name, src.read(name))
    with pytest.raises(InputError, match="keypoints: 54000000000 values"):
        sequence.load(huge)


def test_a_truncated_array_is_an_input_error(tmp_path):
    path = save(tmp_path)
    cut = tmp_path / "cut.npz"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(cut, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            dst.writestr(name, data[: len(data) // 2] if name == "keypoints.npy" else data)
    with pytest.raises(InputError, match="keypoints"):
        sequence.load(cut)


def test_an_archive_claiming_a_newer_zip_version_is_an_input_error(tmp_path):
    """Found by the fuzzer: zipfile raises NotImplementedError for such a central directory."""
    data = bytearray(save(tmp_path).read_bytes())
    entry = data.index(b"PK\x01\x02")  # the first central-directory entry
    data[entry + 6] = 64  # "version needed to extract": 6.4, newer than zipfile reads
    bad = tmp_path / "newer.npz"
    bad.write_bytes(bytes(data))
    with pytest.raises(InputError, match="zip file version 6.4"):
        sequence.load(bad)


@pytest.mark.parametrize("manifest", [[], "models", {"models": {"detector": []}},
                                      {"models": {"detector": {"xml": "d.xml", "files": []}}}])
def test_a_manifest_of_the_wrong_shape_is_a_model_error(tmp_path, manifest):
    (tmp_path / modelfiles.MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match=str(tmp_path)):
        loaded = modelfiles.read_manifest(tmp_path)
        modelfiles.verified_xml(tmp_path, loaded, "detector")
