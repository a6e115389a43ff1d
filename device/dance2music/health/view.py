"""The camera's view for the setup page: the last frame the loop saw, downscaled, with the
skeleton and the presence drawn, as a JPEG.

It costs the live loop nothing: the loop only keeps a reference to its last frame and pose
(perception's `latest` tap); the picture is made here, in the HTTP server's thread, only when
someone asks for it, and at most `max_fps` times a second however many viewers ask (a faster
request gets the previous JPEG)."""

from __future__ import annotations

import threading
import time
from typing import Callable, Protocol

import cv2
import numpy as np

from dance2music.pose.overlay import draw_skeleton

VIEW_WIDTH_PX = 480  # enough to see a dancer on a phone; 4x fewer pixels than 640x480 to draw
JPEG_QUALITY = 70
MAX_FPS = 4.0
WATCHED_FOR_S = 3.0  # a viewer counts as watching this long after its last request
_PRESENT, _ABSENT = (80, 200, 80), (60, 60, 220)  # BGR


class SeenFrame(Protocol):
    """What the loop's `latest` tap holds: the frame, its pose, and whether someone is there."""

    frame: object  # .image: (H, W, 3) uint8 BGR
    pose: object  # .keypoints: (18, 3) x, y in image pixels, confidence; .presence: 0..1
    present: bool


class CameraView:
    def __init__(self, latest: Callable[[], SeenFrame | None], max_fps: float = MAX_FPS,
                 width_px: int = VIEW_WIDTH_PX, clock: Callable[[], float] = time.monotonic):
        self._latest = latest
        self.min_interval_s = 1.0 / max_fps
        self.width_px = width_px
        self._clock = clock
        self._lock = threading.Lock()
        self._jpeg: bytes | None = None
        self._encoded_at_s = -np.inf
        self._requested_at_s = -np.inf
        self.encodes = 0
        self.encode_s = 0.0  # CPU seconds spent drawing and encoding (the benchmark reads it)

    @property
    def watched(self) -> bool:
        return self._clock() - self._requested_at_s < WATCHED_FOR_S

    def jpeg(self) -> bytes | None:
        """The current view, None before the loop has seen a frame (or in standby)."""
        with self._lock:  # one encode at a time; concurrent viewers share it
            now = self._clock()
            self._requested_at_s = now
            if self._jpeg is not None and now - self._encoded_at_s < self.min_interval_s:
                return self._jpeg
            seen = self._latest()
            if seen is None:
                self._jpeg = None
                return None
            start = time.thread_time()  # CPU time: a busy machine's preemption is not counted
            self._jpeg = self.encode(seen)
            self.encode_s += time.thread_time() - start
            self.encodes += 1
            self._encoded_at_s = now
            return self._jpeg

    def encode(self, seen: SeenFrame) -> bytes:
        image = seen.frame.image
        scale = min(1.0, self.width_px / image.shape[1])
        # Area averaging where it shrinks a lot (aliasing), bilinear otherwise: OpenCV's area
        # filter at a ratio like 3/4 costs 4x bilinear (6.4 vs 1.4 ms for 640 -> 480 px here).
        small = cv2.resize(image, None, fx=scale, fy=scale,
                           interpolation=cv2.INTER_AREA if scale <= 0.5 else cv2.INTER_LINEAR) \
            if scale < 1.0 else image
        keypoints = np.array(seen.pose.keypoints, dtype=np.float32, copy=True)
        keypoints[:, :2] *= scale
        picture = draw_skeleton(small, keypoints)
        label = (f"dancer in view ({seen.pose.presence:.2f})" if seen.present
                 else f"nobody in view ({seen.pose.presence:.2f})")
        cv2.rectangle(picture, (0, 0), (picture.shape[1], 22), (0, 0, 0), -1)
        cv2.putText(picture, label, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                    _PRESENT if seen.present else _ABSENT, 1, cv2.LINE_AA)
        ok, encoded = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:
            raise RuntimeError("JPEG encoding failed")
        return encoded.tobytes()
