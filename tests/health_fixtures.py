"""A snapshot source for the health tests: the server's input, shaped like the live loop's."""

from __future__ import annotations

import threading
import time

from dance2music.live.histogram import LatencyHistogram

POSE_LATENCIES_S = (0.008, 0.012, 0.012, 0.04)


def _histogram(seconds: tuple[float, ...]) -> dict:
    histogram = LatencyHistogram()
    for value in seconds:
        histogram.observe(value)
    return histogram.as_dict()


class SnapshotSource:
    """A mutable stats dict the tests edit, plus the commands the server submitted."""

    def __init__(self):
        self.lock = threading.Lock()
        self.commands: list[str] = []
        self.fail_submit = False
        self.applies_commands = True
        self.stats = {
            "mode": "live", "fps": 29.7, "frames_dropped": 3,
            "latency_ms": {stage: {"p50": 10.0 + i, "p99": 20.0 + i} for i, stage in
                           enumerate(("capture", "pose", "compose", "schedule", "end_to_end"))},
            "latency_histograms": {"pose": _histogram(POSE_LATENCIES_S)},
            "deadline_misses": 1, "notes_played": 42, "person_present": True,
            "fixed_latency_ms": 250.0, "uptime_s": 12.5, "version": "0.1.0",
            "models": {"pose.xml": "ab" * 32},
            "components": {"camera": True, "pose": True, "composer": True,
                           "audio": {"up": True, "error": None}},
            "last_progress_s": time.monotonic(),
        }

    def snapshot(self) -> dict:
        with self.lock:
            return {**self.stats, "components": dict(self.stats["components"])}

    def progress(self) -> None:
        with self.lock:
            self.stats["last_progress_s"] = time.monotonic()

    def submit(self, command: str) -> None:
        """Records the command and applies it at once, as the loop would at its next frame."""
        if self.fail_submit:
            raise RuntimeError("command queue full")
        self.commands.append(command)
        if not self.applies_commands:
            return
        verb, _, mode = command.partition(" ")
        with self.lock:
            if verb == "set":
                self.stats["mode"] = mode
            elif verb == "standby":
                self.stats["mode"] = "standby"
            elif verb in ("next", "wake"):
                self.stats["mode"] = "greedy" if self.stats["mode"] != "greedy" else "live"


PLATFORM = {"cpu_temperature_c": 51.5, "throttling": {"raw": "0x0", "throttled": False}}


def make_server(source: SnapshotSource, stall_after_s: float = 0.5, **kwargs):
    """A HealthServer on an ephemeral loopback port fed by `source`, with fixed platform readings."""
    from dance2music.health.server import HealthServer

    return HealthServer(source.snapshot, source.submit, port=0, stall_after_s=stall_after_s,
                        platform_readings=lambda: PLATFORM, **kwargs)
