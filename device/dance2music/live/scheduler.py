"""Notes onto the sink at their grid ticks: struck, held or missed, never off the grid.

A note is sent only while the sink's rendering is held back (its render lock) and its onset is
still at least the guard ahead of the sink's clock; otherwise it is not sent at all and counts
as a miss, and the note before it holds. A note sent after its tick would sound at once, off
the grid (8,076 samples off, once, with both cores busy, before this check moved under the
lock)."""

from __future__ import annotations

import logging

from dance2music.live.grid import NoteSlot
from dance2music.live.seams import NoteEvent, NoteObserver, NoteSink
from dance2music.music.scale import MIDI_NOTES
from dance2music.synth.fluid import PIANO_CHANNEL
from dance2music.synth.sequencer import CUE_CHANNEL

log = logging.getLogger(__name__)

VELOCITY = 100


class NoteScheduler:
    def __init__(self, sink: NoteSink, stats, observers: list[NoteObserver]):
        self.sink = sink
        self.stats = stats
        self.observers = observers
        self.current: int | None = None  # note index sounding on the piano; None: silence
        self._last_slot: NoteSlot | None = None  # of the latest note event

    def _emit(self, event: NoteEvent) -> None:
        for observer in self.observers:
            observer(event)

    def play(self, slot: NoteSlot, note: int, decided: int | None) -> NoteEvent:
        """Play `note` (an index) from the slot's onset: struck if another note sounds, held
        if it is the same; a miss if it is too late to send."""
        onset = slot.onset_tick
        with self.sink.render_lock():
            now = self.sink.now()
            in_time = now < slot.send_by_tick
            struck = in_time and note != self.current
            if struck:
                if self.current is not None:
                    self.sink.note_off(onset, MIDI_NOTES[self.current], PIANO_CHANNEL)
                self.sink.note_on(onset, MIDI_NOTES[note], VELOCITY, PIANO_CHANNEL)
        self.stats.latency("schedule", (now - slot.boundary_tick) * 1000 / self.sink.ticks_per_s)
        if not in_time:
            return self.miss(slot, decided, now)
        if struck:
            self.stats.note_played()
        self.current, self._last_slot = note, slot
        event = NoteEvent("note", slot.n, slot.boundary_tick, onset, decided, note, struck,
                          False, MIDI_NOTES[note], VELOCITY, PIANO_CHANNEL)
        self._emit(event)
        return event

    def miss(self, slot: NoteSlot, decided: int | None, now_tick: int | None = None
             ) -> NoteEvent:
        """The decision for `slot` came too late: nothing is sent, the sounding note holds."""
        now = self.sink.now() if now_tick is None else now_tick
        self.stats.deadline_missed()
        log.debug("note %d missed: %.1f ms after its send-by time", slot.n,
                  (now - slot.send_by_tick) * 1000 / self.sink.ticks_per_s)
        held, self._last_slot = self.current, slot
        event = NoteEvent("note", slot.n, slot.boundary_tick, slot.onset_tick, decided, held,
                          False, True, None if held is None else MIDI_NOTES[held],
                          VELOCITY if held is not None else 0, PIANO_CHANNEL)
        self._emit(event)
        return event

    def cut(self, tick: int) -> int:
        """End the music at `tick`, or after the step of a note already scheduled from `tick`
        or later (a boundary is decided as soon as its frames are in, up to a frame early).
        Returns the tick the music ends."""
        last = self._last_slot
        if last is not None and last.onset_tick >= tick:
            tick = last.next_onset_tick
        if self.current is not None and self.sink.is_open:
            self.sink.note_off(tick, MIDI_NOTES[self.current], PIANO_CHANNEL)
        self.current = None
        return tick

    def fade(self, slot: NoteSlot, fade_ticks: int) -> None:
        """Fade the piano to silence from the slot's onset over `fade_ticks`."""
        self.sink.fade_out(slot.onset_tick, fade_ticks)
        self.current = None
        self._emit(NoteEvent("fade", slot.n, slot.boundary_tick, slot.onset_tick, None, None,
                             False, False))

    def cue(self, start_tick: int, notes: tuple[int, ...], step_ticks: int, velocity: int
            ) -> None:
        """A mode's motif on the cue channel from `start_tick`, one note per step."""
        for i, midi in enumerate(notes):
            on = start_tick + i * step_ticks
            self.sink.note_on(on, midi, velocity, CUE_CHANNEL)
            self.sink.note_off(on + step_ticks, midi, CUE_CHANNEL)
            self._emit(NoteEvent("cue", i, start_tick, on, None, None, True, False, midi,
                                 velocity, CUE_CHANNEL))

    def forget(self) -> None:
        """A new audio clock: nothing scheduled on the old one sounds any more."""
        self.current = self._last_slot = None
