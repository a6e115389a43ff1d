"""The fixed-latency loop: the one place that wires the rooms together (docs/live-loop.md).

Each step: commands -> mode; the audio output (open, retried, its clock mapped); the poses the
pose thread computed (capture -> perception, off this thread) -> the pose slots on the audio
clock; then every note boundary whose frames are in (or waited for long enough): presence ->
decider -> scheduler. Data flows one way; commands arrive only through the CommandQueue."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable, Sequence

from dance2music.config import LoopSettings
from dance2music.live.audio import AudioOutput
from dance2music.live.camera import Camera
from dance2music.live.decider import Decider
from dance2music.live.grid import GRID_FPS, NoteSlot, Timeline
from dance2music.live.perception import Perception, PoseThread
from dance2music.live.presence import Presence
from dance2music.live.scheduler import NoteScheduler
from dance2music.live.seams import (Clock, FrameFeed, LiveComposer, MonotonicClock, NoteObserver,
                                    NoteSink, PoseEstimator, PoseFeed)
from dance2music.live.sound_desk import SoundDesk
from dance2music.live.tempo_grid import TempoTimeline, lay_timeline
from dance2music.modes.commands import SOUND_VERBS, Command, CommandQueue
from dance2music.modes.machine import ModeMachine
from dance2music.modes.table import MODES
from dance2music.music.composer import DEFAULT_K, LONGEST_HISTORY_NOTES
from dance2music.sound.live import LiveSound
from dance2music.sound.movement import motion_before

log = logging.getLogger(__name__)

# How long a step waits for poses: a boundary whose frames are late is decided at most this
# long after its wait expired (it expires 32 ms before the send-by time at L = 100 ms, d = 1).
POSE_WAIT_S = 0.005
IDLE_WAIT_S = 0.2  # standby: how long a step waits for a command


class LiveLoop:
    def __init__(self, open_feed: Callable[[], FrameFeed], estimator: PoseEstimator,
                 sink: NoteSink, composer_for: Callable[[str], LiveComposer],
                 settings: LoopSettings, stats, commands: CommandQueue, *,
                 presence_threshold: float = 0.5, representation: str = "paper",
                 audio_retry_s: float = 2.0, clock: Clock | None = None,
                 observers: Sequence[NoteObserver] = (),
                 on_mode: Callable[[str], None] = lambda mode: None, k: int = DEFAULT_K,
                 stopping: threading.Event | None = None, sound: LiveSound | None = None,
                 pose_feed: Callable[[FrameFeed, Perception], PoseFeed] = PoseThread):
        self.sink, self.settings = sink, settings
        self.stats, self.commands, self.on_mode, self.k = stats, commands, on_mode, k
        self.clock = clock or MonotonicClock()
        self.machine = ModeMachine(settings.mode)
        self.audio = AudioOutput(sink, self.clock, audio_retry_s,
                                 on_state=lambda ok, error: stats.component("audio", ok, error))
        self.perception = Perception(estimator, representation, presence_threshold, stats,
                                     self.clock)
        self.camera = Camera(open_feed, pose_feed, self.perception, stats)
        self.decider = Decider(composer_for, stats, self.clock, k)
        self.sound = sound or LiveSound()  # default: the paper's piano melody
        self.scheduler = NoteScheduler(sink, stats, [*observers, self.decider.record], self.sound)
        self.desk = SoundDesk(sink, self.audio, self.scheduler, self.sound, stats,
                              settings.fixed_latency_ms)
        self.presence = Presence(self.audio.ticks(settings.absent_s * 1000),
                                 self.audio.ticks(settings.fade_ms))
        self.idle_wait_s = IDLE_WAIT_S
        self.timeline: Timeline | TempoTimeline | None = None  # laid once the audio clock runs
        self._generation = 0  # the audio clock the timeline lies on
        self._stop = stopping or threading.Event()  # set: the loop ends at its next step
        self.source_ended = False  # run() ended because the video did (no loop_video)

    def stop(self) -> None:
        """Ask the loop to end (signal handlers, other threads)."""
        self._stop.set()

    def run(self, duration_s: float | None = None) -> None:
        end_ns = None if duration_s is None else self.clock.monotonic_ns() + int(duration_s * 1e9)
        # A full garbage collection holds the GIL, so every thread, for as long as it scans:
        # what is alive now (modules, models) lives as long as the loop, so it is collected
        # once and frozen out of every later collection (benchmarks/live_run.py measures both).
        gc.collect()
        gc.freeze()
        try:
            self.enter(self.machine.mode, cue=False)
            while not self._stop.is_set():
                self.step()
                if end_ns is not None and self.clock.monotonic_ns() >= end_ns:
                    break
                if self.camera.ended:
                    self.source_ended = True
                    break
        finally:
            self.close()
            gc.unfreeze()

    def step(self) -> None:
        """One iteration: commands, audio, the poses since the last step, the boundaries due."""
        self._apply(self.commands.drain())
        audio = self.audio.ready()
        if audio and self._generation != self.audio.generation:
            self._generation = self.audio.generation  # a new synth: a new clock
            self.scheduler.forget()
            self.desk.new_output()
            self.timeline = None
        if not self.camera.is_open:  # standby: wait for a command
            command = self.commands.wait(self.idle_wait_s) if self.idle_wait_s else None
            self._apply([command] if command else [])
        else:
            self._perceive(audio)
        if audio and self.timeline is not None:
            for slot in self.timeline.due(self.sink.now):
                self._boundary(slot)
        self.stats.progress()

    def _apply(self, commands: list[Command]) -> None:
        for command in commands:
            if command.verb in SOUND_VERBS:
                self.desk.command(command)
                continue
            new = self.machine.apply(command.verb, command.mode)
            if new is not None:
                self.enter(new, cue=True)

    def enter(self, name: str, cue: bool) -> None:
        """Start a mode: its cue, a fresh composer (or the replay), the camera on or closed."""
        mode = MODES[name]
        log.info("mode: %s", name)
        self.stats.set_mode(name)
        self.on_mode(name)
        self.desk.announce(mode.cue if cue else None)
        if not mode.makes_music:  # standby: the audio stays open for the cues
            self.camera.standby()
            self.decider.idle()
            self.timeline = None  # on wake: laid from then on
            return
        self.decider.use(mode, self.timeline, self.settings.replay_s)
        self.camera.open()

    def _perceive(self, audio: bool) -> None:
        seen_all = self.camera.take(POSE_WAIT_S)
        if audio and self.timeline is None:
            s = self.settings
            keep_s = max(s.replay_s, LONGEST_HISTORY_NOTES * self.k / GRID_FPS)
            self.timeline = lay_timeline(s.grid, self.sink.now(), self.sink.ticks_per_s, self.k,
                                         s.fixed_latency_ms, self.decider.lookahead_frames,
                                         keep_s)
            self.presence.forget()
            self.decider.end_segment()
        if self.timeline is None:
            return
        for seen in seen_all:
            tick = self.audio.tick_at(seen.frame.timestamp_ns)
            if seen.present:
                self.presence.seen(tick)
            self.timeline.add(tick, seen)

    def _boundary(self, slot: NoteSlot) -> None:
        if self.timeline.estimate is not None:
            self.stats.set_tempo(self.timeline.estimate)
        if self.desk.cue_playing(slot.onset_tick) or self.presence.quiet_at(slot.onset_tick):
            return  # a cue or a fade is playing
        if self.sink.now() >= slot.send_by_tick:  # too late even to decide
            if self.decider.segment_start is not None:
                self.scheduler.miss(slot, None)
            return
        if self.decider.composer is not None and self.presence.away(slot.boundary_tick):
            if self.decider.segment_start is not None:
                self.scheduler.fade(slot, self.presence.fade_ticks)
                self.presence.fade_from(slot.onset_tick)
            return self.decider.end_segment()
        note, decided = self.decider.decide(slot, self.timeline)
        if note is None:
            return
        poses = self.timeline.poses
        captured = poses.frame_tick(slot.frames_needed - 1) if slot.frames_needed else None
        self.scheduler.play(slot, note, decided,
                            motion_before(poses, slot.frames_needed, self.k, GRID_FPS), captured)

    def close(self) -> None:
        self.camera.close()
        self.audio.close()
        self.decider.close()
        self.sound.close()
