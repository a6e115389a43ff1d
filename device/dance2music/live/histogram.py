"""A latency histogram with Prometheus's cumulative buckets (upper bounds in seconds), so a
scraper can aggregate and compute quantiles over any window, which p50/p99 of a sliding window
cannot give. Not thread-safe: LiveStats updates and reads it under its lock."""

from __future__ import annotations

import bisect

# Bounds around the live path's figures: pose ~10-30 ms per frame, onsets ~L = 100 ms after
# their boundary; the last bounds catch a stalled stage.
LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.125, 0.15,
                     0.2, 0.3, 0.5, 1.0, 2.5)


class LatencyHistogram:
    def __init__(self, bounds_s: tuple[float, ...] = LATENCY_BUCKETS_S):
        if list(bounds_s) != sorted(set(bounds_s)):
            raise ValueError(f"bucket bounds must increase strictly, got {bounds_s}")
        self.bounds_s = bounds_s
        self._counts = [0] * (len(bounds_s) + 1)  # the last one: above every bound (+Inf)
        self.sum_s = 0.0

    def observe(self, seconds: float) -> None:
        self._counts[bisect.bisect_left(self.bounds_s, seconds)] += 1  # le: value <= bound
        self.sum_s += seconds

    @property
    def count(self) -> int:
        return sum(self._counts)

    def as_dict(self) -> dict:
        """{"buckets": [[upper bound s or "+Inf", cumulative count], ...], "sum_s", "count"}."""
        running, buckets = 0, []
        for bound, n in zip((*self.bounds_s, "+Inf"), self._counts):
            running += n
            buckets.append([bound, running])
        return {"buckets": buckets, "sum_s": round(self.sum_s, 6), "count": running}
