"""The fixed-latency loop: the one place that wires capture, pose, composer and synth.

Every frame: pose -> 36-dim vector -> PoseGrid (30 fps slots on the audio clock). Notes lie on
a grid of k slots on the AUDIO clock (samples rendered). Note n is decided from the slots
before boundary n and scheduled at the absolute tick boundary + L (the fixed latency). A
decision finished after its deadline is counted as a miss and the previous note holds; the
grid never moves. Data flows one way; commands arrive only through the CommandQueue."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable

import numpy as np

from dance2music.capture.source import FrameSource
from dance2music.capture.thread import CaptureThread
from dance2music.config import LoopSettings
from dance2music.errors import Dance2MusicError
from dance2music.live.clock import ClockMap
from dance2music.live.history import PoseGrid
from dance2music.live.stats import LiveStats
from dance2music.modes.commands import CommandQueue
from dance2music.modes.cues import CUE_STEP_S, CUE_VELOCITY, CUES, cue_length_s
from dance2music.modes.machine import STANDBY, ModeMachine
from dance2music.music.beam import BeamSearch
from dance2music.music.composer import DEFAULT_K, CausalComposer
from dance2music.music.scale import FIRST_NOTE, MIDI_NOTES
from dance2music.pose.features import pose_vectors
from dance2music.synth.fluid import AudioError
from dance2music.synth.sequencer import CUE_CHANNEL

log = logging.getLogger(__name__)

GRID_FPS = 30
VELOCITY = 100
_GUARD_MS = 2.0  # an event must reach the sequencer this long before its tick
_FRAME_WAIT_S = 0.02
_AUDIO_STALL_S = 1.0  # the audio clock standing still this long: the output died


@dataclasses.dataclass(frozen=True)
class NoteEvent:
    """What happened at one grid boundary (or one cue note), for observers (tests, benchmark).
    `decided` is the composer's note (None: not decided: first note of a segment, replay, or
    skipped because already late); `played` the note sounding from `onset` (None: silence)."""

    kind: str  # "note", "cue" or "fade" (to silence over fade_ms from `onset`)
    n: int  # boundary index (cue: note of the motif)
    boundary: int  # audio tick
    onset: int  # audio tick = boundary + L
    decided: int | None
    played: int | None
    struck: bool  # a new note began at `onset` (False: the previous one sustains)
    missed: bool
    midi: int | None = None


class ReplayPlayer:
    """The replay mode: the last seconds of dance composed by beam search in a worker thread
    (the loop never waits for it), then played back in a loop."""

    def __init__(self, vectors: np.ndarray, k: int):
        self.notes: np.ndarray | None = None
        self._i = 0
        if len(vectors) >= 2 * k:
            threading.Thread(target=self._compose, args=(vectors, k), daemon=True,
                             name="replay-compose").start()
        else:
            log.info("replay: fewer than two notes of dance recorded; nothing to replay")

    def _compose(self, vectors: np.ndarray, k: int) -> None:
        self.notes = BeamSearch(k=k).compose(vectors)

    def next_note(self) -> int | None:
        notes = self.notes
        if notes is None:
            return None
        note = int(notes[self._i % len(notes)])
        self._i += 1
        return note


class LiveLoop:
    def __init__(self, source: FrameSource, estimator, sink, composer_for: Callable[
            [str], CausalComposer], settings: LoopSettings, stats: LiveStats,
            commands: CommandQueue, presence_threshold: float = 0.5,
            representation: str = "paper", reopen_max_backoff_s: float = 1.0,
            audio_retry_s: float = 2.0, on_mode: Callable[[str], None] | None = None,
            on_event: Callable[[NoteEvent], None] | None = None, k: int = DEFAULT_K):
        self.source, self.estimator, self.sink = source, estimator, sink
        self.composer_for = composer_for
        self.settings, self.stats, self.commands = settings, stats, commands
        self.presence_threshold = presence_threshold
        self.representation = representation
        self.reopen_max_backoff_s = reopen_max_backoff_s
        self.audio_retry_s = audio_retry_s
        self.on_mode = on_mode or (lambda mode: None)
        self.on_event = on_event or (lambda event: None)
        self.k = k
        self.machine = ModeMachine(settings.mode)
        self._stop = threading.Event()
        self._capture: CaptureThread | None = None
        self._grid: PoseGrid | None = None
        self._audio_error: str | None = None
        self._next_audio_try_ns = 0
        self._composer: CausalComposer | None = None
        self._replay: ReplayPlayer | None = None
        self._current: int | None = None  # note sounding (index), None = silence
        self._notes: list[int] = []  # notes played in this segment, held ones included
        self._playing = False
        self._resume_tick = 0

    # -- timing -----------------------------------------------------------------------------
    def _ticks(self, ms: float) -> int:
        return int(round(ms * self.sink.ticks_per_s / 1000))

    def _ms(self, ticks: float) -> float:
        return ticks * 1000 / self.sink.ticks_per_s

    def stop(self) -> None:
        """Ask the loop to end (signal handlers, other threads)."""
        self._stop.set()

    # -- lifecycle --------------------------------------------------------------------------
    def run(self, duration_s: float | None = None) -> None:
        end_ns = None if duration_s is None else time.monotonic_ns() + int(duration_s * 1e9)
        self._enter(self.machine.mode, cue=False)
        try:
            while not self._stop.is_set():
                for verb, arg in self.commands.drain():
                    new = self.machine.apply(verb, arg)
                    if new is not None:
                        self._enter(new, cue=True)
                if self.machine.mode == STANDBY:
                    self._idle()
                else:
                    self._step()
                self.stats.progress()
                if end_ns is not None and time.monotonic_ns() >= end_ns:
                    break
                if self._capture is not None and self._capture.ended:
                    log.info("the video ended")
                    break
        finally:
            self._shutdown()

    def _shutdown(self) -> None:
        if self._capture is not None:
            self._capture.close()
            self._capture = None
        self.sink.close()  # drops pending events and cuts every sounding note
        self.stats.component("audio", False, "stopped")

    def _enter(self, mode: str, cue: bool) -> None:
        """Start a mode: a fresh composer and note segment, the cue, the camera on or idle."""
        log.info("mode: %s", mode)
        self.stats.set(mode=mode)
        self.on_mode(mode)
        self._cut_music()
        self._resume_tick = 0
        if cue and self.sink.is_open:
            self._resume_tick = self._play_cue(mode)
        if mode == STANDBY:
            if self._capture is not None:
                self._capture.close()
                self._capture = None
                self.stats.component("camera", True, None)
            return
        self._replay = None
        if mode == "replay":
            frames = int(self.settings.replay_s * GRID_FPS)
            recorded = (self._grid.window(self._grid.filled, frames) if self._grid is not None
                        else np.empty((0, 36)))
            self._replay = ReplayPlayer(recorded, self.k)
        else:
            self._composer = self._make_composer(mode)
        if self._capture is None:
            self.estimator.reset()
            self._capture = CaptureThread(self.source, self.reopen_max_backoff_s).start()

    def _make_composer(self, mode: str) -> CausalComposer | None:
        try:
            composer = self.composer_for(mode)
        except Dance2MusicError as e:
            self.stats.component("composer", False, str(e))
            log.error("composer for %s: %s", mode, e)
            return None
        self.stats.component("composer", True)
        return composer

    def _play_cue(self, mode: str) -> int:
        start = self.sink.now() + self._ticks(self.settings.fixed_latency_ms)
        step = self._ticks(CUE_STEP_S * 1000)
        for i, midi in enumerate(CUES[mode]):
            self.sink.note_on(start + i * step, midi, CUE_VELOCITY, CUE_CHANNEL)
            self.sink.note_off(start + (i + 1) * step, midi, CUE_CHANNEL)
            self.on_event(NoteEvent("cue", i, start, start + i * step, None, None, True, False,
                                    midi))
        return start + self._ticks(cue_length_s(mode) * 1000) - self._ticks(
            self.settings.fixed_latency_ms)

    def _cut_music(self) -> None:
        """End the note playing (after those already scheduled) and start a new segment."""
        if self._current is not None and self.sink.is_open:
            self.sink.note_off(self.sink.now() + self._ticks(self.settings.fixed_latency_ms),
                               MIDI_NOTES[self._current])
        self._current = None
        self._notes = []
        self._playing = False

    def _idle(self) -> None:
        """Standby: camera closed, audio open for the cues; wait for a command."""
        self._ensure_audio()
        command = self.commands.wait(0.2)
        if command is not None:
            new = self.machine.apply(*command)
            if new is not None:
                self._enter(new, cue=True)

    # -- audio ------------------------------------------------------------------------------
    def _ensure_audio(self) -> bool:
        if self.sink.is_open:
            tick, now_ns = self.sink.now(), time.monotonic_ns()
            if tick != self._last_tick:
                self._last_tick, self._last_tick_ns = tick, now_ns
            elif now_ns - self._last_tick_ns > _AUDIO_STALL_S * 1e9:
                self._audio_failed("audio: the output stopped (clock stalled)")
                self.sink.close()
                return False
            return True
        if time.monotonic_ns() < self._next_audio_try_ns:
            return False
        try:
            self.sink.open()
        except AudioError as e:
            self._audio_failed(str(e))
            return False
        if self._audio_error is not None:
            log.info("audio: output open again")
        self._audio_error = None
        self.stats.component("audio", True)
        self._clock = ClockMap(self.sink.ticks_per_s)
        self._last_tick, self._last_tick_ns = self.sink.now(), time.monotonic_ns()
        self._grid = None  # a new synth is a new clock: a new grid
        self._cut_music()
        return True

    def _audio_failed(self, error: str) -> None:
        if error != self._audio_error:
            log.error("%s; retrying every %.1f s", error, self.audio_retry_s)
        self._audio_error = error
        self.stats.component("audio", False, error)
        self._next_audio_try_ns = time.monotonic_ns() + int(self.audio_retry_s * 1e9)
        self._grid = None

    # -- one iteration ----------------------------------------------------------------------
    def _step(self) -> None:
        audio = self._ensure_audio()
        frame = self._capture.take(_FRAME_WAIT_S)
        self.stats.set(frames_dropped=self._capture.dropped)
        self.stats.component("camera", self._capture.error is None, self._capture.error)
        if audio:
            now = self.sink.now()
            self._clock.observe(now, time.monotonic_ns())
            if self._grid is None:
                self._start_grid(now)
        if frame is not None:
            self._on_frame(frame)
        if audio:
            self._on_clock()

    def _start_grid(self, now: int) -> None:
        note_ticks = self._ticks(1000 * self.k / GRID_FPS)
        origin = (now // note_ticks + 1) * note_ticks
        keep = int(self.settings.replay_s * GRID_FPS) + self.k
        self._grid = PoseGrid(origin, note_ticks / self.k, keep)
        self._note_ticks = note_ticks
        self._n = 0  # next boundary to decide
        self._last_seen_tick: int | None = None

    def _on_frame(self, frame) -> None:
        start_ns = time.monotonic_ns()
        self.stats.latency("capture", (start_ns - frame.timestamp_ns) / 1e6)
        try:
            result = self.estimator.estimate(frame.image, frame.timestamp_ns / 1e9)
        except Dance2MusicError as e:
            self.stats.component("pose", False, str(e))
            return
        self.stats.component("pose", True)
        h, w = frame.image.shape[:2]
        vector = pose_vectors(result.keypoints[None], (w, h), self.representation)[0]
        self.stats.latency("pose", (time.monotonic_ns() - start_ns) / 1e6)
        self.stats.frame(frame.timestamp_ns)
        present = result.presence >= self.presence_threshold
        self.stats.set(person_present=bool(present))
        if self._grid is not None:
            tick = self._clock.tick_at(frame.timestamp_ns)
            if present:
                self._last_seen_tick = tick
            self._grid.add(tick, vector)

    def _on_clock(self) -> None:
        latency = self._ticks(self.settings.fixed_latency_ms)
        guard = self._ticks(_GUARD_MS)
        while True:
            n = self._n
            boundary = self._grid.origin_tick + n * self._note_ticks
            deadline = boundary + latency - guard
            # Frames later than half the latency are not waited for: the last one holds.
            ready = self._grid.filled >= n * self.k or self.sink.now() >= boundary + latency // 2
            if not ready:
                return
            self._grid.hold_until(n * self.k)
            self._boundary(n, boundary, deadline)
            self._n = n + 1

    def _boundary(self, n: int, boundary: int, deadline: int) -> None:
        onset = boundary + self._ticks(self.settings.fixed_latency_ms)
        if boundary < self._resume_tick:
            return  # a cue is playing
        note = decided = None
        if self.sink.now() < deadline:  # else too late even to decide: a miss
            note, decided = self._choose(n, boundary, onset)
            if note is None:
                return  # silence
        now = self.sink.now()
        self.stats.latency("schedule", self._ms(now - boundary))
        missed = now >= deadline
        if missed:
            if self._current is None:
                return  # silence holds: no note was due
            self.stats.count("deadline_misses")
            log.debug("note %d missed its deadline by %.1f ms", n, self._ms(now - deadline))
            note = self._current  # the previous note holds; the grid does not move
        struck = note != self._current
        if struck:
            if self._current is not None:
                self.sink.note_off(onset, MIDI_NOTES[self._current])
            self.sink.note_on(onset, MIDI_NOTES[note], VELOCITY)
            self.stats.count("notes_played")
        if n * self.k > 0:
            captured = self._grid.frame_tick(n * self.k - 1)
            self.stats.latency("end_to_end", self._ms(onset - captured))
        self._current = note
        self._notes.append(note)
        self.on_event(NoteEvent("note", n, boundary, onset, decided, note, struck, missed,
                                MIDI_NOTES[note]))

    def _choose(self, n: int, boundary: int, onset: int) -> tuple[int | None, int | None]:
        """(note for boundary n or None for silence, the composer's decision or None)."""
        if self.machine.mode == "replay":
            return (self._replay.next_note() if self._replay is not None else None), None
        seen = self._last_seen_tick
        if seen is None or boundary - seen > self._ticks(self.settings.absent_s * 1000):
            if self._playing:
                log.info("nobody in view: fading out")
                fade = self._ticks(self.settings.fade_ms)
                self.sink.fade_out(onset, fade)
                self.on_event(NoteEvent("fade", n, boundary, onset, None, None, False, False))
                # Music comes back only after the fade, at full volume.
                self._resume_tick = onset + fade - self._ticks(self.settings.fixed_latency_ms) + 1
            self._current, self._notes, self._playing = None, [], False
            return None, None
        if self._composer is None:
            return None, None
        if not self._playing:  # someone appeared: a new segment starts on the first note
            self._playing, self._segment_start = True, n
            self._composer.reset()
            return FIRST_NOTE, None
        composer = self._composer
        notes_known = min(len(self._notes), composer.history_notes, n - self._segment_start)
        frames = min(composer.history_frames, (n - self._segment_start) * self.k)
        recent = self._grid.window(n * self.k, frames)
        start_ns = time.monotonic_ns()
        note = int(composer.decide(recent, np.asarray(self._notes[len(self._notes) - notes_known:])))
        self.stats.latency("compose", (time.monotonic_ns() - start_ns) / 1e6)
        return note, note
