"""Frame sources (Pi camera, V4L2/USB camera, video file) and the capture thread."""
