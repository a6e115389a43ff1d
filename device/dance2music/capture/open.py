"""From the configured source name to a FrameSource."""

from __future__ import annotations

from pathlib import Path

from dance2music.capture.camera import OpenCVCamera, PiCamera
from dance2music.capture.source import FrameSource
from dance2music.capture.video import VideoFileSource
from dance2music.config import CaptureSettings

# The bundled demo: a real dance played as the camera when nothing is configured.
DEMO_VIDEO = Path(__file__).resolve().parents[3] / "assets" / "demo" / "dance.mp4"


def open_source(settings: CaptureSettings) -> FrameSource:
    spec = settings.source or str(DEMO_VIDEO)
    camera = dict(width_px=settings.width_px, height_px=settings.height_px, fps=settings.fps)
    if spec == "picamera":
        return PiCamera(**camera)
    if spec.isdigit():
        return OpenCVCamera(int(spec), **camera)
    if spec.startswith("/dev/video"):
        return OpenCVCamera(spec, **camera)
    return VideoFileSource(spec, loop=settings.loop_video)
