"""How the camera is mounted: mirrored (hflip), upside down (vflip), or turned (rotation_deg,
clockwise), undone so the pose model sees the dancer upright. On a Pi camera flips and 180 deg
are done by the sensor (libcamera's transform, free); 90/270 deg are turned in software."""

from __future__ import annotations

import dataclasses

import numpy as np

from dance2music.capture.source import Frame, FrameSource
from dance2music.errors import InputError

ROTATIONS_DEG = (0, 90, 180, 270)


@dataclasses.dataclass(frozen=True)
class Orientation:
    hflip: bool = False
    vflip: bool = False
    rotation_deg: int = 0  # clockwise, applied after the flips

    def __post_init__(self):
        if self.rotation_deg not in ROTATIONS_DEG:
            raise InputError(f"[capture] rotation_deg: expected one of "
                             f"{', '.join(map(str, ROTATIONS_DEG))}, got {self.rotation_deg!r}")

    @property
    def is_identity(self) -> bool:
        return self == Orientation()

    def apply(self, image: np.ndarray) -> np.ndarray:
        import cv2

        if self.hflip or self.vflip:
            image = cv2.flip(image, {(True, False): 1, (False, True): 0, (True, True): -1}[
                (self.hflip, self.vflip)])
        if self.rotation_deg:
            image = cv2.rotate(image, {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180,
                                       270: cv2.ROTATE_90_COUNTERCLOCKWISE}[self.rotation_deg])
        return image

    def split_for_sensor(self) -> tuple[tuple[bool, bool], Orientation]:
        """(sensor hflip, vflip), and what is left to do in software. A 180 deg turn is both
        flips; 90/270 deg stay in software."""
        if self.rotation_deg == 180:
            return (not self.hflip, not self.vflip), Orientation()
        if self.rotation_deg == 0:
            return (self.hflip, self.vflip), Orientation()
        return (self.hflip, self.vflip), Orientation(rotation_deg=self.rotation_deg)


class OrientedSource(FrameSource):
    """Any frame source, its frames turned upright."""

    def __init__(self, source: FrameSource, orientation: Orientation):
        self.source = source
        self.orientation = orientation
        self.name = source.name

    def open(self) -> None:
        self.source.open()

    def read(self) -> Frame:
        frame = self.source.read()
        return Frame(self.orientation.apply(frame.image), frame.timestamp_ns)

    def close(self) -> None:
        self.source.close()
