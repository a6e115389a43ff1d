"""Is someone dancing? Presence on the audio clock, and the fade when nobody is in view.

Music plays while someone was seen within `absent_s` of a boundary. When nobody was, the piano
fades to silence over `fade_ms` from that boundary's onset; music comes back only after the
fade has ended, at full volume, starting a new segment."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class Presence:
    def __init__(self, absent_ticks: int, fade_ticks: int):
        self.absent_ticks = absent_ticks
        self.fade_ticks = fade_ticks
        self.last_seen_tick: int | None = None
        self.fading_until_tick = 0  # no new note has its onset before this

    def seen(self, tick: int) -> None:
        """Someone was in the frame captured at `tick`."""
        self.last_seen_tick = tick

    def away(self, boundary_tick: int) -> bool:
        """Nobody seen for `absent_s` before this boundary (or never)."""
        return (self.last_seen_tick is None
                or boundary_tick - self.last_seen_tick > self.absent_ticks)

    def fade_from(self, onset_tick: int) -> None:
        log.info("nobody in view: fading out")
        self.fading_until_tick = onset_tick + self.fade_ticks + 1

    def quiet_at(self, onset_tick: int) -> bool:
        """A fade is still running at this onset."""
        return onset_tick < self.fading_until_tick

    def forget(self) -> None:
        """A new audio clock or a camera reopened: nobody seen yet."""
        self.last_seen_tick = None
        self.fading_until_tick = 0
