"""The FrameSource interface: a lifecycle (open, read, close) giving BGR frames stamped with
the monotonic time they were captured."""

from __future__ import annotations

import abc
import dataclasses

import numpy as np

from dance2music.errors import Dance2MusicError


class CaptureError(Dance2MusicError, OSError):
    """The source cannot be opened or stopped delivering frames (it may come back)."""


class EndOfStream(Dance2MusicError, EOFError):
    """A video file (not looping) has no more frames."""


@dataclasses.dataclass(frozen=True)
class Frame:
    image: np.ndarray  # (H, W, 3) uint8 BGR
    timestamp_ns: int  # time.monotonic_ns() at capture


class FrameSource(abc.ABC):
    name: str

    @abc.abstractmethod
    def open(self) -> None:
        """Acquire the device or file; raises CaptureError."""

    @abc.abstractmethod
    def read(self) -> Frame:
        """Block until the next frame; raises CaptureError, or EndOfStream for a file."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release everything; safe to call twice or on a source that never opened."""

    def __enter__(self) -> FrameSource:
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()
