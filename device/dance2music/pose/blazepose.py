"""BlazePose geometry shared by the runtime and the model build: the detector's letterbox input,
SSD anchors and weighted NMS, the rotated body ROI, its crop, and the landmark decoding.
Tensor layouts and constants are those of mediapipe 0.10.14's pose_detection.tflite and
pose_landmark_full.tflite (see shared/notes/pose-model.md)."""

from __future__ import annotations

import dataclasses
import math

import cv2
import numpy as np

from dance2music.pose.skeleton import NECK, NUM_JOINTS

DETECTOR_SIZE = 224
LANDMARK_SIZE = 256
NUM_LANDMARKS = 39  # 33 body landmarks + hip centre (33), scale point (34) + 4 unused
HIP_CENTRE, SCALE_POINT = 33, 34
DETECTION_THRESHOLD = 0.5
NMS_IOU = 0.3
ROI_SCALE = 1.25

# COCO-18 joint -> BlazePose landmark; the neck is the midpoint of the shoulders 11 and 12.
_BLAZE_OF_COCO18 = (0, None, 12, 14, 16, 11, 13, 15, 24, 26, 28, 23, 25, 27, 5, 2, 8, 7)
_BLAZE_SHOULDERS = (11, 12)


def _ssd_anchors() -> np.ndarray:
    """(2254, 2) anchor centres in [0, 1]: 28x28x2, 14x14x2, 7x7x6 (strides 8, 16, 32x3)."""
    centres = []
    for grid, per_cell in ((28, 2), (14, 2), (7, 6)):
        c = (np.arange(grid) + 0.5) / grid
        ys, xs = np.meshgrid(c, c, indexing="ij")
        cell = np.stack([xs.ravel(), ys.ravel()], axis=-1)
        centres.append(np.repeat(cell, per_cell, axis=0))
    return np.concatenate(centres).astype(np.float32)


ANCHORS = _ssd_anchors()


def _on_pixel_indices(affine: np.ndarray) -> np.ndarray:
    """An affine map between continuous coordinates (pixel i spans [i, i+1]) rewritten for
    cv2.warpAffine, which maps pixel indices (centres)."""
    out = affine.astype(np.float64).copy()
    out[:, 2] += out[:, :2] @ (0.5, 0.5) - 0.5
    return out


@dataclasses.dataclass(frozen=True)
class Letterbox:
    """Maps detector-input coordinates in [0, 1] back to image pixels."""

    scale: float  # image pixels per detector-input pixel
    pad_x: float  # detector-input pixels of padding left / top
    pad_y: float

    def to_image(self, xy_norm: np.ndarray) -> np.ndarray:
        pad = np.array([self.pad_x, self.pad_y], dtype=np.float32)
        return (xy_norm * DETECTOR_SIZE - pad) * self.scale


def _halved_near(frame: np.ndarray, side: int) -> tuple[np.ndarray, int]:
    """The frame shrunk by area-averaging 2x steps (cheap, unlike one large INTER_AREA) while
    it stays at least twice `side`, and the total factor; an odd last row/column is dropped
    so each step is exactly 2x."""
    factor = 1
    while max(frame.shape[:2]) >= 4 * side:
        h, w = frame.shape[:2]
        frame = cv2.resize(frame[:h - h % 2, :w - w % 2], (w // 2, h // 2), interpolation=cv2.INTER_AREA)
        factor *= 2
    return frame, factor


def letterbox(frame_bgr: np.ndarray) -> tuple[np.ndarray, Letterbox]:
    """Frame -> detector input (1, 224, 224, 3) float32 RGB in [-1, 1], aspect kept, centred.
    Area-averaged 2x steps then one bilinear warp: 1 ms on a 1768x994 frame where a single
    INTER_AREA resize takes 8 ms and a plain bilinear one aliases (the INT8 detector then
    misses people FP32 finds)."""
    h, w = frame_bgr.shape[:2]
    scale = max(w, h) / DETECTOR_SIZE
    px, py = (DETECTOR_SIZE - w / scale) / 2, (DETECTOR_SIZE - h / scale) / 2
    small, factor = _halved_near(frame_bgr, DETECTOR_SIZE)
    to_input = np.array([[factor / scale, 0, px], [0, factor / scale, py]])
    canvas = cv2.warpAffine(small, _on_pixel_indices(to_input), (DETECTOR_SIZE, DETECTOR_SIZE),
                            flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
    rgb = cv2.cvtColor(canvas, cv2.COLOR_BGR2RGB)
    tensor = (rgb.astype(np.float32) / 127.5 - 1.0)[None]
    return tensor, Letterbox(scale, px, py)


@dataclasses.dataclass(frozen=True)
class Detection:
    score: float
    box: np.ndarray  # (4,) x0, y0, x1, y1 in image pixels (the face box)
    keypoints: np.ndarray  # (4, 2) image pixels: 0 = hip centre, 1 = scale/rotation point


def decode_detections(boxes: np.ndarray, logits: np.ndarray, lb: Letterbox) -> list[Detection]:
    """Raw detector outputs ([1,2254,12], [1,2254,1]) -> detections after weighted NMS,
    best first."""
    scores = 1.0 / (1.0 + np.exp(-np.clip(logits.reshape(-1).astype(np.float64), -100.0, 100.0)))
    keep = np.flatnonzero(scores >= DETECTION_THRESHOLD)
    if keep.size == 0:
        return []
    raw = boxes.reshape(-1, 12)[keep] / DETECTOR_SIZE
    anchor = ANCHORS[keep]
    centre = raw[:, 0:2] + anchor
    half = raw[:, 2:4] / 2
    corners = np.concatenate([centre - half, centre + half], axis=1)
    points = raw[:, 4:12].reshape(-1, 4, 2) + anchor[:, None, :]
    return _weighted_nms(scores[keep], corners, points, lb)


def _iou(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    lo = np.maximum(box[:2], others[:, :2])
    hi = np.minimum(box[2:], others[:, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=1)
    area = lambda b: np.prod(np.clip(b[..., 2:] - b[..., :2], 0, None), axis=-1)  # noqa: E731
    return inter / np.maximum(area(box) + area(others) - inter, 1e-9)


def _weighted_nms(scores, corners, points, lb: Letterbox) -> list[Detection]:
    """MediaPipe's weighted NMS: each cluster (IoU > 0.3 with its best box) is averaged,
    weighted by score, and keeps the best score."""
    order = np.argsort(-scores)
    scores, corners, points = scores[order], corners[order], points[order]
    out = []
    remaining = np.arange(len(scores))
    while remaining.size:
        best = remaining[0]
        cluster = remaining[_iou(corners[best], corners[remaining]) > NMS_IOU]
        w = scores[cluster][:, None]
        box = (corners[cluster] * w).sum(0) / w.sum()
        pts = (points[cluster] * w[:, :, None]).sum(0) / w.sum()
        out.append(Detection(float(scores[best]), lb.to_image(box.reshape(2, 2)).reshape(4),
                             lb.to_image(pts)))
        remaining = np.setdiff1d(remaining, cluster, assume_unique=True)
    return out


@dataclasses.dataclass(frozen=True)
class Roi:
    """A square, rotated region of the image holding the body."""

    cx: float
    cy: float
    size: float  # side in image pixels
    rotation: float  # radians; the crop's up direction points from hip centre to scale point

    @classmethod
    def from_points(cls, hip: np.ndarray, top: np.ndarray) -> Roi:
        dx, dy = float(top[0] - hip[0]), float(top[1] - hip[1])
        rotation = math.pi / 2 - math.atan2(-dy, dx)
        rotation = (rotation + math.pi) % (2 * math.pi) - math.pi
        size = 2.0 * math.hypot(dx, dy) * ROI_SCALE
        return cls(float(hip[0]), float(hip[1]), size, rotation)

    def crop_to_image(self) -> np.ndarray:
        """2x3 affine matrix from crop pixels (0..256) to image pixels."""
        k = self.size / LANDMARK_SIZE
        c, s = math.cos(self.rotation) * k, math.sin(self.rotation) * k
        half = LANDMARK_SIZE / 2
        return np.array([[c, -s, self.cx - (c - s) * half],
                         [s, c, self.cy - (s + c) * half]], dtype=np.float64)

    def crop(self, frame_bgr: np.ndarray) -> np.ndarray:
        """The landmark model's input (1, 256, 256, 3) float32 RGB in [0, 1]."""
        patch = cv2.warpAffine(frame_bgr, _on_pixel_indices(self.crop_to_image()), (LANDMARK_SIZE, LANDMARK_SIZE),
                               flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
        rgb = cv2.cvtColor(patch, cv2.COLOR_BGR2RGB)
        return (rgb.astype(np.float32) * (1.0 / 255.0))[None]

    def to_image(self, crop_xy: np.ndarray) -> np.ndarray:
        m = self.crop_to_image()
        return crop_xy @ m[:, :2].T.astype(np.float32) + m[:, 2].astype(np.float32)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60.0, 60.0)))


def decode_landmarks(raw: np.ndarray, roi: Roi) -> tuple[np.ndarray, np.ndarray]:
    """Landmark output [1,195] -> (39, 2) image pixels and (39,) visibility in [0, 1]."""
    lm = raw.reshape(NUM_LANDMARKS, 5)
    return roi.to_image(lm[:, :2]), _sigmoid(lm[:, 3])


def to_coco18(xy: np.ndarray, visibility: np.ndarray) -> np.ndarray:
    """BlazePose landmarks (39, 2) + visibility -> COCO-18 (18, 3) x, y, confidence."""
    out = np.empty((NUM_JOINTS, 3), dtype=np.float32)
    for dst, src in enumerate(_BLAZE_OF_COCO18):
        if src is not None:
            out[dst, :2] = xy[src]
            out[dst, 2] = visibility[src]
    a, b = _BLAZE_SHOULDERS
    out[NECK, :2] = (xy[a] + xy[b]) / 2
    out[NECK, 2] = min(visibility[a], visibility[b])
    return out
