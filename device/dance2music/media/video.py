"""Video files as BGR numpy frames with timestamps (PyAV/FFmpeg), and an H.264 writer.

Timestamps come from each frame's pts, so variable frame rate video keeps its real timing;
frames are turned upright according to the stream's rotation (display matrix)."""

from __future__ import annotations

import dataclasses
import itertools
import logging
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from dance2music.errors import InputError

log = logging.getLogger(__name__)

# Display-matrix rotation (degrees counter-clockwise, as FFmpeg reports it) -> cv2 rotate code.
_UPRIGHT = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


@dataclasses.dataclass(frozen=True)
class Frame:
    image: np.ndarray  # uint8 (H, W, 3) BGR, upright
    timestamp_s: float  # from the first frame
    index: int


@dataclasses.dataclass(frozen=True)
class VideoInfo:
    path: Path
    size: tuple[int, int]  # (W, H) upright
    fps: float  # average frame rate
    frame_count: int  # from the container; an estimate (duration x fps) when it has none
    rotation: int  # degrees the stored frames are turned to be upright


def _rotation_of(frame: av.VideoFrame) -> int:
    # FFmpeg's display rotation is counter-clockwise; showing the frame undoes it.
    return int(round(-(frame.rotation or 0))) % 360


def _upright(image: np.ndarray, rotation: int) -> np.ndarray:
    code = _UPRIGHT.get(rotation)
    return image if code is None else cv2.rotate(image, code)


class VideoReader:
    """Decodes a video file; iterate for `Frame`s. Use as a context manager or call close()."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(f"{self.path}: no such video file")
        try:
            self._container = av.open(str(self.path))
        except (av.FFmpegError, UnicodeDecodeError) as e:
            raise InputError(f"{self.path}: not a readable video file ({e})") from None
        if not self._container.streams.video:
            self._container.close()
            raise InputError(f"{self.path}: contains no video stream")
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        self._frames = self._decode()
        try:
            self._first = next(self._frames)
        except (StopIteration, av.FFmpegError) as e:
            self._container.close()
            raise InputError(f"{self.path}: no decodable video frame ({e or 'empty'})") from None
        self.info = self._describe(self._first)

    def _describe(self, first: av.VideoFrame) -> VideoInfo:
        s = self._stream
        rotation = _rotation_of(first)
        w, h = first.width, first.height
        if rotation in (90, 270):
            w, h = h, w
        fps = float(s.average_rate or s.guessed_rate or 30)
        count = s.frames
        if not count and s.duration and s.time_base:
            count = int(round(float(s.duration * s.time_base) * fps))
        return VideoInfo(self.path, (w, h), fps, int(count), rotation)

    def _decode(self) -> Iterator[av.VideoFrame]:
        try:
            yield from self._container.decode(self._stream)
        except av.FFmpegError as e:
            raise InputError(f"{self.path}: video data is corrupt ({e})") from None

    def __iter__(self) -> Iterator[Frame]:
        start = self._first.time or 0.0
        last = -np.inf
        index = 0
        for frame in itertools.chain([self._first], self._frames):
            t = (frame.time - start) if frame.time is not None else index / self.info.fps
            if t <= last:  # duplicate or out-of-order pts: drop, timestamps must increase
                log.debug("%s: dropping frame with non-increasing time %.4f s", self.path, t)
                continue
            last = t
            image = _upright(frame.to_ndarray(format="bgr24"), self.info.rotation)
            yield Frame(image, float(t), index)
            index += 1

    def close(self) -> None:
        self._container.close()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class VideoWriter:
    """Writes BGR frames to an H.264 .mp4 (yuv420p, plays everywhere)."""

    def __init__(self, path: str | Path, fps: float, size: tuple[int, int]) -> None:
        self.path = Path(path)
        w, h = size
        self._container = av.open(str(self.path), mode="w")
        rate = Fraction(fps).limit_denominator(1001)
        self._stream = self._container.add_stream("libx264", rate=rate)
        self._stream.width, self._stream.height = w - w % 2, h - h % 2
        self._stream.pix_fmt = "yuv420p"
        self._stream.options = {"crf": "23", "preset": "veryfast"}

    def write(self, image_bgr: np.ndarray) -> None:
        image = image_bgr[:self._stream.height, :self._stream.width]
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
        self._container.mux(self._stream.encode(frame))

    def close(self) -> None:
        self._container.mux(self._stream.encode())
        self._container.close()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
