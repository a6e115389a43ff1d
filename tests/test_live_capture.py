"""Frame sources and the capture thread: real video decoding; a source double that fails and
recovers stands in for an unplugged camera (cameras cannot exist here)."""

import time
from pathlib import Path

import numpy as np
import pytest

from dance2music.capture.open import DEMO_VIDEO, open_source
from dance2music.capture.camera import OpenCVCamera, PiCamera
from dance2music.capture.source import CaptureError, Frame, FrameSource
from dance2music.capture.thread import CaptureThread
from dance2music.capture.video import VideoFileSource
from dance2music.config import CaptureSettings
from dance2music.errors import InputError

SHORT_60FPS = Path(__file__).resolve().parents[2] / "shared" / "data" / "video" / "pose2sim_cam01.mp4"


def test_video_plays_at_its_own_rate():
    with VideoFileSource(DEMO_VIDEO) as source:
        stamps = [source.read().timestamp_ns for _ in range(31)]
    gaps_ms = np.diff(stamps) / 1e6
    assert source.fps == pytest.approx(30.0)
    assert abs((stamps[-1] - stamps[0]) / 1e6 - 1000) < 40  # 30 frame periods: 1 s
    assert np.median(gaps_ms) == pytest.approx(33.3, abs=3)


@pytest.mark.skipif(not SHORT_60FPS.exists(), reason="shared data video not available")
def test_video_loops_or_ends():
    with VideoFileSource(SHORT_60FPS, loop=False, paced=False) as source:
        frames = 0
        with pytest.raises(EOFError):
            while True:
                source.read()
                frames += 1
    assert 90 <= frames <= 110  # 1.7 s at 60 fps
    with VideoFileSource(SHORT_60FPS, loop=True, paced=False) as source:
        assert all(source.read().image.shape == (1920, 1080, 3) for _ in range(2 * frames))


def test_missing_video_and_missing_camera_are_clear_errors():
    with pytest.raises(InputError, match="nothing.mp4: video file not found"):
        open_source(CaptureSettings(source="/nothing.mp4"))
    camera = open_source(CaptureSettings(source="7"))
    assert isinstance(camera, OpenCVCamera)
    with pytest.raises(CaptureError, match="camera 7: cannot open"):
        camera.open()
    camera.close()


def test_picamera_without_libcamera_is_a_capture_error():
    camera = open_source(CaptureSettings(source="picamera"))
    assert isinstance(camera, PiCamera)
    with pytest.raises(CaptureError, match="picamera"):
        camera.open()


def test_default_source_is_the_demo_video():
    assert open_source(CaptureSettings()).path == DEMO_VIDEO
    assert DEMO_VIDEO.is_file()


class FlakySource(FrameSource):
    """A 30 fps camera double that is unplugged after `fail_after` frames and comes back
    after `down_s` seconds; its open() fails while unplugged, as a real device's does."""

    name = "flaky camera"

    def __init__(self, fail_after=10, down_s=0.5):
        self.fail_after, self.down_s = fail_after, down_s
        self.delivered = 0
        self.unplugged_at = None
        self.opens = 0

    def _plugged(self):
        return self.unplugged_at is None or time.monotonic() - self.unplugged_at > self.down_s

    def open(self):
        self.opens += 1
        if not self._plugged():
            raise CaptureError("flaky camera: cannot open (unplugged)")

    def read(self):
        time.sleep(1 / 30)
        if self.delivered == self.fail_after and self.unplugged_at is None:
            self.unplugged_at = time.monotonic()
            raise CaptureError("flaky camera: read failed")
        self.delivered += 1
        return Frame(np.zeros((4, 4, 3), np.uint8), time.monotonic_ns())

    def close(self):
        pass


def test_capture_reopens_with_backoff_and_recovers():
    source = FlakySource(fail_after=10, down_s=0.5)
    capture = CaptureThread(source, max_backoff_s=0.2).start()
    try:
        seen_error = None
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and source.delivered < 30:
            capture.take(0.1)
            seen_error = seen_error or capture.error
        assert seen_error == "flaky camera: read failed" or "unplugged" in seen_error
        assert source.delivered >= 30, "frames never came back"
        assert capture.error is None
        recovered_after = source.opens  # several attempts, spaced by the backoff
        assert 3 <= recovered_after <= 10
    finally:
        capture.close()


def test_slow_consumer_gets_the_latest_frame_and_drops_are_counted():
    source = FlakySource(fail_after=10**9)
    capture = CaptureThread(source).start()
    try:
        capture.take(1.0)
        time.sleep(0.5)  # a slow inference: ~15 frames arrive meanwhile
        frame = capture.take(1.0)
        assert time.monotonic_ns() - frame.timestamp_ns < 60e6  # the newest, not a stale one
        assert 10 <= capture.dropped <= 17
    finally:
        capture.close()
