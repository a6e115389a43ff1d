"""Two-stage BlazePose on OpenVINO, tracked, giving COCO-18 keypoints per frame.

The detector runs only when there is no track: it finds the most prominent person (largest
body) and the landmark model then runs on a rotated crop around them. Each later frame is
cropped where the previous frame's auxiliary landmarks (hip centre, scale point) put the
body, which follows that one person even with others in view; when the landmark model's
presence drops the detector re-acquires someone in the same frame."""

from __future__ import annotations

import math
from pathlib import Path
from typing import NamedTuple

import numpy as np
import openvino as ov

from dance2music.errors import InputError
from dance2music.pose import blazepose as bp
from dance2music.pose.modelfiles import DEFAULT_MODEL_DIR, compile_model, read_manifest, verified_xml
from dance2music.pose.result import PRESENCE_THRESHOLD, PoseEstimator, PoseResult, no_person
from dance2music.pose.smoothing import OneEuroSmoother

__all__ = ["DEFAULT_MODEL_DIR", "PRESENCE_THRESHOLD", "OpenVinoPose", "PoseEstimator", "PoseResult"]

MIN_ROI_PIXELS = 16.0  # a body ROI smaller than this is noise, not a person to track


class _Landmarks(NamedTuple):
    xy: np.ndarray  # (39, 2) image pixels
    visibility: np.ndarray  # (39,) 0..1
    presence: float


def _check_frame(frame: np.ndarray) -> None:
    if not (isinstance(frame, np.ndarray) and frame.dtype == np.uint8 and frame.ndim == 3
            and frame.shape[2] == 3 and min(frame.shape[:2]) > 0):
        got = f"{frame.dtype} {frame.shape}" if isinstance(frame, np.ndarray) else type(frame).__name__
        raise InputError(f"frame: expected a uint8 (H, W, 3) BGR image, got {got}")


class OpenVinoPose:
    """PoseEstimator on the INT8 BlazePose models in `model_dir` (checked against their
    manifest). Not thread-safe: one instance per video stream."""

    def __init__(self, model_dir: Path = DEFAULT_MODEL_DIR, smoothing: bool = True,
                 presence_threshold: float = PRESENCE_THRESHOLD) -> None:
        model_dir = Path(model_dir)
        manifest = read_manifest(model_dir)
        core = ov.Core()
        self._use(compile_model(core, verified_xml(model_dir, manifest, "detector")),
                  compile_model(core, verified_xml(model_dir, manifest, "landmark")), smoothing,
                  presence_threshold)

    @classmethod
    def from_compiled(cls, detector: ov.CompiledModel, landmark: ov.CompiledModel,
                      smoothing: bool = True,
                      presence_threshold: float = PRESENCE_THRESHOLD) -> OpenVinoPose:
        """The same pipeline on models compiled elsewhere (the model build compares FP32 and
        INT8 candidates with it)."""
        self = cls.__new__(cls)
        self._use(detector, landmark, smoothing, presence_threshold)
        return self

    def _use(self, detector: ov.CompiledModel, landmark: ov.CompiledModel, smoothing: bool,
             presence_threshold: float) -> None:
        self.presence_threshold = presence_threshold  # below it: nobody tracked, detect again
        self._detector = detector.create_infer_request()
        self._landmarks = landmark.create_infer_request()
        self._smoother = OneEuroSmoother() if smoothing else None
        self._roi: bp.Roi | None = None

    def estimate(self, frame_bgr: np.ndarray, timestamp_s: float) -> PoseResult:
        _check_frame(frame_bgr)
        found = self._landmarks_in(frame_bgr, self._roi) if self._roi else None
        ran_detector = found is None or found.presence < self.presence_threshold
        if ran_detector:
            roi = self._detect(frame_bgr)
            found = self._landmarks_in(frame_bgr, roi) if roi else None
        if found is None or found.presence < self.presence_threshold:
            self.reset()
            return no_person(found.presence if found else 0.0, timestamp_s, ran_detector)
        self._roi = bp.Roi.from_points(found.xy[bp.HIP_CENTRE], found.xy[bp.SCALE_POINT])
        keypoints = bp.to_coco18(found.xy, found.visibility)
        if self._smoother:
            keypoints[:, :2] = self._smoother(keypoints[:, :2], timestamp_s, self._roi.size)
        return PoseResult(keypoints, found.presence, timestamp_s, ran_detector)

    def _detect(self, frame: np.ndarray) -> bp.Roi | None:
        """ROI of the most prominent detected person (the largest body), if any."""
        tensor, lb = bp.letterbox(frame)
        self._detector.infer({0: tensor})
        found = bp.decode_detections(self._detector.get_output_tensor(0).data,
                                     self._detector.get_output_tensor(1).data, lb)
        rois = [bp.Roi.from_points(d.keypoints[0], d.keypoints[1]) for d in found]
        return max(rois, key=lambda r: r.size, default=None)

    def _landmarks_in(self, frame: np.ndarray, roi: bp.Roi) -> _Landmarks | None:
        """The landmark model's view of `roi`; None when the ROI is degenerate."""
        if not (roi.size >= MIN_ROI_PIXELS and math.isfinite(roi.cx) and math.isfinite(roi.cy)):
            return None
        self._landmarks.infer({0: roi.crop(frame)})
        xy, visibility = bp.decode_landmarks(self._landmarks.get_output_tensor(0).data, roi)
        return _Landmarks(xy, visibility, float(self._landmarks.get_output_tensor(1).data.ravel()[0]))

    def reset(self) -> None:
        self._roi = None
        if self._smoother:
            self._smoother.reset()

    def close(self) -> None:
        self._detector = self._landmarks = None

    def __enter__(self) -> OpenVinoPose:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
