"""The OpenPose COCO-18 skeleton the paper uses, and the mappings onto it."""

from __future__ import annotations

import numpy as np

COCO18_NAMES = (
    "nose", "neck", "r_shoulder", "r_elbow", "r_wrist", "l_shoulder", "l_elbow", "l_wrist",
    "r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle", "r_eye", "l_eye", "r_ear", "l_ear",
)
NUM_JOINTS = len(COCO18_NAMES)
NECK, R_HIP, L_HIP = 1, 8, 11

# Bones drawn in overlays (pairs of COCO-18 indices).
BONES = (
    (0, 1), (1, 2), (2, 3), (3, 4), (1, 5), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10),
    (1, 11), (11, 12), (12, 13), (0, 14), (14, 16), (0, 15), (15, 17),
)

# Left/right swap of COCO-18 (mirroring a pose swaps the subject's sides).
MIRROR = (0, 1, 5, 6, 7, 2, 3, 4, 11, 12, 13, 8, 9, 10, 15, 14, 17, 16)

# COCO-17 index for each COCO-18 joint; the neck (None) is the shoulders' midpoint.
_COCO17_TO_18 = (0, None, 6, 8, 10, 5, 7, 9, 12, 14, 16, 11, 13, 15, 2, 1, 4, 3)
_COCO17_SHOULDERS = (5, 6)


def coco17_to_coco18(kp17: np.ndarray) -> np.ndarray:
    """(..., 17, 3) COCO-17 (x, y, conf) -> (..., 18, 3) COCO-18; neck = shoulder midpoint
    with the smaller of the two confidences."""
    if kp17.shape[-2:] != (17, 3):
        raise ValueError(f"expected (..., 17, 3) COCO-17 keypoints, got shape {kp17.shape}")
    out = np.empty(kp17.shape[:-2] + (NUM_JOINTS, 3), dtype=np.float32)
    for dst, src in enumerate(_COCO17_TO_18):
        if src is not None:
            out[..., dst, :] = kp17[..., src, :]
    a, b = (kp17[..., i, :] for i in _COCO17_SHOULDERS)
    out[..., NECK, :2] = (a[..., :2] + b[..., :2]) / 2
    out[..., NECK, 2] = np.minimum(a[..., 2], b[..., 2])
    return out
