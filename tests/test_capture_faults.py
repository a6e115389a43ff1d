"""A video source that fails while it runs, and a camera that is absent: faults are capture
errors retried with backoff, never a clean end (exit 0) and never log spam; any exception in
capture is "camera down" and a restart (issue 14, 3 and 7)."""

import shutil
import time

import numpy as np
import pytest

from dance2music.capture.camera import OpenCVCamera
from dance2music.capture.open import DEMO_VIDEO
from dance2music.capture.source import CaptureError, EndOfStream, Frame, FrameSource
from dance2music.capture.thread import CaptureThread
from dance2music.capture.video import VideoFileSource


@pytest.fixture
def video(tmp_path):
    if not DEMO_VIDEO.is_file():
        pytest.skip(f"{DEMO_VIDEO} not present")
    path = tmp_path / "source.mp4"
    shutil.copyfile(DEMO_VIDEO, path)
    return path


def read_until_failure(source, limit: int):
    for _ in range(limit):
        source.read()


def test_a_looping_video_truncated_while_playing_is_a_capture_error(video):
    source = VideoFileSource(video, loop=True, paced=False)
    source.open()
    try:
        source.read()
        video.write_bytes(b"")  # `: > source.mp4` while it runs
        with pytest.raises(CaptureError, match="cannot read the video from its start again"):
            read_until_failure(source, 100_000)
    finally:
        source.close()
    with pytest.raises(CaptureError, match="cannot decode"):
        source.open()


def test_a_video_that_ends_without_looping_is_end_of_stream(video):
    source = VideoFileSource(video, loop=False, paced=False)
    source.open()
    with pytest.raises(EndOfStream):
        read_until_failure(source, 100_000)
    source.close()


def test_the_capture_thread_keeps_retrying_a_truncated_looping_video(video, caplog):
    source = VideoFileSource(video, loop=True, paced=False)
    capture = CaptureThread(source, max_backoff_s=0.2).start()
    try:
        assert capture.take(5.0) is not None
        video.write_bytes(b"")
        deadline = time.monotonic() + 20
        while capture.error in (None, "starting") and time.monotonic() < deadline:
            capture.take(0.05)
        assert capture.error is not None and "cannot" in capture.error
        time.sleep(1.0)  # several retries
        assert not capture.ended  # the loop does not finish: systemd would see exit 0
        retries = [r for r in caplog.records if "retrying" in r.getMessage()]
        assert 1 <= len(retries) <= 2  # one line per change of state, not one per retry
    finally:
        capture.close()


def test_an_absent_camera_does_not_make_opencv_warn_on_every_retry(capfd):
    camera = OpenCVCamera(63)  # no /dev/video63 here
    for _ in range(3):
        with pytest.raises(CaptureError, match="cannot open"):
            camera.open()
    err = capfd.readouterr().err
    assert "WARN" not in err, err


class SurprisingSource(FrameSource):
    """A camera double whose driver raises something that is not a CaptureError (a bug, a
    decoder's ValueError) on its 5th frame, and whose close() then fails too."""

    name = "surprising camera"

    def __init__(self):
        self.delivered = 0
        self.opens = 0
        self.raised = False

    def open(self):
        self.opens += 1

    def read(self):
        time.sleep(1 / 100)
        if self.delivered == 5 and not self.raised:
            self.raised = True
            raise ValueError("buffer size mismatch")
        self.delivered += 1
        return Frame(np.zeros((4, 4, 3), np.uint8), time.monotonic_ns())

    def close(self):
        if self.raised and self.opens == 1:
            raise RuntimeError("close of a broken device")


def test_any_exception_in_capture_is_camera_down_and_a_restart(caplog):
    source = SurprisingSource()
    capture = CaptureThread(source, max_backoff_s=0.1).start()
    errors = set()
    try:
        deadline = time.monotonic() + 10
        while source.delivered < 20 and time.monotonic() < deadline:
            capture.take(0.05)
            errors.add(capture.error)
    finally:
        capture.close()
    assert source.delivered >= 20 and source.opens >= 2  # restarted and capturing again
    assert "camera down: ValueError: buffer size mismatch" in errors
    lines = [r for r in caplog.records if "camera down" in r.getMessage()]
    assert len(lines) == 1  # one line for the change of state
