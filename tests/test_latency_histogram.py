"""The latency histograms behind /metrics: cumulative buckets in seconds."""

import pytest

from dance2music.live.histogram import LatencyHistogram
from dance2music.live.stats import LiveStats


def test_latency_histogram_buckets_are_cumulative_in_seconds():
    stats = LiveStats(fixed_latency_ms=100)
    for ms in (4.0, 5.0, 30.0, 5000.0):
        stats.latency("pose", ms)
    pose = stats.snapshot()["latency_histograms"]["pose"]
    buckets = dict((str(bound), n) for bound, n in pose["buckets"])
    assert (buckets["0.0025"], buckets["0.005"], buckets["0.03"], buckets["2.5"]) == (0, 2, 3, 3)
    assert buckets["+Inf"] == pose["count"] == 4 and pose["sum_s"] == pytest.approx(5.039)


def test_bounds_must_increase():
    with pytest.raises(ValueError):
        LatencyHistogram((0.1, 0.05))
