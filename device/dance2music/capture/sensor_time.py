"""Frame times from the sensor: libcamera stamps each frame with the start of its exposure
(SensorTimestamp, ns), far less jittery than the time Python receives it. The clock behind it
has been CLOCK_MONOTONIC (the V4L2 buffer's) or CLOCK_BOOTTIME depending on the version: the
stamp is placed on the monotonic clock by whichever of the two it is recent on."""

from __future__ import annotations

import time

# A frame reaches Python some milliseconds after its exposure began; a stamp older than this on
# both clocks (or in the future) is not trusted and the arrival time is used.
PLAUSIBLE_AGE_NS = 1_000_000_000


def sensor_to_monotonic_ns(sensor_ns: int | None, monotonic_now_ns: int,
                           boottime_now_ns: int) -> int | None:
    """The sensor stamp on the monotonic clock, or None when it is not plausible on either."""
    if sensor_ns is None:
        return None
    if 0 <= monotonic_now_ns - sensor_ns < PLAUSIBLE_AGE_NS:
        return sensor_ns
    if 0 <= boottime_now_ns - sensor_ns < PLAUSIBLE_AGE_NS:
        return sensor_ns - (boottime_now_ns - monotonic_now_ns)
    return None


def frame_time_ns(metadata: dict) -> tuple[int, bool]:
    """(monotonic ns of the frame, True when it came from the sensor) for a libcamera request's
    metadata; the arrival time where there is no usable SensorTimestamp."""
    now_ns = time.monotonic_ns()
    sensor = sensor_to_monotonic_ns(metadata.get("SensorTimestamp"), now_ns,
                                    time.clock_gettime_ns(time.CLOCK_BOOTTIME))
    return (sensor, True) if sensor is not None else (now_ns, False)
