"""What the live loop measures, read by the health server: the loop writes, readers snapshot.

Thread-safe: the loop thread records, the HTTP and systemd threads call `snapshot()`."""

from __future__ import annotations

import threading
import time
from collections import deque

import numpy as np

from dance2music import __version__
from dance2music.live.histogram import LatencyHistogram

STAGES = ("capture", "pose", "compose", "schedule", "end_to_end")
COMPONENTS = ("camera", "pose", "composer", "audio")
_WINDOW = 1000  # latency samples kept per stage (~3 min of notes, ~30 s of frames)
_FPS_WINDOW_S = 2.0


def _percentiles(samples: deque) -> dict:
    if not samples:
        return {"p50": None, "p99": None}
    p50, p99 = np.percentile(np.fromiter(samples, dtype=np.float64), [50, 99])
    return {"p50": round(float(p50), 3), "p99": round(float(p99), 3)}


class LiveStats:
    def __init__(self, fixed_latency_ms: float, clock_ns=time.monotonic_ns,
                 window: int = _WINDOW):
        self._clock_ns = clock_ns
        self._lock = threading.Lock()
        self._start_ns = clock_ns()
        self._latency_ms = {stage: deque(maxlen=window) for stage in STAGES}
        self._histograms = {stage: LatencyHistogram() for stage in STAGES}
        self._frame_times_ns: deque[int] = deque(maxlen=256)
        self._components = {name: {"ok": False, "state": "down", "error": "not started",
                                   "degraded": None} for name in COMPONENTS}
        self._models: dict[str, str] = {}
        self.fixed_latency_ms = fixed_latency_ms
        self.mode = "starting"
        self.frames_dropped = 0
        self.deadline_misses = 0
        self.notes_played = 0
        self.person_present = False
        self.sound: dict = {}  # world and volume_db (sound.live)
        self.last_progress_ns: int | None = None

    def frame(self, timestamp_ns: int) -> None:
        with self._lock:
            self._frame_times_ns.append(timestamp_ns)

    def latency(self, stage: str, ms: float) -> None:
        with self._lock:
            self._latency_ms[stage].append(ms)
            self._histograms[stage].observe(ms / 1000.0)

    def component(self, name: str, ok: bool, error: str | None = None, *, idle: bool = False,
                  degraded: str | None = None) -> None:
        """A component's state: up, down (with its error), idle (standby: off by design, not a
        fault) or degraded (up, doing less than asked: `degraded` says what)."""
        state = ("down" if not ok else "idle" if idle else "degraded" if degraded else "up")
        with self._lock:
            self._components[name] = {"ok": ok, "state": state,
                                      "error": None if ok else (error or "down"),
                                      "degraded": degraded}

    def models(self, checksums: dict[str, str]) -> None:
        with self._lock:
            self._models.update(checksums)

    def count(self, name: str, n: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + n)

    def set(self, **values) -> None:
        with self._lock:
            for name, value in values.items():
                setattr(self, name, value)

    def progress(self) -> None:
        """The loop completed an iteration (the systemd watchdog pings only after this)."""
        with self._lock:
            self.last_progress_ns = self._clock_ns()

    def components_ok(self) -> bool:
        with self._lock:
            return all(c["ok"] for c in self._components.values())

    def _fps(self) -> float:
        times = [t for t in self._frame_times_ns if t >= self._clock_ns() - _FPS_WINDOW_S * 1e9]
        if len(times) < 2:
            return 0.0
        return round((len(times) - 1) / ((times[-1] - times[0]) / 1e9), 2)

    def latencies_ms(self, stage: str) -> np.ndarray:
        """Every latency sample of a stage still in the window (benchmarks)."""
        with self._lock:
            return np.fromiter(self._latency_ms[stage], dtype=np.float64)

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "mode": self.mode,
                "fps": self._fps(),
                "frames_dropped": self.frames_dropped,
                "latency_ms": {stage: _percentiles(s) for stage, s in self._latency_ms.items()},
                "latency_histograms": {stage: h.as_dict() for stage, h in self._histograms.items()},
                "deadline_misses": self.deadline_misses,
                "notes_played": self.notes_played,
                "person_present": self.person_present,
                "sound": dict(self.sound),
                "fixed_latency_ms": self.fixed_latency_ms,
                "uptime_s": round((self._clock_ns() - self._start_ns) / 1e9, 3),
                "version": __version__,
                "models": dict(self._models),
                "components": {name: dict(c) for name, c in self._components.items()},
                "last_progress_s": (None if self.last_progress_ns is None
                                    else self.last_progress_ns / 1e9),
            }
