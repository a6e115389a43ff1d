"""OpenCV, imported when a source opens (never at import) and kept quiet."""

from __future__ import annotations


def cv2_module():
    """cv2 with its own log limited to errors: with the camera absent it prints two warnings
    on every retry (each second, for as long as it is unplugged), while the capture thread
    already logs each change of state once."""
    import cv2

    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    return cv2
