"""A video file played as a camera: frames delivered at the file's own rate, stamped on
arrival, optionally looping."""

from __future__ import annotations

import time
from pathlib import Path

from dance2music.capture.opencv import cv2_module
from dance2music.capture.source import CaptureError, EndOfStream, Frame, FrameSource
from dance2music.errors import InputError

MAX_FPS = 1000.0  # beyond this a header is lying, and pacing would spin


class VideoFileSource(FrameSource):
    def __init__(self, path: str | Path, loop: bool = True, paced: bool = True):
        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(f"{self.path}: video file not found")
        self.name = f"video {self.path.name}"
        self.loop = loop
        self.paced = paced
        self._cap = None
        self._period_ns = 0
        self._next_ns: int | None = None

    def open(self) -> None:
        cv2 = cv2_module()
        self.close()
        cap = cv2.VideoCapture(str(self.path))
        fps = cap.get(cv2.CAP_PROP_FPS)
        if not cap.isOpened() or not 0 < fps <= MAX_FPS:  # also NaN: a broken header
            cap.release()
            raise CaptureError(f"{self.path}: cannot decode this video (frame rate {fps:g})")
        self._cap = cap
        self.fps = fps
        self._period_ns = int(round(1e9 / fps))
        self._next_ns: int | None = None  # the clock starts at the first frame

    def _decode(self):
        ok, image = self._cap.read()
        if ok or not self.loop:
            if not ok:
                raise EndOfStream(f"{self.path}: end of video")
            return image
        self._cap.set(cv2_module().CAP_PROP_POS_FRAMES, 0)
        ok, image = self._cap.read()
        if not ok:  # a looping file has no end: one that cannot start again is a failure
            raise CaptureError(f"{self.path}: cannot read the video from its start again "
                               "(changed, truncated or removed?)")
        return image

    def read(self) -> Frame:
        if self._cap is None:
            raise CaptureError(f"{self.path}: not open")
        image = self._decode()
        if self.paced:
            if self._next_ns is None:
                self._next_ns = time.monotonic_ns()
            # Deliver on the file's own clock; a late read catches up rather than drifting.
            wait_ns = self._next_ns - time.monotonic_ns()
            if wait_ns > 0:
                time.sleep(wait_ns / 1e9)
            self._next_ns = max(self._next_ns + self._period_ns,
                                time.monotonic_ns() - self._period_ns)
        return Frame(image, time.monotonic_ns())

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
