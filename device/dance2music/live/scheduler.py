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
from dance2music.sound.live import LiveSound
from dance2music.sound.movement import IntervalMotion
from dance2music.sound.worlds import MELODY_CHANNEL
from dance2music.synth.sequencer import CUE_CHANNEL

log = logging.getLogger(__name__)


class NoteScheduler:
    """Plays the note indices through the current world's arranger (melody, its layers and
    the accompaniment, velocities from the dance); observers see each boundary ("note") and
    every event sent ("voice": velocity 0 ends a note)."""

    def __init__(self, sink: NoteSink, stats, observers: list[NoteObserver],
                 sound: LiveSound | None = None):
        self.sink = sink
        self.stats = stats
        self.observers = observers
        self.sound = sound or LiveSound()
        self.current: int | None = None  # note index of the melody; None: silence
        self._last_slot: NoteSlot | None = None  # of the latest note event

    def _ms(self, ticks: int) -> float:
        return ticks * 1000 / self.sink.ticks_per_s

    def _emit(self, event: NoteEvent) -> None:
        for observer in self.observers:
            observer(event)

    def play(self, slot: NoteSlot, note: int, decided: int | None,
             motion: IntervalMotion | None = None, captured_tick: int | None = None
             ) -> NoteEvent:
        """Play `note` (an index) from the slot's onset: struck if another note sounds, held
        if it is the same; a miss if it is too late to send. `motion`: the interval's, for
        the velocity and the chords; `captured_tick`: when the newest frame the decision saw
        was captured (its end-to-end latency is recorded)."""
        onset = slot.onset_tick
        arranger = self.sound.arranger
        with self.sink.render_lock():
            now = self.sink.now()
            in_time = now < slot.send_by_tick
            struck = in_time and note != self.current
            events = arranger.step(slot.n, note, motion) if in_time else []
            for e in events:
                if e.is_on:
                    self.sink.note_on(onset, e.midi, e.velocity, e.channel)
                else:
                    self.sink.note_off(onset, e.midi, e.channel)
        self.stats.latency("schedule", self._ms(now - slot.boundary_tick))
        if in_time:
            event = self._played(slot, note, decided, struck, events, captured_tick)
        else:
            event = self.miss(slot, decided, now)
        self.sound.motion(motion)  # to the outputs, after the note, with its velocity
        return event

    def _played(self, slot: NoteSlot, note: int, decided: int | None, struck: bool,
                events: list, captured_tick: int | None) -> NoteEvent:
        if struck:
            self.stats.note_played()
        if captured_tick is not None:
            self.stats.latency("end_to_end", self._ms(slot.onset_tick - captured_tick))
        self.current, self._last_slot = note, slot
        world = self.sound.world
        event = NoteEvent("note", slot.n, slot.boundary_tick, slot.onset_tick, decided, note,
                          struck, False, world.melody_midi(note),
                          self.sound.arranger.last_velocity, MELODY_CHANNEL)
        self._emit(event)
        for e in events:
            self._emit(NoteEvent("voice", slot.n, slot.boundary_tick, slot.onset_tick, None,
                                 None, e.is_on, False, e.midi, e.velocity, e.channel))
        return event

    def miss(self, slot: NoteSlot, decided: int | None, now_tick: int | None = None
             ) -> NoteEvent:
        """The decision for `slot` came too late: nothing is sent, the sounding note holds."""
        now = self.sink.now() if now_tick is None else now_tick
        self.stats.deadline_missed()
        log.debug("note %d missed: %.1f ms after its send-by time", slot.n,
                  self._ms(now - slot.send_by_tick))
        held, self._last_slot = self.current, slot
        event = NoteEvent("note", slot.n, slot.boundary_tick, slot.onset_tick, decided, held,
                          False, True,
                          None if held is None else self.sound.world.melody_midi(held),
                          self.sound.arranger.last_velocity if held is not None else 0,
                          MELODY_CHANNEL)
        self._emit(event)
        return event

    def cut(self, tick: int) -> int:
        """End the music at `tick`, or after the step of a note already scheduled from `tick`
        or later (a boundary is decided as soon as its frames are in, up to a frame early).
        Returns the tick the music ends."""
        last = self._last_slot
        if last is not None and last.onset_tick >= tick:
            tick = last.next_onset_tick
        offs = self.sound.arranger.finish()
        if self.sink.is_open:
            for e in offs:
                self.sink.note_off(tick, e.midi, e.channel)
        self.current = None
        return tick

    def fade(self, slot: NoteSlot, fade_ticks: int) -> None:
        """Fade the piano to silence from the slot's onset over `fade_ticks`."""
        self.sink.fade_out(slot.onset_tick, fade_ticks)
        self.sound.arranger.finish()  # the fade cuts every voice
        self.current = None
        self._emit(NoteEvent("fade", slot.n, slot.boundary_tick, slot.onset_tick, None, None,
                             False, False))

    def cue(self, start_tick: int, notes: tuple[int, ...], step_ticks: int, velocity: int,
            channel: int = CUE_CHANNEL) -> None:
        """A motif from `start_tick`, one note per step: a mode's on the cue channel, a
        world's on its own melody instrument."""
        for i, midi in enumerate(notes):
            on = start_tick + i * step_ticks
            self.sink.note_on(on, midi, velocity, channel)
            self.sink.note_off(on + step_ticks, midi, channel)
            self._emit(NoteEvent("cue", i, start_tick, on, None, None, True, False, midi,
                                 velocity, channel))

    def forget(self) -> None:
        """A new audio clock: nothing scheduled on the old one sounds any more."""
        self.sound.arranger.finish()
        self.current = self._last_slot = None
