"""Which note each boundary gets in the current mode: the mode's causal composer (or its
fallback when it cannot be loaded), or the replay of the recorded dance.

A segment of music starts on FIRST_NOTE once someone is in view and its first note sounded;
each later note is decided from the segment's last poses and notes (bounded: only what the
composer reads is kept)."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable

import numpy as np

from dance2music.errors import Dance2MusicError
from dance2music.live.grid import NoteSlot, Timeline
from dance2music.live.tempo_grid import TempoTimeline
from dance2music.live.seams import Clock, LiveComposer, NoteEvent
from dance2music.modes.table import REPLAY, Mode
from dance2music.music.replay import ReplayComposer
from dance2music.music.scale import FIRST_NOTE

log = logging.getLogger(__name__)


class Decider:
    def __init__(self, composer_for: Callable[[str], LiveComposer], stats, clock: Clock,
                 k: int):
        self.composer_for = composer_for  # registry name -> a fresh causal composer
        self.stats = stats
        self.clock = clock
        self.k = k
        self.composer: LiveComposer | None = None
        self.replay = ReplayComposer(k)
        self._mode: Mode | None = None
        self._logged_fallback: str | None = None
        self.segment_start: int | None = None  # boundary of the segment's first note
        self.notes: deque[int] = deque(maxlen=1)

    # -- modes ------------------------------------------------------------------------------
    def use(self, mode: Mode, timeline: Timeline | TempoTimeline | None, replay_s: float
            ) -> None:
        """Enter `mode`: a fresh composer, or a replay of the timeline's last `replay_s` of
        dance; the timeline, when laid, waits for the new composer's lookahead."""
        self._mode = mode
        self.end_segment()
        self.replay.cancel()
        self.composer = None
        if mode.name == REPLAY:
            self.replay.start(timeline.recorded(replay_s) if timeline is not None
                              else np.empty((0, 36)))
        elif mode.composer is not None:
            self.composer = self._load(mode)
        if self.composer is not None:
            self.notes = deque(maxlen=max(1, self.composer.history_notes))
        if timeline is not None:
            timeline.look_ahead(self.lookahead_frames)

    def _load(self, mode: Mode) -> LiveComposer | None:
        try:
            composer = self.composer_for(mode.composer)
        except Dance2MusicError as e:
            if mode.fallback is None:
                log.error("composer for %s: %s", mode.name, e)
                self.stats.component("composer", False, str(e))
                return None
            why = f"{mode.name}: {mode.composer} unavailable ({e}); playing {mode.fallback}"
            if why != self._logged_fallback:  # once, not at every entry into the mode
                log.warning("%s", why)
                self._logged_fallback = why
            self.stats.component("composer", True, degraded=why)
            return self.composer_for(mode.fallback)
        self.stats.component("composer", True)
        return composer

    def idle(self) -> None:
        """Standby: nothing decided; the composer is not needed (and not a fault)."""
        self._mode = None
        self.end_segment()
        self.replay.cancel()
        self.composer = None
        self.stats.component("composer", True, idle=True)

    @property
    def lookahead_frames(self) -> int:
        """The composer's lookahead d (0 in replay and standby)."""
        return self.composer.lookahead_frames if self.composer is not None else 0

    # -- notes ------------------------------------------------------------------------------
    def end_segment(self) -> None:
        self.segment_start = None
        self.notes.clear()

    def decide(self, slot: NoteSlot, timeline: Timeline | TempoTimeline
               ) -> tuple[int | None, int | None]:
        """(note index for the slot or None for silence, the composer's own decision)."""
        if self._mode is not None and self._mode.name == REPLAY:
            return self.replay.next_note(), None
        if self.composer is None:
            return None, None
        if self.segment_start is None:  # someone appeared: a segment starts
            self.composer.reset()
            return FIRST_NOTE, None
        # The composer's own slicer, as offline: nothing from before the segment began.
        start, end = self.composer.frame_span(slot.n, first=self.segment_start * self.k)
        recent = timeline.composer_poses(slot, end - start)
        start_ns = self.clock.monotonic_ns()
        note = int(self.composer.decide(recent, np.fromiter(self.notes, dtype=np.int64)))
        self.stats.latency("compose", (self.clock.monotonic_ns() - start_ns) / 1e6)
        return note, note

    def record(self, event: NoteEvent) -> None:
        """What sounded at a boundary: the history the next decisions see."""
        if event.played is None:
            return
        if self.segment_start is None:
            self.segment_start = event.n
        self.notes.append(event.played)

    def close(self) -> None:
        self.replay.close()
