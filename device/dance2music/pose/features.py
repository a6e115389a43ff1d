"""Pose vectors the music engine compares: the paper's 36-dim image-normalised vector, or a
body-centred one (posture regardless of where the dancer stands)."""

from __future__ import annotations

from typing import Literal

import numpy as np

from dance2music.pose.skeleton import L_HIP, NECK, R_HIP

MIN_CONFIDENCE = 0.2
MISSING = -1.0  # a missing joint sits at (-1, -1), as the paper's reference does
Representation = Literal["paper", "body"]
REPRESENTATIONS: tuple[Representation, ...] = ("paper", "body")
# Posture, not where the dancer stands: follows a dancer who moves about, from any camera place
# (README: the cross-view table).
DEFAULT_REPRESENTATION: Representation = "body"

# Body-centred coordinates are divided by this many torso lengths so a standing body fits
# in [-1, 1] (ankle to wrist-above-head spans about +-2.5 torsos).
_BODY_SPAN_TORSOS = 2.5


def _found(keypoints: np.ndarray) -> np.ndarray:
    xy_ok = np.isfinite(keypoints[..., :2]).all(axis=-1)
    conf = keypoints[..., 2]
    return xy_ok & np.isfinite(conf) & (conf >= MIN_CONFIDENCE)


def paper_vectors(keypoints: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
    """(T, 18, 3) pixels -> (T, 36) in [-1, 1]: x' = -1 + 2x/W, y' = -1 + 2y/H."""
    w, h = image_size
    xy = keypoints[..., :2].astype(np.float64)
    out = np.stack([-1 + 2 * xy[..., 0] / w, -1 + 2 * xy[..., 1] / h], axis=-1)
    out = np.clip(out, -1.0, 1.0)
    out[~_found(keypoints)] = MISSING
    return out.reshape(len(keypoints), -1)


def body_vectors(keypoints: np.ndarray) -> np.ndarray:
    """(T, 18, 3) -> (T, 36): joints relative to the hip centre, in units of the neck-to-hip
    length (over _BODY_SPAN_TORSOS), clipped to [-1, 1]. A frame whose neck or hips are
    missing has no body frame of reference: all its joints are missing."""
    found = _found(keypoints)
    xy = keypoints[..., :2].astype(np.float64)
    hip = (xy[:, R_HIP] + xy[:, L_HIP]) / 2
    torso = np.linalg.norm(xy[:, NECK] - hip, axis=-1)
    anchored = found[:, NECK] & found[:, R_HIP] & found[:, L_HIP] & (torso > 1e-6)
    scale = np.where(anchored, torso * _BODY_SPAN_TORSOS, 1.0)
    out = np.clip((xy - hip[:, None, :]) / scale[:, None, None], -1.0, 1.0)
    out[~(found & anchored[:, None])] = MISSING
    return out.reshape(len(keypoints), -1)


def pose_vectors(keypoints: np.ndarray, image_size: tuple[int, int],
                 representation: Representation = "paper") -> np.ndarray:
    if representation == "paper":
        return paper_vectors(keypoints, image_size)
    if representation == "body":
        return body_vectors(keypoints)
    raise ValueError(f"representation: expected one of {REPRESENTATIONS}, got {representation!r}")
