import numpy as np
import pytest

from dance2music.errors import InputError
from dance2music.pose import features, sequence
from dance2music.pose.skeleton import MIRROR, coco17_to_coco18


def make_seq(frames=10, fps=30.0, size=(640, 480), ts=None):
    rng = np.random.default_rng(0)
    kp = np.zeros((frames, 18, 3), np.float32)
    kp[..., 0] = rng.uniform(0, size[0], (frames, 18))
    kp[..., 1] = rng.uniform(0, size[1], (frames, 18))
    kp[..., 2] = 0.9
    return sequence.PoseSequence(kp, fps, size, ts)


def test_save_load_round_trip(tmp_path):
    seq = make_seq(ts=np.arange(10) / 25.0 + 3.0)
    sequence.save(seq, tmp_path / "p.npz")
    back = sequence.load(tmp_path / "p.npz")
    np.testing.assert_array_equal(back.keypoints, seq.keypoints)
    assert back.fps == 30.0 and back.image_size == (640, 480)
    np.testing.assert_allclose(back.timestamps_s, seq.timestamps_s)


def test_aistpp_loader_maps_coco17_and_halves_the_frame_rate(aistpp_clips):
    raw = np.load(aistpp_clips[0])["keypoints2d"][0]
    seq = sequence.load(aistpp_clips[0])
    assert seq.fps == 30 and len(seq) == 360 and seq.image_size == (1920, 1080)
    # Frame t at 30 fps is frame 2t at 60 fps; COCO-18 r-shoulder is COCO-17 joint 6.
    np.testing.assert_array_equal(seq.keypoints[5, 2], raw[10, 6])
    np.testing.assert_allclose(seq.keypoints[5, 1, :2], (raw[10, 5, :2] + raw[10, 6, :2]) / 2)


def test_coco17_mapping_neck_is_shoulder_midpoint_with_min_confidence():
    kp = np.zeros((17, 3), np.float32)
    kp[5] = (10, 20, 0.9)
    kp[6] = (30, 40, 0.4)
    out = coco17_to_coco18(kp)
    np.testing.assert_allclose(out[1], (20, 30, 0.4))
    assert tuple(out[2]) == tuple(kp[6]) and tuple(out[5]) == tuple(kp[5])


def test_mirror_swaps_sides_and_is_an_involution():
    assert [MIRROR[MIRROR[i]] for i in range(18)] == list(range(18))
    assert MIRROR[2] == 5 and MIRROR[8] == 11 and MIRROR[0] == 0


@pytest.mark.parametrize("source_fps", [25.0, 29.97, 60.0])
def test_resampling_to_30fps_by_timestamp(source_fps):
    frames = int(source_fps * 4)
    seq = make_seq(frames=frames, fps=source_fps)
    out = seq.resampled(30.0)
    assert out.fps == 30.0
    assert abs(len(out) - 4 * 30) <= 1
    # Each 30 fps frame is the latest source frame captured at (or within 1 ms after) its time.
    for i in (0, 17, len(out) - 1):
        src = int(np.floor((i / 30.0 + 1e-3) * source_fps))  # 1 ms timestamp tolerance
        np.testing.assert_array_equal(out.keypoints[i], seq.keypoints[src])


def test_resampling_follows_variable_timestamps():
    ts = np.array([0.0, 0.01, 0.1, 0.3, 0.31])
    out = make_seq(frames=5, ts=ts).resampled(30.0)
    src = [0, 1, 1, 2, 2, 2, 2, 2, 2, 3]  # grid 0, 1/30, ... 0.3
    assert len(out) == len(src)
    np.testing.assert_array_equal(out.keypoints, make_seq(frames=5).keypoints[src])


def test_paper_vectors_are_normalised_and_missing_joints_at_minus_one():
    seq = make_seq()
    kp = seq.keypoints.copy()
    kp[0, 3, 2] = 0.1  # low confidence
    kp[1, 4, :2] = np.nan
    v = features.paper_vectors(kp, seq.image_size)
    assert v.shape == (10, 36) and v.min() >= -1 and v.max() <= 1
    assert tuple(v[0, 6:8]) == (-1, -1) and tuple(v[1, 8:10]) == (-1, -1)
    np.testing.assert_allclose(v[2, 0], -1 + 2 * kp[2, 0, 0] / 640, rtol=1e-6)


def test_body_vectors_ignore_where_the_dancer_stands():
    seq = make_seq(frames=1)
    moved = seq.keypoints.copy()
    moved[..., :2] = moved[..., :2] * 0.5 + 100  # smaller and elsewhere
    np.testing.assert_allclose(features.body_vectors(seq.keypoints), features.body_vectors(moved),
                               atol=1e-6)
    assert not np.allclose(features.paper_vectors(seq.keypoints, (640, 480)),
                           features.paper_vectors(moved, (640, 480)))


def test_body_vectors_without_hips_are_missing():
    kp = make_seq(frames=1).keypoints.copy()
    kp[0, 8, 2] = 0.0
    assert (features.body_vectors(kp) == -1).all()


@pytest.mark.parametrize("content, message", [
    ({"keypoints": np.zeros((5, 17, 3)), "fps": 30.0, "image_size": [1, 1]}, "expected shape"),
    ({"fps": 30.0, "image_size": [1, 1]}, "missing array 'keypoints'"),
    ({"keypoints": np.zeros((5, 18, 3)), "fps": -1.0, "image_size": [1, 1]}, "fps"),
    ({"keypoints": np.zeros((5, 18, 3)), "fps": 30.0, "image_size": [0, 1]}, "image_size"),
])
def test_bad_pose_files_are_named(tmp_path, content, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **content)
    with pytest.raises(InputError, match=message) as info:
        sequence.load(path)
    assert str(path) in str(info.value)


def test_missing_and_non_npz_files(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        sequence.load(tmp_path / "nope.npz")
    (tmp_path / "x.npz").write_text("hello")
    with pytest.raises(InputError, match="not a .npz"):
        sequence.load(tmp_path / "x.npz")
