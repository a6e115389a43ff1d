"""Two-stage BlazePose on OpenVINO, tracked, giving COCO-18 keypoints per frame.

The detector runs only when there is no track; the landmark model then runs on a rotated crop
around the body, and each later frame is cropped where the previous frame's auxiliary
landmarks (hip centre, scale point) put it. Which person is followed, and when the track is
dropped and re-acquired, is decided in `tracking`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openvino as ov

from dance2music.errors import InputError
from dance2music.pose import blazepose as bp
from dance2music.pose.modelfiles import (DEFAULT_MODEL_DIR, compile_model, platform_models, read_manifest,
                                         verified_xml)
from dance2music.pose.result import PRESENCE_THRESHOLD, PoseEstimator, PoseResult, no_person
from dance2music.pose.smoothing import OneEuroSmoother
from dance2music.pose.tracking import Landmarks, Tracker

__all__ = ["DEFAULT_MODEL_DIR", "PRESENCE_THRESHOLD", "OpenVinoPose", "PoseEstimator", "PoseResult"]


def _check_frame(frame: np.ndarray) -> None:
    if not (isinstance(frame, np.ndarray) and frame.dtype == np.uint8 and frame.ndim == 3
            and frame.shape[2] == 3 and min(frame.shape[:2]) > 0):
        got = f"{frame.dtype} {frame.shape}" if isinstance(frame, np.ndarray) else type(frame).__name__
        raise InputError(f"frame: expected a uint8 (H, W, 3) BGR image, got {got}")


class OpenVinoPose:
    """PoseEstimator on the BlazePose models in `model_dir` that this machine's architecture
    runs (INT8 on x86-64, FP16 on aarch64), checked against their manifest. Not
    thread-safe: one instance per video stream."""

    def __init__(self, model_dir: Path = DEFAULT_MODEL_DIR, smoothing: bool = True,
                 presence_threshold: float = PRESENCE_THRESHOLD) -> None:
        model_dir = Path(model_dir)
        manifest = read_manifest(model_dir)
        models = platform_models(model_dir, manifest)
        core = ov.Core()
        self._use(*(compile_model(core, verified_xml(model_dir, manifest, name), models.inference_precision)
                    for name in (models.detector, models.landmark)), smoothing, presence_threshold)

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
        self._tracker = Tracker(self._detect, self._landmarks_in, presence_threshold)

    def estimate(self, frame_bgr: np.ndarray, timestamp_s: float) -> PoseResult:
        _check_frame(frame_bgr)
        found, ran_detector = self._tracker.follow(frame_bgr)
        if found is None:
            if self._smoother:
                self._smoother.reset()
            return no_person(self._tracker.presence, timestamp_s, ran_detector)
        keypoints = bp.to_coco18(found.xy, found.visibility)
        if self._smoother:
            keypoints[:, :2] = self._smoother(keypoints[:, :2], timestamp_s, self._tracker.roi.size)
        return PoseResult(keypoints, found.presence, timestamp_s, ran_detector)

    def _detect(self, frame: np.ndarray) -> list[bp.Roi]:
        """Body ROIs of every detected person."""
        tensor, lb = bp.letterbox(frame)
        self._detector.infer({0: tensor})
        found = bp.decode_detections(self._detector.get_output_tensor(0).data,
                                     self._detector.get_output_tensor(1).data, lb)
        return [bp.Roi.from_points(d.keypoints[0], d.keypoints[1]) for d in found]

    def _landmarks_in(self, frame: np.ndarray, roi: bp.Roi) -> Landmarks:
        """The landmark model's view of `roi`."""
        self._landmarks.infer({0: roi.crop(frame)})
        xy, visibility = bp.decode_landmarks(self._landmarks.get_output_tensor(0).data, roi)
        return Landmarks(xy, visibility, float(self._landmarks.get_output_tensor(1).data.ravel()[0]))

    def reset(self) -> None:
        self._tracker.reset()
        if self._smoother:
            self._smoother.reset()

    def close(self) -> None:
        self._detector = self._landmarks = None

    def __enter__(self) -> OpenVinoPose:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
