"""The INT8 BlazePose pipeline on real pixels: keypoints against reviewed references, sides,
presence, an image without people, tracking through whole videos."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from dance2music.errors import InputError
from dance2music.media.video import VideoReader
from dance2music.pose.estimator import PRESENCE_THRESHOLD, OpenVinoPose
from dance2music.pose.features import MIN_CONFIDENCE, paper_vectors
from dance2music.pose.skeleton import COCO18_NAMES, L_HIP, NECK, R_HIP
from pose_data import FIXTURES, opencv_image, resolve, shared_video

REFERENCES = json.loads((FIXTURES / "reference_keypoints.json").read_text())["references"]
R_SHOULDER, L_SHOULDER = COCO18_NAMES.index("r_shoulder"), COCO18_NAMES.index("l_shoulder")


@pytest.fixture(scope="module")
def estimator():
    with OpenVinoPose(smoothing=False) as est:
        yield est


def body_size(keypoints: np.ndarray) -> float:
    xy = keypoints[keypoints[:, 2] >= 0.5, :2]
    return float(np.max(xy.max(0) - xy.min(0)))


def still_image_pose(estimator, image):
    """Detector on the first call, then the landmark model on the tracked crop (as video)."""
    estimator.reset()
    first = estimator.estimate(image, 0.0)
    second = estimator.estimate(image, 1 / 30)
    assert first.ran_detector and not second.ran_detector
    return second


def poses_at(estimator, path, frames: set[int]) -> dict:
    estimator.reset()
    out = {}
    with VideoReader(path) as video:
        for frame in video:
            result = estimator.estimate(frame.image, frame.timestamp_s)
            if frame.index in frames:
                out[frame.index] = result
    return out


def assert_matches_reference(result, ref) -> None:
    expected = np.asarray(ref["keypoints"], dtype=np.float32)
    assert result.presence > 0.8  # well above the 0.5 threshold (FP32: > 0.99 on all of them)
    confident = expected[:, 2] >= 0.5
    err = np.linalg.norm(result.keypoints[:, :2] - expected[:, :2], axis=1) / body_size(expected)
    worst = int(np.argmax(np.where(confident, err, 0)))
    assert err[confident].mean() < 0.05, f"{ref['source']} frame {ref['frame']}: mean error {err[confident].mean():.3f}"
    assert err[worst] < 0.15, f"{ref['source']} frame {ref['frame']}: {COCO18_NAMES[worst]} off by {err[worst]:.3f}"
    assert (result.keypoints[confident, 2] >= MIN_CONFIDENCE).all()


@pytest.mark.parametrize("ref", [r for r in REFERENCES if r["source"][0] == "opencv-doc"],
                         ids=lambda r: r["source"][1])
def test_keypoints_on_still_images_match_reviewed_references(estimator, ref):
    image = cv2.imread(str(resolve(ref["source"])))
    assert_matches_reference(still_image_pose(estimator, image), ref)


@pytest.mark.parametrize("video", sorted({r["source"][1] for r in REFERENCES if r["source"][0] == "shared-video"}))
def test_keypoints_in_videos_match_reviewed_references(estimator, video):
    refs = [r for r in REFERENCES if r["source"][1] == video]
    got = poses_at(estimator, resolve(refs[0]["source"]), {r["frame"] for r in refs})
    for ref in refs:
        assert_matches_reference(got[ref["frame"]], ref)


def test_left_and_right_are_the_subjects_sides(estimator):
    # Messi faces the camera: his right shoulder and hip are on the image's left.
    result = still_image_pose(estimator, cv2.imread(str(opencv_image("messi5.jpg"))))
    kp = result.keypoints
    assert kp[R_SHOULDER, 0] + 20 < kp[L_SHOULDER, 0]
    assert kp[R_HIP, 0] < kp[L_HIP, 0]
    neck = (kp[R_SHOULDER, :2] + kp[L_SHOULDER, :2]) / 2
    np.testing.assert_allclose(kp[NECK, :2], neck, atol=1e-3)


@pytest.mark.parametrize("name", ["fruits.jpg", "home.jpg", "building.jpg"])
def test_no_person_gives_low_presence_and_no_keypoints(estimator, name):
    image = cv2.imread(str(opencv_image(name)))
    estimator.reset()
    for t in (0.0, 1 / 30):
        result = estimator.estimate(image, t)
        assert result.presence < PRESENCE_THRESHOLD
        assert result.ran_detector
        assert (result.keypoints[:, 2] == 0).all()
        assert (paper_vectors(result.keypoints[None], image.shape[1::-1]) == -1).all()


def test_background_crop_of_a_photo_with_a_person_has_no_person(estimator):
    # The left part of basketball1.png's wall and door (the player stands at x > 30).
    image = cv2.imread(str(opencv_image("basketball1.png")))[0:300, 180:470]
    estimator.reset()
    result = estimator.estimate(np.ascontiguousarray(image), 0.0)
    assert result.presence < PRESENCE_THRESHOLD and (result.keypoints[:, 2] == 0).all()


def test_tracks_the_single_person_through_the_whole_video(estimator):
    estimator.reset()
    detector_runs, present = 0, []
    with VideoReader(shared_video("pose2sim_cam01.mp4")) as video:
        for frame in video:
            result = estimator.estimate(frame.image, frame.timestamp_s)
            detector_runs += result.ran_detector
            present.append(result.presence >= PRESENCE_THRESHOLD)
    assert len(present) == 100 and all(present)
    assert detector_runs == 1  # found once, then tracked


def test_follows_one_person_with_two_in_view(estimator):
    """sports2d: a man doing parkour and a woman walking past. While tracked, the hip centre
    never jumps between frames (no switching people); a switch only follows a lost track."""
    estimator.reset()
    previous = None
    tracked = 0
    with VideoReader(shared_video("sports2d_demo.mp4")) as video:
        for frame in video:
            result = estimator.estimate(frame.image, frame.timestamp_s)
            if result.presence < PRESENCE_THRESHOLD:
                previous = None
                continue
            hip = (result.keypoints[R_HIP, :2] + result.keypoints[L_HIP, :2]) / 2
            if previous is not None and not result.ran_detector:
                tracked += 1
                assert np.linalg.norm(hip - previous) < 0.25 * body_size(result.keypoints), frame.index
            previous = hip
    assert tracked > 100


def test_smoothing_reduces_jitter_without_lag_on_a_still_image():
    image = cv2.imread(str(opencv_image("messi5.jpg")))
    noise = np.random.default_rng(0)
    spread = {}
    for smoothing in (False, True):
        with OpenVinoPose(smoothing=smoothing) as est:
            points = []
            for i in range(20):  # tiny shifts of the same image make the raw output jitter
                dx, dy = noise.integers(-2, 3, size=2)
                shifted = np.ascontiguousarray(np.roll(image, (dy, dx), axis=(0, 1)))
                points.append(est.estimate(shifted, i / 30).keypoints[:, :2])
            spread[smoothing] = np.std(np.asarray(points[5:]), axis=0).mean()
    assert spread[True] < spread[False]


def test_rejects_a_frame_that_is_not_a_bgr_image(estimator):
    with pytest.raises(InputError, match="uint8 \\(H, W, 3\\)"):
        estimator.estimate(np.zeros((10, 10), dtype=np.float32), 0.0)
