"""CPU temperature and throttling where the platform exposes them (sysfs thermal zones, a Pi's
vcgencmd). Read on request, never at import; absent sources simply yield None."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

THERMAL_ROOT = Path("/sys/class/thermal")
# Zone types that measure the CPU itself: a Pi's SoC, Intel's package sensor, ACPI's fallback.
CPU_ZONE_TYPES = ("cpu-thermal", "soc_thermal", "x86_pkg_temp", "cpu_thermal", "acpitz")
# Bits of `vcgencmd get_throttled` (Raspberry Pi firmware documentation).
THROTTLE_BITS = {
    0: "under_voltage", 1: "freq_capped", 2: "throttled", 3: "soft_temp_limit",
    16: "under_voltage_occurred", 17: "freq_capped_occurred", 18: "throttled_occurred",
    19: "soft_temp_limit_occurred",
}


def cpu_temperature_c(root: Path = THERMAL_ROOT) -> float | None:
    """The CPU's temperature in degrees Celsius, or None where no CPU thermal zone exists."""
    zones = {}
    for zone in sorted(root.glob("thermal_zone*")):
        try:
            zones[(zone / "type").read_text().strip()] = zone / "temp"
        except OSError:
            continue
    for kind in CPU_ZONE_TYPES:
        if kind in zones:
            try:
                return int(zones[kind].read_text().strip()) / 1000.0
            except (OSError, ValueError):
                return None
    return None


def parse_throttled(text: str) -> dict:
    """`throttled=0x50005` -> {"raw": "0x50005", "under_voltage": True, ...} (bits named)."""
    _, _, value = text.strip().partition("=")
    bits = int(value, 16)
    flags = {name: bool(bits >> bit & 1) for bit, name in THROTTLE_BITS.items()}
    return {"raw": value, **flags}


def throttling(timeout_s: float = 1.0) -> dict | None:
    """The Pi firmware's throttling flags, or None off a Pi (no vcgencmd) or when it fails."""
    vcgencmd = shutil.which("vcgencmd")
    if vcgencmd is None:
        return None
    try:
        out = subprocess.run([vcgencmd, "get_throttled"], capture_output=True, text=True,
                             timeout=timeout_s, check=True).stdout
        return parse_throttled(out)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def platform_readings() -> dict:
    return {"cpu_temperature_c": cpu_temperature_c(), "throttling": throttling()}


class CachedReadings:
    """platform_readings() taken at most once per `max_age_s`: a flood of /status or /metrics
    requests forks vcgencmd once a second, not once a request."""

    def __init__(self, read: Callable[[], dict] = platform_readings, max_age_s: float = 1.0,
                 clock: Callable[[], float] = time.monotonic):
        self._read, self.max_age_s, self._clock = read, max_age_s, clock
        self._lock = threading.Lock()
        self._value: dict | None = None
        self._taken_s = 0.0

    def __call__(self) -> dict:
        with self._lock:
            now = self._clock()
            if self._value is None or now - self._taken_s >= self.max_age_s:
                self._value, self._taken_s = self._read(), now
            return self._value
