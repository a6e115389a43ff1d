"""Drawing a COCO-18 skeleton over a frame, for a person to check the pose estimates."""

from __future__ import annotations

import cv2
import numpy as np

from dance2music.pose.features import MIN_CONFIDENCE
from dance2music.pose.skeleton import BONES, COCO18_NAMES

# BGR: the subject's right side orange, left side blue, the centre line white.
_RIGHT, _LEFT, _CENTRE = (0, 140, 255), (255, 120, 0), (255, 255, 255)


def _colour(joint: int) -> tuple[int, int, int]:
    name = COCO18_NAMES[joint]
    return _RIGHT if name.startswith("r_") else _LEFT if name.startswith("l_") else _CENTRE


def draw_skeleton(image_bgr: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
    """A copy of the image with the joints found (confidence >= MIN_CONFIDENCE) and bones."""
    out = image_bgr.copy()
    found = np.isfinite(keypoints[:, :2]).all(axis=1) & (keypoints[:, 2] >= MIN_CONFIDENCE)
    width = max(2, round(max(out.shape[:2]) / 300))
    points = np.zeros((len(keypoints), 2), dtype=np.int32)
    points[found] = np.round(keypoints[found, :2]).astype(np.int32)
    for a, b in BONES:
        if found[a] and found[b]:
            cv2.line(out, tuple(points[a]), tuple(points[b]), _colour(b), width, cv2.LINE_AA)
    for j in np.flatnonzero(found):
        cv2.circle(out, tuple(points[j]), width + 2, _colour(j), -1, cv2.LINE_AA)
    return out
