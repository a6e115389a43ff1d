"""What the live loop measures: the loop writes, readers take one typed `Snapshot`.

Thread-safe: the loop thread records, the HTTP and systemd threads read. The health server
gets the snapshot's JSON form (`snapshot()`), which is also what /status serves."""

from __future__ import annotations

import dataclasses
import math
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


@dataclasses.dataclass(frozen=True)
class ComponentState:
    ok: bool
    state: str  # "up", "down", "idle" (standby: off by design) or "degraded"
    error: str | None = None  # why it is down
    degraded: str | None = None  # what it does instead of what was asked


@dataclasses.dataclass(frozen=True)
class Snapshot:
    mode: str
    fps: float
    frames_dropped: int
    latency_ms: dict[str, dict]  # stage -> {"p50", "p99"} over the recent window
    latency_histograms: dict[str, dict]  # stage -> cumulative histogram (seconds)
    deadline_misses: int
    notes_played: int
    person_present: bool
    fixed_latency_ms: float
    uptime_s: float
    version: str
    models: dict[str, str]  # file -> sha256
    components: dict[str, ComponentState]
    last_progress_s: float | None  # monotonic time of the loop's last completed step
    sound: dict  # {"world", "worlds", "volume_db"} once the loop plays (sound.live)
    grid: str = "fixed"  # the note grid: fixed or tempo
    tempo_bpm: float | None = None  # the tempo grid's tempo (None: no estimate yet)
    tempo_confidence: float = 0.0  # 0..1
    tempo_locked: bool = False  # the grid follows the tempo (else the fixed step)

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


class LiveStats:
    def __init__(self, fixed_latency_ms: float, clock_ns=time.monotonic_ns,
                 window: int = _WINDOW):
        self._clock_ns = clock_ns
        self._lock = threading.Lock()
        self._start_ns = clock_ns()
        self._latency_ms = {stage: deque(maxlen=window) for stage in STAGES}
        self._histograms = {stage: LatencyHistogram() for stage in STAGES}
        self._frame_times_ns: deque[int] = deque(maxlen=256)
        self._components = {name: ComponentState(False, "down", "not started")
                            for name in COMPONENTS}
        self._models: dict[str, str] = {}
        self._fixed_latency_ms = fixed_latency_ms
        self._mode = "starting"
        self._frames_dropped = 0
        self._deadline_misses = 0
        self._notes_played = 0
        self._person_present = False
        self._sound: dict = {}
        self._last_progress_ns: int | None = None
        self._tempo: dict = {"grid": "fixed"}

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
            self._components[name] = ComponentState(ok, state, None if ok else (error or "down"),
                                                    degraded)

    def models(self, checksums: dict[str, str]) -> None:
        with self._lock:
            self._models.update(checksums)

    def set_mode(self, mode: str) -> None:
        with self._lock:
            self._mode = mode

    def set_frames_dropped(self, frames: int) -> None:
        with self._lock:
            self._frames_dropped = frames

    def set_person_present(self, present: bool) -> None:
        with self._lock:
            self._person_present = bool(present)

    def set_sound(self, world: str, worlds: tuple[str, ...], volume_db: float) -> None:
        with self._lock:
            self._sound = {"world": world, "worlds": list(worlds), "volume_db": volume_db}

    def set_tempo(self, estimate) -> None:
        """The tempo grid's tracker (music.tempo.TempoEstimate) at the latest boundary."""
        bpm = None if math.isnan(estimate.bpm) else round(float(estimate.bpm), 2)
        with self._lock:
            self._tempo = {"grid": "tempo", "tempo_confidence": round(float(estimate.confidence), 3),
                           "tempo_locked": bool(estimate.locked), "tempo_bpm": bpm}

    def note_played(self) -> None:
        with self._lock:
            self._notes_played += 1

    def deadline_missed(self) -> None:
        with self._lock:
            self._deadline_misses += 1

    def progress(self) -> None:
        """The loop completed an iteration (the systemd watchdog pings only after this)."""
        with self._lock:
            self._last_progress_ns = self._clock_ns()

    def _fps(self) -> float:
        times = [t for t in self._frame_times_ns if t >= self._clock_ns() - _FPS_WINDOW_S * 1e9]
        if len(times) < 2:
            return 0.0
        return round((len(times) - 1) / ((times[-1] - times[0]) / 1e9), 2)

    def latencies_ms(self, stage: str) -> np.ndarray:
        """Every latency sample of a stage still in the window (benchmarks)."""
        with self._lock:
            return np.fromiter(self._latency_ms[stage], dtype=np.float64)

    def read(self) -> Snapshot:
        with self._lock:
            return Snapshot(
                mode=self._mode,
                fps=self._fps(),
                frames_dropped=self._frames_dropped,
                latency_ms={stage: _percentiles(s) for stage, s in self._latency_ms.items()},
                latency_histograms={stage: h.as_dict() for stage, h in self._histograms.items()},
                deadline_misses=self._deadline_misses,
                notes_played=self._notes_played,
                person_present=self._person_present,
                fixed_latency_ms=self._fixed_latency_ms,
                uptime_s=round((self._clock_ns() - self._start_ns) / 1e9, 3),
                version=__version__,
                models=dict(self._models),
                components=dict(self._components),
                last_progress_s=(None if self._last_progress_ns is None
                                 else self._last_progress_ns / 1e9),
                sound=dict(self._sound),
                **self._tempo,
            )

    def snapshot(self) -> dict:
        """The JSON form of `read()`, as the health server and /status use it."""
        return self.read().to_json()
