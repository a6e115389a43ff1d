"""Mapping between the monotonic clock (frame timestamps) and the audio clock (samples
rendered). The audio tick jumps a period at each render, so the smallest (monotonic - audio)
offset seen recently is the render instant; two buckets let a slow drift (the sound card's
crystal against the CPU's) replace old minima."""

from __future__ import annotations

_BUCKET_NS = 10_000_000_000


class ClockMap:
    def __init__(self, ticks_per_s: int):
        self.ticks_per_s = ticks_per_s
        self._buckets: list[float] = []  # [previous, current] minima of mono - audio, ns
        self._bucket_end_ns = 0

    def observe(self, tick: int, mono_ns: int) -> None:
        offset = mono_ns - tick * 1e9 / self.ticks_per_s
        if mono_ns >= self._bucket_end_ns or not self._buckets:
            self._buckets = (self._buckets[-1:] or []) + [offset]
            self._bucket_end_ns = mono_ns + _BUCKET_NS
        else:
            self._buckets[-1] = min(self._buckets[-1], offset)

    @property
    def _offset_ns(self) -> float:
        return min(self._buckets)

    def tick_at(self, mono_ns: int) -> int:
        return int((mono_ns - self._offset_ns) * self.ticks_per_s / 1e9)

    def mono_at(self, tick: int) -> int:
        return int(tick * 1e9 / self.ticks_per_s + self._offset_ns)
