"""The fixed-latency loop: the one place that wires the rooms together (docs/live-loop.md).

Each step: commands -> mode; the audio output (open, retried, its clock mapped); the poses the
pose thread computed (capture -> perception, off this thread) -> the pose slots on the audio
clock; then every note boundary whose frames are in (or waited for long enough): presence ->
decider -> scheduler. Data flows one way; commands arrive only through the CommandQueue."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

import numpy as np

from dance2music.config import LoopSettings
from dance2music.live.audio import AudioOutput
from dance2music.live.decider import Decider
from dance2music.live.grid import GRID_FPS, NoteSlot, Timeline
from dance2music.live.perception import Perception, PoseThread
from dance2music.live.presence import Presence
from dance2music.live.scheduler import NoteScheduler
from dance2music.live.tempo_grid import TempoTimeline
from dance2music.live.seams import (Clock, FrameFeed, LiveComposer, MonotonicClock, NoteObserver,
                                    NoteSink, PoseEstimator, PoseFeed)
from dance2music.modes.commands import SOUND_VERBS, Command, CommandQueue
from dance2music.modes.machine import ModeMachine
from dance2music.modes.table import CUE_STEP_S, CUE_TAIL_S, CUE_VELOCITY, MODES, REPLAY
from dance2music.music.composer import DEFAULT_K
from dance2music.sound.live import LiveSound
from dance2music.sound.movement import BEAT_DELAY_FRAMES, interval_motion
from dance2music.sound.worlds import MELODY_CHANNEL, WORLD_NAMES
from dance2music.synth.sequencer import CUE_CHANNEL

log = logging.getLogger(__name__)

# How long a step waits for poses: a boundary whose frames are late is decided at most this
# long after its wait expired (it expires 32 ms before the send-by time at L = 100 ms, d = 1).
POSE_WAIT_S = 0.005
IDLE_WAIT_S = 0.2  # standby: how long a step waits for a command
MOTION_CONTEXT_FRAMES = 1 + 2 * BEAT_DELAY_FRAMES  # before an interval, for speeds and beats


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
        self.open_feed, self.pose_feed = open_feed, pose_feed
        self.sink, self.settings = sink, settings
        self.stats, self.commands, self.on_mode, self.k = stats, commands, on_mode, k
        self.clock = clock or MonotonicClock()
        self.machine = ModeMachine(settings.mode)
        self.audio = AudioOutput(sink, self.clock, audio_retry_s,
                                 on_state=lambda ok, error: stats.component("audio", ok, error))
        self.perception = Perception(estimator, representation, presence_threshold, stats,
                                     self.clock)
        self.decider = Decider(composer_for, stats, self.clock, k)
        self.sound = sound or LiveSound()  # default: the paper's piano melody
        self.scheduler = NoteScheduler(sink, stats, [*observers, self.decider.record], self.sound)
        self.presence = Presence(self.audio.ticks(settings.absent_s * 1000),
                                 self.audio.ticks(settings.fade_ms))
        self.idle_wait_s = IDLE_WAIT_S
        self.feed: PoseFeed | None = None  # None: standby
        self.timeline: Timeline | None = None  # laid once the audio clock runs
        self._generation = 0  # the audio clock the timeline lies on
        self._cue_end_tick = 0  # no note before this onset: a cue is playing
        self._stop = stopping or threading.Event()  # set: the loop ends at its next step
        self.source_ended = False  # run() ended because the video did (no loop_video)

    def stop(self) -> None:
        """Ask the loop to end (signal handlers, other threads)."""
        self._stop.set()

    def run(self, duration_s: float | None = None) -> None:
        end_ns = None if duration_s is None else self.clock.monotonic_ns() + int(duration_s * 1e9)
        self.enter(self.machine.mode, cue=False)
        try:
            while not self._stop.is_set():
                self.step()
                if end_ns is not None and self.clock.monotonic_ns() >= end_ns:
                    break
                if self.feed is not None and self.feed.ended:
                    self.source_ended = True
                    break
        finally:
            self.close()

    def step(self) -> None:
        """One iteration: commands, audio, one frame (or none), the boundaries that are due."""
        self._apply(self.commands.drain())
        audio = self.audio.ready()
        if audio and self._generation != self.audio.generation:
            self._generation = self.audio.generation  # a new synth: a new clock
            self.scheduler.forget()
            self.sound.apply_to(self.sink)
            self._show_sound()
            self.timeline = None
        if self.feed is None:  # standby: wait for a command
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
                self._sound_command(command)
                continue
            new = self.machine.apply(command.verb, command.mode)
            if new is not None:
                self.enter(new, cue=True)

    def _sound_command(self, command: Command) -> None:
        """'world NAME|next': the new world announces itself with its cue on its own
        instrument; 'volume ...': from the next audio block, kept across restarts."""
        if command.verb == "volume":
            self.sound.set_volume(*command.volume)
            if self.sink.is_open:
                self.sound.apply_to(self.sink)
        else:
            start = self._cut() if self.sink.is_open else None  # the old world's voices
            self.sound.set_world(command.sound)
            if start is not None:
                self.sound.apply_to(self.sink)
                self._cue(start, self.sound.cue(), MELODY_CHANNEL)
        self._show_sound()

    def _cut(self) -> int:
        """End the music (after what is already scheduled); returns the tick it ends at."""
        return self.scheduler.cut(self.sink.now() + self.audio.ticks(
            self.settings.fixed_latency_ms))

    def _cue(self, start: int, notes: tuple[int, ...], channel: int = CUE_CHANNEL) -> None:
        """A motif from `start`; the music resumes after it and its tail."""
        step = self.audio.ticks(CUE_STEP_S * 1000)
        self.scheduler.cue(start, notes, step, CUE_VELOCITY, channel)
        self._cue_end_tick = start + len(notes) * step + self.audio.ticks(CUE_TAIL_S * 1000)

    def _show_sound(self) -> None:
        self.stats.set_sound(self.sound.world.name, WORLD_NAMES, self.sound.volume_db)

    def enter(self, name: str, cue: bool) -> None:
        """Start a mode: its cue, a fresh composer (or the replay), the camera on or closed."""
        mode = MODES[name]
        log.info("mode: %s", name)
        self.stats.set_mode(name)
        self.on_mode(name)
        if self.sink.is_open:
            start = self._cut()
            if cue:
                self._cue(start, mode.cue)
        if not mode.makes_music:
            return self._standby()
        recorded = np.empty((0, 36))
        if name == REPLAY and self.timeline is not None:
            recorded = self.timeline.recorded(self.settings.replay_s)
        self.decider.use(mode, recorded)
        if self.timeline is not None:
            self.timeline.look_ahead(self.decider.lookahead_frames)
        if self.feed is None:
            self.perception.reset()
            self.feed = self.pose_feed(self.open_feed(), self.perception)

    def _standby(self) -> None:
        """Camera closed, nothing decided; the audio stays open for the cues."""
        if self.feed is not None:
            self.feed.close()
            self.feed = None
        self.decider.idle()
        self.stats.component("camera", True, idle=True)
        self.stats.component("pose", True, idle=True)
        self.stats.set_person_present(False)
        self.timeline = None  # on wake: laid from then on

    def _perceive(self, audio: bool) -> None:
        seen_all = self.feed.take(POSE_WAIT_S)
        self.stats.set_frames_dropped(self.feed.dropped)
        self.stats.component("camera", self.feed.error is None, self.feed.error)
        if audio and self.timeline is None:
            self.timeline = self._new_timeline()
            self.presence.forget()
            self.decider.end_segment()
        if self.timeline is None:
            return
        for seen in seen_all:
            tick = self.audio.tick_at(seen.frame.timestamp_ns)
            if seen.present:
                self.presence.seen(tick)
            self.timeline.add(tick, seen)

    def _new_timeline(self) -> Timeline | TempoTimeline:
        """The note grid on the audio clock: fixed, or following the dancer's tempo."""
        if self.settings.grid == "tempo":
            return TempoTimeline(self.sink.now(), self.sink.ticks_per_s, self.k,
                                 self.settings.fixed_latency_ms, self.decider.lookahead_frames,
                                 self.settings.replay_s)
        return Timeline(self.sink.now(), self.sink.ticks_per_s, self.k,
                        self.settings.fixed_latency_ms, self.decider.lookahead_frames,
                        self.settings.replay_s)

    def _boundary(self, slot: NoteSlot) -> None:
        if isinstance(self.timeline, TempoTimeline):
            e = self.timeline.estimate
            self.stats.set_tempo(None if np.isnan(e.bpm) else e.bpm, e.confidence, e.locked)
        if slot.onset_tick < self._cue_end_tick or self.presence.quiet_at(slot.onset_tick):
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
        motion = self._motion(slot)
        event = self.scheduler.play(slot, note, decided, motion)
        self.sound.motion(motion)
        if not event.missed and slot.frames_needed > 0:
            captured = self.timeline.poses.frame_tick(slot.frames_needed - 1)
            self.stats.latency("end_to_end", (slot.onset_tick - captured) * 1000
                               / self.sink.ticks_per_s)

    def _motion(self, slot: NoteSlot):
        """The movement of the note's interval (the k slots before its decision point), for
        its velocity and chord."""
        poses = self.timeline.poses
        end = min(slot.frames_needed, poses.filled)
        recent = poses.window(end, self.k + MOTION_CONTEXT_FRAMES)
        if len(recent) < 2:
            return None
        return interval_motion(recent, max(0, len(recent) - self.k), len(recent), GRID_FPS)

    def close(self) -> None:
        if self.feed is not None:
            self.feed.close()
            self.feed = None
        self.audio.close()
        self.decider.close()
        self.sound.close()
