"""From the configured source name to a FrameSource."""

from __future__ import annotations

from pathlib import Path

from dance2music.capture.camera import OpenCVCamera, PiCamera
from dance2music.capture.orientation import Orientation, OrientedSource
from dance2music.capture.source import FrameSource
from dance2music.capture.video import VideoFileSource
from dance2music.config import CaptureSettings

# The bundled demo: a real dance played as the camera when nothing is configured.
DEMO_VIDEO = Path(__file__).resolve().parents[3] / "assets" / "demo" / "dance.mp4"


def open_source(settings: CaptureSettings) -> FrameSource:
    spec = settings.source or str(DEMO_VIDEO)
    camera = dict(width_px=settings.width_px, height_px=settings.height_px, fps=settings.fps)
    orientation = Orientation(settings.hflip, settings.vflip, settings.rotation_deg)
    if spec == "picamera":
        sensor_flips, orientation = orientation.split_for_sensor()
        source = PiCamera(**camera, camera_num=settings.camera_num, sensor_flips=sensor_flips)
    elif spec.isdigit():
        source = OpenCVCamera(int(spec), **camera)
    elif spec.startswith("/dev/video"):
        source = OpenCVCamera(spec, **camera)
    else:
        source = VideoFileSource(spec, loop=settings.loop_video)
    return source if orientation.is_identity else OrientedSource(source, orientation)
