"""Cameras: a V4L2/USB webcam through OpenCV, and the Raspberry Pi camera through picamera2
(imported only when used: it exists only on Raspberry Pi OS)."""

from __future__ import annotations

import logging
import time

from dance2music.capture.opencv import cv2_module
from dance2music.capture.sensor_time import frame_time_ns
from dance2music.capture.source import CaptureError, Frame, FrameSource

log = logging.getLogger(__name__)


class OpenCVCamera(FrameSource):
    def __init__(self, device: int | str, width_px: int = 640, height_px: int = 480,
                 fps: float = 30.0):
        self.device = device
        self.name = f"camera {device}"
        self.size = (width_px, height_px)
        self.fps = fps
        self._cap = None

    def open(self) -> None:
        cv2 = cv2_module()
        self.close()
        cap = cv2.VideoCapture(self.device, cv2.CAP_V4L2)
        if not cap.isOpened():
            cap.release()
            raise CaptureError(f"{self.name}: cannot open (unplugged, busy or no permission)")
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.size[0])
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.size[1])
        cap.set(cv2.CAP_PROP_FPS, self.fps)
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # the newest frame, not a queue of old ones
        self._cap = cap

    def read(self) -> Frame:
        if self._cap is None:
            raise CaptureError(f"{self.name}: not open")
        ok, image = self._cap.read()
        if not ok:
            raise CaptureError(f"{self.name}: read failed")
        return Frame(image, time.monotonic_ns())

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


class PiCamera(FrameSource):
    """The Raspberry Pi camera (libcamera) at a low resolution close to the model's input,
    flipped by the sensor, frames stamped with the sensor's exposure time."""

    def __init__(self, width_px: int = 640, height_px: int = 480, fps: float = 30.0,
                 camera_num: int = 0, sensor_flips: tuple[bool, bool] = (False, False)):
        self.size = (width_px, height_px)
        self.fps = fps
        self.camera_num = camera_num  # a Pi 5 has two camera ports, CAM0 and CAM1
        self.sensor_flips = sensor_flips
        self.name = f"picamera {camera_num}"
        self.sensor_stamped: bool | None = None  # known after the first frame
        self._cam = None

    def open(self) -> None:
        try:
            from libcamera import Transform
            from picamera2 import Picamera2
        except ImportError as e:
            raise CaptureError(f"{self.name}: picamera2 is not installed ({e}); on Raspberry "
                               f"Pi OS install python3-picamera2") from None
        self.close()
        hflip, vflip = self.sensor_flips
        try:
            cam = Picamera2(self.camera_num)
            cam.configure(cam.create_video_configuration(
                main={"size": self.size, "format": "RGB888"},  # RGB888 is BGR in memory
                transform=Transform(hflip=int(hflip), vflip=int(vflip)),
                controls={"FrameRate": self.fps}, buffer_count=2))
            cam.start()
        except Exception as e:  # libcamera raises RuntimeError/IndexError for a missing camera
            raise CaptureError(f"{self.name}: cannot start ({e})") from None
        self._cam = cam

    def read(self) -> Frame:
        if self._cam is None:
            raise CaptureError(f"{self.name}: not open")
        try:
            request = self._cam.capture_request()
        except Exception as e:
            raise CaptureError(f"{self.name}: capture failed ({e})") from None
        try:
            image = request.make_array("main")
            timestamp_ns, from_sensor = frame_time_ns(request.get_metadata())
        finally:
            request.release()  # the buffer goes back to libcamera whatever happened
        if self.sensor_stamped is None:
            self.sensor_stamped = from_sensor
            log.info("%s: frames timed by %s", self.name,
                     "the sensor (SensorTimestamp)" if from_sensor else "their arrival")
        return Frame(image, timestamp_ns)

    def close(self) -> None:
        if self._cam is not None:
            try:
                self._cam.stop()
            finally:
                self._cam.close()
                self._cam = None
