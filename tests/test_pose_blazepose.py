"""BlazePose geometry: anchors, letterbox, weighted NMS, the rotated ROI and its crop."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dance2music.pose import blazepose as bp
from dance2music.pose.skeleton import NECK


def test_anchor_grid_matches_the_detector_output():
    assert bp.ANCHORS.shape == (2254, 2)
    assert np.allclose(bp.ANCHORS[0], [0.5 / 28, 0.5 / 28]) and np.allclose(bp.ANCHORS[1], bp.ANCHORS[0])
    assert np.allclose(bp.ANCHORS[-1], [6.5 / 7, 6.5 / 7])


def test_letterbox_keeps_aspect_and_maps_back_to_image_pixels():
    frame = np.zeros((100, 200, 3), dtype=np.uint8)
    frame[40:60, 150:170] = 255
    tensor, lb = bp.letterbox(frame)
    assert tensor.shape == (1, 224, 224, 3) and tensor.min() == -1 and tensor.max() == 1
    ys, xs = np.nonzero(tensor[0, :, :, 0] > 0)
    centre = np.array([[(xs.mean() + 0.5) / 224, (ys.mean() + 0.5) / 224]], dtype=np.float32)
    np.testing.assert_allclose(lb.to_image(centre)[0], [160, 50], atol=1.5)


def test_weighted_nms_merges_overlapping_boxes_and_keeps_separate_people():
    raw = np.zeros((2254, 12), dtype=np.float32)
    logits = np.full((2254, 1), -50.0, dtype=np.float32)
    raw[:, 2:4] = 20  # 20-pixel boxes centred on their anchors
    a = np.argmin(np.linalg.norm(bp.ANCHORS - [0.25, 0.25], axis=1))
    raw[a + 1] = raw[a]
    raw[a + 1, 0] = 2  # the same face, 2 px to the right, less sure
    b = np.argmin(np.linalg.norm(bp.ANCHORS - [0.75, 0.5], axis=1))
    logits[[a, a + 1, b]] = [[3.0], [1.0], [2.0]]
    lb = bp.Letterbox(1.0, 0, 0)
    found = bp.decode_detections(raw[None], logits[None], lb)
    assert [round(d.score, 3) for d in found] == [round(1 / (1 + math.exp(-3)), 3), round(1 / (1 + math.exp(-2)), 3)]
    w = np.array([1 / (1 + math.exp(-3)), 1 / (1 + math.exp(-1))])
    expected_x = bp.ANCHORS[a, 0] * 224 + 2 * w[1] / w.sum()
    assert found[0].box[[0, 2]].mean() == pytest.approx(expected_x, abs=1e-3)


def test_roi_of_an_upright_body_is_unrotated_and_sized_from_hip_to_head_point():
    roi = bp.Roi.from_points(np.array([100.0, 200.0]), np.array([100.0, 120.0]))
    assert roi.rotation == pytest.approx(0.0) and roi.size == pytest.approx(2 * 80 * 1.25)
    # the crop centre is the hip; the crop's top centre lies straight above it
    np.testing.assert_allclose(roi.to_image(np.array([[128.0, 128.0], [128.0, 0.0]])),
                               [[100, 200], [100, 200 - roi.size / 2]], atol=1e-3)


def test_roi_of_a_body_lying_right_rotates_its_crop_so_the_head_is_up():
    roi = bp.Roi.from_points(np.array([100.0, 100.0]), np.array([180.0, 100.0]))  # head to the right
    assert roi.rotation == pytest.approx(math.pi / 2)
    frame = np.zeros((300, 300, 3), dtype=np.uint8)
    frame[95:106, 170:190] = 255  # a bright "head" right of the hip
    crop = roi.crop(frame)[0, :, :, 0]
    ys, xs = np.nonzero(crop > 0.5)
    assert ys.mean() < 64 and abs(xs.mean() - 128) < 8  # upright in the crop: top centre


def test_coco18_mapping_takes_blazepose_joints_and_the_shoulder_midpoint_for_the_neck():
    xy = np.arange(39 * 2, dtype=np.float32).reshape(39, 2)
    vis = np.linspace(0.1, 0.9, 39).astype(np.float32)
    kp = bp.to_coco18(xy, vis)
    np.testing.assert_array_equal(kp[2, :2], xy[12])  # r_shoulder
    np.testing.assert_array_equal(kp[11, :2], xy[23])  # l_hip
    np.testing.assert_array_equal(kp[NECK, :2], (xy[11] + xy[12]) / 2)
    assert kp[NECK, 2] == pytest.approx(vis[11])
