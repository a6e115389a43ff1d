"""Prometheus exposition built from the loop's stats snapshot, by Prometheus's conventions:
base units (seconds), latency as histograms, counters ending in `_total`, and the process's
own RSS, CPU time and open file descriptors. A private registry: nothing global is registered
at import and two servers in one process never collide."""

from __future__ import annotations

import time
from typing import Callable

from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import (CounterMetricFamily, GaugeMetricFamily,
                                    HistogramMetricFamily, InfoMetricFamily)

from dance2music.health.state import component_states


class SnapshotCollector:
    """Turns one snapshot (plus the platform readings) into metric families on each scrape."""

    def __init__(self, snapshot: Callable[[], dict], platform: Callable[[], dict]):
        self._snapshot = snapshot
        self._platform = platform

    def collect(self):
        snap = self._snapshot()
        yield from _gauges(snap)
        yield from _counters(snap)
        yield _latency(snap)
        up = GaugeMetricFamily("dance2music_component_up", "1 when the component is up",
                               labels=["component"])
        for name, (is_up, _error) in component_states(snap).items():
            up.add_metric([name], 1.0 if is_up else 0.0)
        yield up
        mode = GaugeMetricFamily("dance2music_mode", "The current mode (1 for the active one)",
                                 labels=["mode"])
        if snap.get("mode"):
            mode.add_metric([str(snap["mode"])], 1.0)
        yield mode
        info = InfoMetricFamily("dance2music_build", "Version of the running service")
        info.add_metric([], {"version": str(snap.get("version", "unknown"))})
        yield info
        yield from _platform_gauges(self._platform())


def _latency(snap: dict) -> HistogramMetricFamily:
    family = HistogramMetricFamily("dance2music_latency_seconds",
                                   "Per-stage latency: capture, pose, compose, schedule (per "
                                   "frame or note) and end_to_end (camera to onset)",
                                   labels=["stage"])
    for stage, histogram in (snap.get("latency_histograms") or {}).items():
        buckets = [(str(float(bound)) if bound != "+Inf" else "+Inf", count)
                   for bound, count in histogram["buckets"]]
        family.add_metric([stage], buckets, histogram["sum_s"])
    return family


def _gauges(snap: dict):
    for key, name, doc, scale in (
        ("fps", "dance2music_frames_per_second", "Frames processed per second", 1.0),
        ("person_present", "dance2music_person_present", "1 when a dancer is in view", 1.0),
        ("fixed_latency_ms", "dance2music_fixed_latency_seconds",
         "The fixed latency L from a note-grid boundary to its onset", 1e-3),
        ("uptime_s", "dance2music_uptime_seconds", "Seconds since the loop started", 1.0),
        ("tempo_bpm", "dance2music_tempo_bpm", "The dancer's tempo the tempo grid follows", 1.0),
        ("tempo_confidence", "dance2music_tempo_confidence",
         "Confidence of the tempo tracker, 0..1", 1.0),
        ("tempo_locked", "dance2music_tempo_locked",
         "1 when the note grid follows the dancer's tempo", 1.0),
    ):
        if snap.get(key) is not None:
            yield GaugeMetricFamily(name, doc, value=float(snap[key]) * scale)
    if snap.get("last_progress_s") is not None:
        age = time.monotonic() - float(snap["last_progress_s"])
        yield GaugeMetricFamily("dance2music_last_progress_age_seconds",
                                "Seconds since the loop last completed an iteration", value=age)


def _counters(snap: dict):
    # CounterMetricFamily writes the sample as NAME_total.
    for key, name, doc in (
        ("frames_dropped", "dance2music_frames_dropped", "Frames dropped by capture"),
        ("deadline_misses", "dance2music_deadline_misses", "Notes decided after their deadline"),
        ("notes_played", "dance2music_notes_played", "Notes played"),
    ):
        if snap.get(key) is not None:
            yield CounterMetricFamily(name, doc, value=float(snap[key]))


def _platform_gauges(readings: dict):
    if readings.get("cpu_temperature_c") is not None:
        yield GaugeMetricFamily("dance2music_cpu_temperature_celsius", "CPU temperature",
                                value=readings["cpu_temperature_c"])
    flags = readings.get("throttling")
    if flags:
        throttled = GaugeMetricFamily("dance2music_throttled", "Pi firmware throttling flags",
                                      labels=["flag"])
        for flag, value in flags.items():
            if flag != "raw":
                throttled.add_metric([flag], 1.0 if value else 0.0)
        yield throttled


def exposition(snapshot: Callable[[], dict], platform: Callable[[], dict]) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(snapshot, platform))
    ProcessCollector(registry=registry)  # process_resident_memory_bytes, _cpu_seconds_total, ...
    return generate_latest(registry)
