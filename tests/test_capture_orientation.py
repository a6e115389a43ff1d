"""Camera mounting (flips, rotation), the Pi camera's port and sensor timestamps. The Pi camera
itself is replaced by a stand-in for picamera2 (hardware); the video path is real."""

from __future__ import annotations

import itertools
import sys
import time
import types

import numpy as np
import pytest

from dance2music.capture.camera import PiCamera
from dance2music.capture.open import DEMO_VIDEO, open_source
from dance2music.capture.orientation import ROTATIONS_DEG, Orientation, OrientedSource
from dance2music.capture.sensor_time import sensor_to_monotonic_ns
from dance2music.commands.config import documented
from dance2music.config import CaptureSettings, Config, load
from dance2music.errors import InputError

IMAGE = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)  # 2 rows, 3 columns, BGR


def test_flips_and_rotation_move_the_corners():
    top_left, top_right, bottom_left = IMAGE[0, 0], IMAGE[0, -1], IMAGE[-1, 0]
    assert (Orientation(hflip=True).apply(IMAGE)[0, 0] == top_right).all()
    assert (Orientation(vflip=True).apply(IMAGE)[0, 0] == bottom_left).all()
    turned = Orientation(rotation_deg=90).apply(IMAGE)  # clockwise: left column becomes top row
    assert turned.shape == (3, 2, 3) and (turned[0, -1] == top_left).all()
    assert (Orientation(rotation_deg=270).apply(IMAGE)[-1, 0] == top_left).all()


@pytest.mark.parametrize("hflip, vflip, rotation_deg",
                         list(itertools.product((False, True), (False, True), ROTATIONS_DEG)))
def test_sensor_flips_plus_software_equal_the_whole_orientation(hflip, vflip, rotation_deg):
    orientation = Orientation(hflip, vflip, rotation_deg)
    (sensor_h, sensor_v), rest = orientation.split_for_sensor()
    by_sensor = Orientation(sensor_h, sensor_v).apply(IMAGE)
    assert np.array_equal(rest.apply(by_sensor), orientation.apply(IMAGE))
    assert rest.rotation_deg in (0, 90, 270) and not (rest.hflip or rest.vflip)


def test_configuration_keys_are_validated_and_documented(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[capture]\nrotation_deg = 45\n")
    with pytest.raises(InputError, match=r"\[capture\] rotation_deg: expected one of 0, 90"):
        load(path)
    path.write_text("[capture]\ncamera_num = 9\n")
    with pytest.raises(InputError, match=r"\[capture\] camera_num: expected 0..7"):
        load(path)
    text = documented(Config())
    for name in ("hflip = false", "vflip = false", "rotation_deg = 0", "camera_num = 0"):
        assert name in text


def test_a_rotated_video_source_delivers_upright_frames():
    source = open_source(CaptureSettings(source=str(DEMO_VIDEO), rotation_deg=90, hflip=True))
    assert isinstance(source, OrientedSource)
    plain = open_source(CaptureSettings(source=str(DEMO_VIDEO)))
    with source, plain:
        turned, frame = source.read().image, plain.read().image
    expected = Orientation(hflip=True, rotation_deg=90).apply(frame)
    assert turned.shape == expected.shape == (frame.shape[1], frame.shape[0], 3)
    assert np.abs(turned.astype(int) - expected).mean() < 2  # same frame, same turn


NOW_NS = 5_000_000_000_000
BOOT_OFFSET_NS = 42_000_000_000  # time spent suspended: BOOTTIME runs ahead of MONOTONIC


@pytest.mark.parametrize("sensor_ns, expected", [
    (NOW_NS - 8_000_000, NOW_NS - 8_000_000),                    # stamped on MONOTONIC
    (NOW_NS + BOOT_OFFSET_NS - 8_000_000, NOW_NS - 8_000_000),   # stamped on BOOTTIME
    (NOW_NS - 5_000_000_000, None),                              # stale on both
    (NOW_NS + BOOT_OFFSET_NS + 1, None),                         # in the future
    (None, None),
])
def test_sensor_stamps_are_placed_on_the_monotonic_clock(sensor_ns, expected):
    assert sensor_to_monotonic_ns(sensor_ns, NOW_NS, NOW_NS + BOOT_OFFSET_NS) == expected


class _Request:
    def __init__(self, metadata):
        self.metadata, self.released = metadata, False

    def make_array(self, name):
        return np.zeros((480, 640, 3), np.uint8)

    def get_metadata(self):
        return self.metadata

    def release(self):
        self.released = True


@pytest.fixture
def fake_picamera2(monkeypatch):
    """A stand-in for picamera2 and libcamera (Raspberry Pi OS only), recording the calls."""
    seen = {"requests": []}

    class Picamera2:
        def __init__(self, camera_num=0):
            seen["camera_num"] = camera_num

        def create_video_configuration(self, **kwargs):
            return kwargs

        def configure(self, configuration):
            seen["transform"] = configuration["transform"]

        def start(self):
            pass

        def capture_request(self):
            request = _Request(seen.get("metadata", {}))
            seen["requests"].append(request)
            return request

        def stop(self):
            pass

        def close(self):
            pass

    monkeypatch.setitem(sys.modules, "picamera2", types.SimpleNamespace(Picamera2=Picamera2))
    monkeypatch.setitem(sys.modules, "libcamera", types.SimpleNamespace(
        Transform=lambda hflip, vflip: (hflip, vflip)))
    return seen


def test_pi_camera_port_flips_and_sensor_time(fake_picamera2):
    source = open_source(CaptureSettings(source="picamera", camera_num=1, rotation_deg=180))
    assert isinstance(source, PiCamera)  # 180 degrees is done by the sensor: no software turn
    exposure_ns = time.monotonic_ns() - 12_000_000
    fake_picamera2["metadata"] = {"SensorTimestamp": exposure_ns}
    with source:
        frame = source.read()
    assert fake_picamera2["camera_num"] == 1 and fake_picamera2["transform"] == (1, 1)
    assert frame.timestamp_ns == exposure_ns and source.sensor_stamped
    assert all(r.released for r in fake_picamera2["requests"])


def test_pi_camera_without_sensor_time_uses_arrival(fake_picamera2):
    source = open_source(CaptureSettings(source="picamera", rotation_deg=90))
    assert isinstance(source, OrientedSource)  # 90 degrees is turned in software
    before = time.monotonic_ns()
    with source:
        frame = source.read()
    assert frame.image.shape == (640, 480, 3)
    assert before <= frame.timestamp_ns <= time.monotonic_ns()
    assert source.source.sensor_stamped is False
