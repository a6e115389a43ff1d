"""The live loop on the tempo grid (fakes, manual clock): notes follow the dancer's tempo, the
grid moves only at note boundaries, nothing is sent late or off its own onset, and /status
shows the tempo; and once with real FluidSynth in real time, its audio against the grid-exact
rendering (slow)."""

import math

import numpy as np
import pytest
from live_audit import audit, fade_spans, scheduled_notes
from tempo_data import FPS, free_dance, pulse_dance

from dance2music import config
from dance2music.capture.thread import CaptureThread
from dance2music.config import AudioSettings, LoopSettings
from dance2music.errors import InputError
from dance2music.health.metrics import exposition
from dance2music.live.grid import GRID_FPS, NoteGrid
from dance2music.live.loop import LiveLoop
from dance2music.live.stats import LiveStats
from dance2music.modes.commands import CommandQueue
from dance2music.music.causal import GreedyComposer
from dance2music.music.grid import NoteTimes, tempo_grid, warp
from dance2music.pose import sequence
from dance2music.pose.sequence import PoseSequence, save
from dance2music.synth.fluid import render
from dance2music.synth.sequencer import FluidSynthSink
from dance2music.synth.wav import read_wav
from dance2music.testing import RATE, FakeRig, RealTimeCamera, ReplayEstimator

LATENCY_MS = 100
L_TICKS = LATENCY_MS * RATE // 1000
FIXED_NOTE_TICKS = RATE * 6 // GRID_FPS


class Recording(GreedyComposer):
    """Greedy, recording how many poses each decision saw."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def decide(self, recent, notes):
        self.seen.append(len(recent))
        return super().decide(recent, notes)


def pose_file(tmp_path, vectors):
    """Pose vectors (paper representation) as a pose file of a 640x480 camera."""
    xy = (vectors.reshape(len(vectors), 18, 2) + 1) / 2 * np.array([640, 480])
    keypoints = np.concatenate([xy, np.ones((len(vectors), 18, 1))], axis=-1)
    path = tmp_path / "dance.npz"
    save(PoseSequence(keypoints.astype(np.float32), FPS, (640, 480)), path)
    return path


def run(tmp_path, vectors, seconds):
    composer = Recording()
    rig = FakeRig(pose_file(tmp_path, vectors), lambda name: composer, grid="tempo",
                  fixed_latency_ms=LATENCY_MS, absent_s=60).start()
    rig.run_for(seconds)
    return rig, composer


def assert_never_late_or_off_the_grid(rig):
    notes = rig.notes()
    assert all(e.onset - e.boundary == L_TICKS for e in notes)
    assert all(sent.sent_tick < sent.tick for sent in rig.sink.events)
    assert rig.stats.read().deadline_misses == 0 and not any(e.missed for e in notes)


def test_live_notes_follow_the_dancers_tempo(tmp_path):
    vectors, _ = pulse_dance(100, 20, seed=11)
    rig, composer = run(tmp_path, vectors, 20.0)
    assert_never_late_or_off_the_grid(rig)
    boundaries = np.array([e.boundary for e in rig.notes()])
    steps = np.diff(boundaries)
    assert steps.min() > 0
    assert np.all(steps[:10] == FIXED_NOTE_TICKS)  # no tempo in the first 2 s: fixed grid
    half_beat = RATE * 60 / 100 / 2
    assert np.median(steps[-20:]) == pytest.approx(half_beat, rel=0.03)
    # the composer saw k warped poses per note, whatever the note's length
    assert all(seen % 6 == 0 for seen in composer.seen)
    assert composer.seen[-1] == composer.history_frames
    snap = rig.stats.read()
    assert snap.grid == "tempo" and snap.tempo_locked
    assert snap.tempo_bpm == pytest.approx(100, rel=0.04) and snap.tempo_confidence > 0.2
    metrics = exposition(lambda: snap.to_json(), lambda: {}).decode()
    assert "dance2music_tempo_bpm" in metrics and "dance2music_tempo_locked 1.0" in metrics


def test_live_tempo_grid_keeps_the_fixed_step_without_pulse(tmp_path):
    rig, _ = run(tmp_path, free_dance(15, seed=2), 15.0)
    assert_never_late_or_off_the_grid(rig)
    assert np.all(np.diff([e.boundary for e in rig.notes()]) == FIXED_NOTE_TICKS)
    snap = rig.stats.read()
    assert snap.grid == "tempo" and not snap.tempo_locked


def test_a_slow_composer_on_the_tempo_grid_misses_and_holds(tmp_path):
    """A decision too late for its onset is a miss, as on the fixed grid; the grid goes on."""
    vectors, _ = pulse_dance(90, 12, seed=5)
    composer = Recording()
    rig = FakeRig(pose_file(tmp_path, vectors), lambda name: composer, grid="tempo",
                  fixed_latency_ms=LATENCY_MS, absent_s=60).start()
    slow = composer.decide

    def decide(recent, notes):
        if len(composer.seen) == 40:
            rig.clock.advance(0.15)  # longer than L
        return slow(recent, notes)

    composer.decide = decide
    rig.run_for(12.0)
    missed = [e for e in rig.notes() if e.missed]
    assert len(missed) == 1 and rig.stats.read().deadline_misses == 1
    assert all(sent.sent_tick < sent.tick for sent in rig.sink.events)
    assert np.all(np.diff([e.boundary for e in rig.notes()]) > 0)


class Seeing(GreedyComposer):
    """Greedy with a lookahead, adding (itself, the window it saw, its note) to `seen`."""

    def __init__(self, lookahead_frames, seen):
        super().__init__(lookahead_frames=lookahead_frames)
        self.seen = seen

    def decide(self, recent, notes):
        note = super().decide(recent, notes)
        self.seen.append((self, np.array(recent), note))
        return note


def watch(rig, seen):
    """Every slot the loop reached, and (slot, its segment's first note, composer, window,
    note) of every composer decision."""
    slots, decisions = [], []
    boundary, decide = rig.loop._boundary, rig.loop.decider.decide

    def on_boundary(slot):
        slots.append(slot)
        boundary(slot)

    def on_decide(slot, timeline):
        before = len(seen)
        result = decide(slot, timeline)
        if len(seen) > before:
            decisions.append((slot, rig.loop.decider.segment_start, *seen[-1]))
        return result

    rig.loop._boundary, rig.loop.decider.decide = on_boundary, on_decide
    return slots, decisions


def held_and_warped(rig, slots):
    """The pose slots the grid held (the 30 fps dance the live run saw) and, on the grid the
    live run laid, their warped stream: what `compose --grid tempo` gives its composer."""
    timeline = rig.loop.timeline
    held = timeline.poses.window(timeline.poses.filled, timeline.poses.filled)
    assert len(held) == timeline.poses.filled  # nothing dropped: replay_s covers the run
    assert [s.n for s in slots] == list(range(len(slots)))
    for s, after in zip(slots, slots[1:]):
        assert s.next_onset_tick == after.onset_tick  # a note ends where the next starts
    ticks = [s.boundary_tick for s in slots] + [slots[-1].next_onset_tick - L_TICKS]
    boundaries_s = (np.array(ticks) - timeline.grid.origin_tick) / RATE
    grid = NoteTimes(boundaries_s, np.full(len(slots), np.nan), np.zeros(len(slots)))
    # The last note's samples after its lookahead lie past the held slots: no decision saw them.
    return held, warp(held, grid, 6, GRID_FPS)


def assert_offline_decisions(decisions, warped):
    """Every window is the offline slice of the warped stream, and every decision is what
    `follow` (offline composing) decides on that stream from the segment's start."""
    for slot, first, composer, window, _ in decisions:
        start, end = composer.frame_span(slot.n, first=first * composer.k)
        np.testing.assert_array_equal(window, warped[start:end])
    for first in sorted({first for _, first, *_ in decisions}):
        segment = [(slot.n, composer, note) for slot, f, composer, _, note in decisions
                   if f == first]
        last_n, composer, _ = segment[-1]
        offline = GreedyComposer(lookahead_frames=composer.lookahead_frames).follow(
            warped[first * 6:(last_n + 1) * 6])
        assert [note for *_, note in segment] == [offline[n - first] for n, *_ in segment]


def latency_for(lookahead):
    """The default L, or the least the configuration accepts for this lookahead."""
    return max(LATENCY_MS, math.ceil(config.lookahead_latency_ms(lookahead, "tempo")))


@pytest.mark.parametrize("lookahead", [0, 1, 2])
def test_live_decisions_on_the_tempo_grid_are_the_offline_ones(tmp_path, lookahead):
    """A lookahead composer on the tempo grid sees exactly the warped stream offline
    composing builds on the same poses, and decides the same notes; the grid is the offline
    tempo grid of those poses."""
    vectors, _ = pulse_dance(90, 16, seed=7)
    seen = []
    latency_ms = latency_for(lookahead)
    rig = FakeRig(pose_file(tmp_path, vectors), lambda name: Seeing(lookahead, seen),
                  grid="tempo", fixed_latency_ms=latency_ms, absent_s=60, replay_s=30).start()
    slots, decisions = watch(rig, seen)
    rig.run_for(15.0)
    assert rig.stats.read().tempo_locked and rig.stats.read().deadline_misses == 0
    steps = np.diff([s.boundary_tick for s in slots])
    assert (steps != FIXED_NOTE_TICKS).sum() > 20  # notes of the tempo's length were decided
    assert all(s.onset_tick - s.boundary_tick == latency_ms * RATE // 1000 for s in slots)
    held, warped = held_and_warped(rig, slots)
    # Every slot holds a frame of its own: each decision waited for its lookahead's frames
    # (a slot held for a frame that was not in would repeat the one before it).
    assert np.all(np.any(held[1:] != held[:-1], axis=1))
    assert len(decisions) == len(slots) - 1  # all but the segment's first note
    assert all(len(window) == composer.history_frames + lookahead
               for _, _, composer, window, _ in decisions[20:])
    assert_offline_decisions(decisions, warped)
    # The grid itself is the one `compose --grid tempo` lays on these poses (to the tick).
    offline = tempo_grid(held).boundaries_s
    live = np.array([s.boundary_tick - rig.loop.timeline.grid.origin_tick for s in slots]) / RATE
    m = min(len(offline), len(live))
    assert m >= len(live) - 2
    np.testing.assert_allclose(live[:m], offline[:m], atol=2 / RATE)


@pytest.mark.parametrize("lookahead", [0, 1, 3])
def test_unlocked_the_tempo_grid_waits_as_the_fixed_grid(tmp_path, lookahead):
    """No pulse: fixed steps, and each slot (frames needed, how long it waits for them, send
    by) is the fixed grid's for the same lookahead."""
    seen = []
    rig = FakeRig(pose_file(tmp_path, free_dance(6, seed=4)), lambda name: Seeing(lookahead, seen),
                  grid="tempo", fixed_latency_ms=120, absent_s=60).start()
    slots, _ = watch(rig, seen)
    rig.run_for(6.0)
    fixed = NoteGrid(rig.loop.timeline.grid.origin_tick, RATE, 6, 120, lookahead)
    assert len(slots) > 20 and slots == [fixed.slot(n) for n in range(len(slots))]


def test_the_tempo_grid_follows_a_change_of_lookahead(tmp_path):
    """greedy (lookahead 2) -> live (lookahead 0) -> greedy: after each change the decisions
    still see what offline composing on the warped stream gives them."""
    vectors, _ = pulse_dance(100, 20, seed=3)
    seen = []
    composers = {"greedy": Seeing(2, seen), "online": Seeing(0, seen)}
    rig = FakeRig(pose_file(tmp_path, vectors), composers.get, grid="tempo",
                  fixed_latency_ms=latency_for(2), absent_s=60, replay_s=30).start()
    slots, decisions = watch(rig, seen)
    rig.run_for(7.0)
    rig.commands.submit("set live")
    rig.run_for(5.0)
    rig.commands.submit("set greedy")
    rig.run_for(6.0)
    assert rig.stats.read().deadline_misses == 0
    frames = [s.frames_needed for s in slots]
    assert np.all(np.diff(frames) > 0)
    _, warped = held_and_warped(rig, slots)
    used = {id(composer) for _, _, composer, *_ in decisions}
    assert used == {id(c) for c in composers.values()}
    assert len({first for _, first, *_ in decisions}) == 3  # three segments, one per mode
    assert_offline_decisions(decisions, warped)


def test_grid_setting_is_validated(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[loop]\ngrid = "tempo"\n')  # the shipped lookahead, on the tempo grid
    assert config.load(path).loop.grid == "tempo"
    # Two warped samples: the second lies up to a sixth of the slowest note after the boundary.
    path.write_text('[loop]\ngrid = "tempo"\nlookahead_frames = 2\n')
    with pytest.raises(InputError, match="lookahead_frames = 2: expected >= 156 ms"):
        config.load(path)
    path.write_text('[loop]\ngrid = "tempo"\nlookahead_frames = 2\nfixed_latency_ms = 156\n')
    assert config.load(path).loop.lookahead_frames == 2
    path.write_text('[loop]\ngrid = "swing"\n')
    with pytest.raises(InputError, match="grid"):
        config.load(path)


@pytest.mark.slow  # FluidSynth in real time: 14 s
def test_live_audio_on_a_tempo_grid_is_the_grid_exact_rendering(tmp_path, aistpp_clips):
    """Real FluidSynth, a real-time camera replaying AIST++ break dance (80 BPM) from the
    clip's start, the shipped lookahead: the notes follow the tempo once locked, the WAV
    equals the rendering of the notes at their ticks. (Started by the wall clock anywhere in
    the clip, the tracker could end unlocked at up to 83.7 BPM after the wrap-around: starts
    2.5-5.5 s into the clip, offline; from the start it ends locked at 80.05 BPM.)"""
    poses = tmp_path / "ch01.npz"
    save(sequence.load(aistpp_clips[0], view=0), poses)
    sink = FluidSynthSink(AudioSettings(driver="file", audio_file=str(tmp_path / "out.wav")))
    settings = LoopSettings(mode="greedy", fixed_latency_ms=LATENCY_MS, absent_s=60,
                            grid="tempo")
    events, stats = [], LiveStats(LATENCY_MS)
    loop = LiveLoop(lambda: CaptureThread(RealTimeCamera(), 0.2).start(),
                    ReplayEstimator(poses, from_first_frame=True),
                    sink, lambda name: GreedyComposer(lookahead_frames=settings.lookahead_frames),
                    settings, stats, CommandQueue(), observers=[events.append])
    loop.run(duration_s=14)
    notes = [e for e in events if e.kind == "note"]
    assert all(e.onset - e.boundary == L_TICKS for e in notes)
    # The grid followed the tempo: half-beats of 80 BPM (27 notes, median 0.374 s, offline
    # on the same 14 s).
    steps = np.diff([e.boundary for e in notes])
    following = steps[steps != FIXED_NOTE_TICKS]
    assert len(following) >= 5
    assert np.median(following) == pytest.approx(RATE * 60 / 80 / 2, rel=0.04)
    snap = stats.read()
    assert snap.grid == "tempo" and snap.tempo_bpm == pytest.approx(80, rel=0.04)
    assert snap.deadline_misses == 0
    audio, rate = read_wav(tmp_path / "out.wav")
    end = min(len(audio) - 4096, notes[-1].boundary)
    expected = render(scheduled_notes(events, rate, end, settings.fade_ms * rate // 1000),
                      duration_s=end / rate)
    struck_s = np.array([e.onset for e in notes if e.struck and e.onset < end - rate // 50]) / rate
    result = audit(audio[:end], expected, struck_s, rate, fade_spans(events, end))
    assert result.max_sample_diff <= 1, "the live audio is not the grid-exact rendering"
    assert result.found_live == result.found_reference
    assert np.percentile(result.jitter_ms, 99) <= 1.0
