"""Which person the pose stage follows, and when it lets go.

Following one person must not hinge on a borderline score that one grey level of
preprocessing can flip (another OpenCV, another FFmpeg, another CPU). So:
- a track starts only from a detection whose ROI has *settled* (the landmark model re-cropped
  until the body stops moving in its own crop) and whose presence is clearly high;
- a track is kept only while the body's hip centre is well inside the frame (half a body
  beyond the border leaves the model guessing) and the body moves continuously: per frame
  the ROI's centre moves at most MAX_STEP_OF_BODY body sizes and its size changes at most
  MAX_SCALE_RATIO; a jump means the crop slid onto someone or something else: track dropped;
- a brief dip of the presence below KEEP_PRESENCE (a blurred jump, a turn) holds the track
  for up to HOLD_FRAMES frames, reporting nobody, as long as the body moves continuously;
- after a loss, detections near the lost track are tried first (the same person, re-found).
The models are behind two small seams, so the rules are tested on fakes and on real models."""

from __future__ import annotations

import math
from typing import NamedTuple, Protocol

import numpy as np

from dance2music.pose import blazepose as bp

START_PRESENCE = 0.9  # a new track needs a clear person, not a borderline one
KEEP_PRESENCE = 0.5  # a running track holds while the landmark model still sees a person
HOLD_FRAMES = 3  # frames in a row a continuous track may stay below KEEP_PRESENCE
MAX_STEP_OF_BODY = 0.35  # largest per-frame centre move of a kept track, in body sizes
MAX_SCALE_RATIO = 1.4  # largest per-frame change of the body's size, either way
SETTLE_MAX_CROPS = 6  # landmark runs allowed for a detection's ROI to settle
SETTLED_STEP_OF_BODY = 0.05  # an ROI moving less than this per re-crop has settled
SETTLED_SCALE_RATIO = 1.1
EDGE_MARGIN_OF_BODY = 0.1  # a hip centre closer than this to the border: the body is leaving
MIN_ROI_PIXELS = 16.0  # a body ROI smaller than this is noise, not a person to track


class Landmarks(NamedTuple):
    xy: np.ndarray  # (39, 2) image pixels
    visibility: np.ndarray  # (39,) 0..1
    presence: float

    def roi(self) -> bp.Roi:
        """Where this body will be cropped in the next frame."""
        return bp.Roi.from_points(self.xy[bp.HIP_CENTRE], self.xy[bp.SCALE_POINT])


class PersonDetector(Protocol):
    def __call__(self, frame_bgr: np.ndarray) -> list[bp.Roi]: ...  # body ROIs, any order


class LandmarkModel(Protocol):
    def __call__(self, frame_bgr: np.ndarray, roi: bp.Roi) -> Landmarks: ...


def body_size_px(roi: bp.Roi) -> float:
    """Twice the hip-centre-to-scale-point distance: about the body's height."""
    return roi.size / bp.ROI_SCALE


def usable(roi: bp.Roi) -> bool:
    return roi.size >= MIN_ROI_PIXELS and math.isfinite(roi.cx) and math.isfinite(roi.cy)


def in_frame(roi: bp.Roi, frame_bgr: np.ndarray) -> bool:
    """Whether the body's hip centre is inside the image by EDGE_MARGIN_OF_BODY."""
    h, w = frame_bgr.shape[:2]
    margin = EDGE_MARGIN_OF_BODY * body_size_px(roi)
    return margin <= roi.cx <= w - margin and margin <= roi.cy <= h - margin


def _moved(before: bp.Roi, after: bp.Roi) -> tuple[float, float]:
    """(centre move in body sizes of `before`, size ratio >= 1) between two ROIs."""
    step = math.hypot(after.cx - before.cx, after.cy - before.cy) / body_size_px(before)
    ratio = max(after.size, before.size) / max(min(after.size, before.size), 1e-9)
    return step, ratio


def continues(before: bp.Roi, after: bp.Roi) -> bool:
    """Whether `after` can be the same body as `before` one frame later."""
    step, ratio = _moved(before, after)
    return step <= MAX_STEP_OF_BODY and ratio <= MAX_SCALE_RATIO


class Tracker:
    """Follows one person across frames; `follow` gives that person's landmarks or None."""

    def __init__(self, detector: PersonDetector, landmarks: LandmarkModel,
                 keep_presence: float = KEEP_PRESENCE) -> None:
        self._detect, self._landmarks = detector, landmarks
        self._keep_presence = keep_presence  # [pose] presence_threshold
        self._roi: bp.Roi | None = None  # where the followed body will be cropped next
        self._lost: bp.Roi | None = None  # where the last track ended, for re-acquisition
        self._held_frames = 0  # frames in a row the track has been held below KEEP_PRESENCE
        # The last frame's presence: the followed person's, else the highest one below
        # KEEP_PRESENCE (a result without a person never reads as someone in view).
        self.presence = 0.0
        self._faint = 0.0

    @property
    def roi(self) -> bp.Roi | None:
        return self._roi

    def follow(self, frame_bgr: np.ndarray) -> tuple[Landmarks | None, bool]:
        """(landmarks of the followed person or None, whether the detector ran)."""
        self._faint = 0.0
        if self._roi is not None:
            found = self._look(frame_bgr, self._roi)
            if usable(found.roi()) and in_frame(found.roi(), frame_bgr) and continues(self._roi, found.roi()):
                if found.presence >= self._keep_presence:
                    return self._following(found), False
                if self._held_frames < HOLD_FRAMES:
                    self._held_frames += 1
                    self._roi, self.presence = found.roi(), self._faint
                    return None, False
            self._lost, self._roi = self._roi, None
        for roi in self._candidates(frame_bgr):
            found = self._settled(frame_bgr, roi)
            if found is not None and found.presence >= START_PRESENCE and in_frame(found.roi(), frame_bgr):
                self._lost = None
                return self._following(found), True
        self.presence = self._faint
        return None, True

    def _following(self, found: Landmarks) -> Landmarks:
        self._roi, self.presence, self._held_frames = found.roi(), found.presence, 0
        return found

    def _candidates(self, frame_bgr: np.ndarray) -> list[bp.Roi]:
        """Detections worth trying, best first: near the lost track (nearest first), then the
        largest bodies."""
        rois = [r for r in self._detect(frame_bgr) if usable(r)]
        near = []
        if self._lost is not None:
            near = sorted((r for r in rois if _moved(self._lost, r)[0] <= 1.0),
                          key=lambda r: _moved(self._lost, r)[0])
        return near + sorted((r for r in rois if r not in near), key=lambda r: -r.size)

    def _settled(self, frame_bgr: np.ndarray, roi: bp.Roi) -> Landmarks | None:
        """The landmarks once re-cropping stops moving the ROI; None if it never settles, the
        body vanishes, or it drifts onto a degenerate ROI."""
        for _ in range(SETTLE_MAX_CROPS):
            found = self._look(frame_bgr, roi)
            after = found.roi()
            if not usable(after):
                break
            step, ratio = _moved(roi, after)
            if step <= SETTLED_STEP_OF_BODY and ratio <= SETTLED_SCALE_RATIO:
                return found
            roi = after
        return None

    def _look(self, frame_bgr: np.ndarray, roi: bp.Roi) -> Landmarks:
        found = self._landmarks(frame_bgr, roi)
        if found.presence < self._keep_presence:
            self._faint = max(self._faint, found.presence)
        return found

    def reset(self) -> None:
        self._roi = self._lost = None
        self.presence, self._held_frames = 0.0, 0
