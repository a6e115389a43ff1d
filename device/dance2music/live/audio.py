"""The audio output as the loop sees it: opened, retried with backoff when it fails, declared
dead when its clock stands still, reported (not reopened) while it plays but cannot keep what
it plays, and the map between its clock (samples rendered) and the monotonic clock that
stamps camera frames."""

from __future__ import annotations

import logging

from dance2music.live.clock import ClockMap
from dance2music.live.seams import Clock, NoteSink
from dance2music.synth.fluid import AudioError

log = logging.getLogger(__name__)

STALL_S = 1.0  # the audio clock standing still this long: the output died
FIRST_RETRY_S = 0.1


class AudioOutput:
    """`ready()` each iteration: True while the sink plays. Each (re)open starts a new audio
    clock: `generation` counts them, so the loop lays a new grid."""

    def __init__(self, sink: NoteSink, clock: Clock, max_retry_s: float,
                 on_state=lambda ok, error: None):
        self.sink = sink
        self.clock = clock
        self.max_retry_s = max_retry_s
        self.on_state = on_state  # (ok, error) on every change, for the stats
        self.error: str | None = "not started"
        self.generation = 0
        self._retry_s = FIRST_RETRY_S
        self._next_try_ns = 0
        self._map: ClockMap | None = None
        self._last_tick = 0
        self._last_tick_ns = 0

    @property
    def ticks_per_s(self) -> int:
        return self.sink.ticks_per_s

    def ready(self) -> bool:
        """Open (or retry opening) the output, check that its clock moves, map the clocks."""
        if self.sink.is_open:
            # The tick first, then the time: a pause between the two reads then only makes
            # this offset larger, and the map keeps the smallest (ClockMap).
            tick = self.sink.now()
            now_ns = self.clock.monotonic_ns()
            if tick != self._last_tick:
                self._last_tick, self._last_tick_ns = tick, now_ns
            elif now_ns - self._last_tick_ns > STALL_S * 1e9:
                self._failed("audio: the output stopped (clock stalled)", now_ns)
                self.sink.close()
                return False
            self._map.observe(tick, now_ns)
            self._playing_with(self.sink.output_error)
            return True
        now_ns = self.clock.monotonic_ns()
        if now_ns < self._next_try_ns:
            return False
        try:
            self.sink.open()
        except AudioError as e:
            self._failed(str(e), now_ns)
            return False
        if self.error not in (None, "not started"):
            log.info("audio: output open again")
        self.error, self._retry_s = None, FIRST_RETRY_S
        self.on_state(True, None)
        self.generation += 1
        self._map = ClockMap(self.sink.ticks_per_s)
        self._last_tick = self.sink.now()
        self._last_tick_ns = self.clock.monotonic_ns()
        self._map.observe(self._last_tick, self._last_tick_ns)
        return True

    def _playing_with(self, error: str | None) -> None:
        """An output that plays but cannot keep what it plays (a full disk) is reported, not
        reopened: the sink retries writing on its own while the music goes on."""
        if error != self.error:
            self.error = error
            self.on_state(error is None, error)

    def _failed(self, error: str, now_ns: int) -> None:
        if error != self.error:
            log.error("%s; retrying (every %.1f s at most)", error, self.max_retry_s)
        self.error = error
        self.on_state(False, error)
        self._next_try_ns = now_ns + int(self._retry_s * 1e9)
        self._retry_s = min(self._retry_s * 2, self.max_retry_s)

    def tick_at(self, mono_ns: int) -> int:
        """The audio tick at a monotonic instant (a frame's capture time)."""
        return self._map.tick_at(mono_ns)

    def mono_at(self, tick: int) -> int:
        """The monotonic instant an audio tick sounds (for outputs beside the speaker)."""
        return self._map.mono_at(tick)

    def ticks(self, ms: float) -> int:
        return int(round(ms * self.sink.ticks_per_s / 1000))

    def close(self) -> None:
        self.sink.close()  # drops pending events and cuts every sounding note
        self.error = "stopped"
        self.on_state(False, "stopped")
