"""The live loop on fakes and a manual clock (dance2music.testing): what it plays and when,
deterministic and fast. The real parts (OpenVINO, FluidSynth, audio compared with the
grid-exact rendering) are in test_live_loop_e2e.py."""

import numpy as np
import pytest

from conftest import DEMO_POSES
from dance2music.errors import ModelError
from dance2music.live.grid import GRID_FPS
from dance2music.modes.table import MODES
from dance2music.music.causal import GreedyComposer
from dance2music.music.scale import FIRST_NOTE, MIDI_NOTES
from dance2music.testing import RATE, FakeRig

LATENCY_MS = 100
L_TICKS = LATENCY_MS * RATE // 1000
NOTE_TICKS = RATE * 6 // GRID_FPS


class Recording(GreedyComposer):
    """The greedy composer recording its decisions; `slow_s(i)` seconds of the rig's clock
    pass during decision i (a slow composer)."""

    def __init__(self, clock=None, slow_s=lambda i: 0.0, lookahead_frames=0):
        super().__init__(lookahead_frames=lookahead_frames)
        self.decisions, self.clock, self.slow_s = [], clock, slow_s

    def decide(self, recent, notes):
        note = super().decide(recent, notes)
        self.decisions.append(note)
        if self.clock is not None:
            self.clock.advance(self.slow_s(len(self.decisions)))
        return note


def rig_with(composer=None, absent=lambda t: False, **settings):
    holder = {}
    rig = FakeRig(DEMO_POSES, lambda name: holder.setdefault(name, composer or Recording()),
                  absent=absent, **{"fixed_latency_ms": LATENCY_MS, "absent_s": 1.0, **settings})
    rig.composers = holder
    return rig.start()


def assert_on_grid(rig):
    """Every note on the grid at exactly L after its boundary, and every event sent before
    its tick (nothing sounds off the grid)."""
    notes = rig.notes()
    origin = notes[0].boundary - notes[0].n * NOTE_TICKS
    for e in notes:
        assert e.boundary == origin + e.n * NOTE_TICKS
        assert e.onset - e.boundary == L_TICKS
    for sent in rig.sink.events:
        assert sent.sent_tick < sent.tick, f"sent at {sent.sent_tick} for {sent.tick}"


def test_notes_follow_the_composer_on_the_grid():
    rig = rig_with(absent_s=60)
    rig.run_for(6.0)
    composer = rig.composers["greedy"]
    notes = rig.notes()
    assert len(notes) >= 25
    assert notes[0].played == FIRST_NOTE and notes[0].struck and notes[0].decided is None
    assert [e.decided for e in notes[1:]] == composer.decisions
    assert [e.played for e in notes[1:]] == composer.decisions
    struck = [e for e in notes if e.struck]
    assert [s.midi for s in rig.sink.notes_on()] == [e.midi for e in struck]
    assert [s.tick for s in rig.sink.notes_on()] == [e.onset for e in struck]
    assert_on_grid(rig)
    snap = rig.stats.read()
    assert snap.deadline_misses == 0 and snap.notes_played == len(struck)


def test_a_late_decision_holds_the_previous_note_and_is_counted():
    rig = rig_with(absent_s=60)
    # Every 5th decision takes 150 ms of the clock: past its onset (L = 100 ms).
    composer = Recording(rig.clock, slow_s=lambda i: 0.15 if i % 5 == 0 else 0.0)
    rig.composers["greedy"] = composer
    rig.loop.enter("greedy", cue=False)  # the mode's composer is now the slow one
    rig.run_for(6.0)
    notes = [e for e in rig.notes() if e.n > 0]
    missed = [e for e in notes if e.missed]
    assert len(missed) >= 4
    assert rig.stats.read().deadline_misses == len(missed)
    by_n = {e.n: e for e in rig.notes()}
    for e in missed:
        assert not e.struck and e.played == by_n[e.n - 1].played  # the previous note holds
    assert_on_grid(rig)  # nothing was sent after its tick


def test_nobody_in_view_fades_out_and_music_resumes_on_the_first_note():
    rig = rig_with(absent=lambda t: 3.0 <= t - 1.0 < 6.0)  # the clock starts at 1 s
    rig.run_for(9.0)
    fades = [e for e in rig.events if e.kind == "fade"]
    assert len(fades) == 1
    fade = fades[0]
    gone_tick = 3.0 * RATE
    # The fade starts on the first boundary more than absent_s after the last pose seen.
    assert gone_tick + RATE * 1.0 <= fade.boundary <= gone_tick + RATE * 1.0 + 2 * NOTE_TICKS
    assert [s for s in rig.sink.events if s.kind == "fade"][0].tick == fade.onset
    during = [e for e in rig.notes() if fade.onset < e.onset < 6.0 * RATE]
    assert not during, "no note while nobody is in view"
    after = [e for e in rig.notes() if e.onset > fade.onset]
    assert after[0].played == FIRST_NOTE and after[0].struck and after[0].decided is None
    assert (after[0].onset - 6.0 * RATE) / RATE < 1.0, "resumes within a second"
    assert after[0].onset >= fade.onset + 400 * RATE // 1000  # after the fade ended
    assert_on_grid(rig)


def test_a_cue_plays_then_the_music_resumes_after_it():
    rig = rig_with(absent_s=60)
    rig.run_for(2.0)
    rig.commands.submit("set baseline")
    rig.run_for(3.0)
    cues = [e for e in rig.events if e.kind == "cue"]
    assert tuple(e.midi for e in cues) == MODES["baseline"].cue
    cue_end = cues[0].boundary + int(MODES["baseline"].cue_length_s * RATE)
    notes_after = [e for e in rig.notes() if e.onset > cues[0].boundary]
    assert notes_after and all(e.onset >= cue_end for e in notes_after)
    assert notes_after[0].played == FIRST_NOTE  # a new segment for the new composer
    cue_ons = rig.sink.notes_on(channel=1)
    assert [s.midi for s in cue_ons] == list(MODES["baseline"].cue)
    assert rig.stats.read().mode == "baseline"
    assert_on_grid(rig)


def test_a_mode_change_mid_note_ends_that_note_and_keeps_the_grid():
    rig = rig_with(absent_s=60)
    rig.run_for(2.0)
    sounding = rig.loop.scheduler.current
    assert sounding is not None
    rig.commands.submit("set live")
    rig.run_for(2.0)
    offs = [s for s in rig.sink.events if s.kind == "off" and s.channel == 0
            and s.midi == MIDI_NOTES[sounding]]
    switch = [e for e in rig.events if e.kind == "cue"][0].boundary
    assert any(s.tick == switch for s in offs), "the sounding note ends when the cue starts"
    assert_on_grid(rig)  # one grid across the change


def test_standby_closes_the_camera_and_wakes_on_a_new_grid_without_a_burst():
    rig = rig_with(absent_s=60)
    rig.run_for(2.0)
    rig.commands.submit("standby")
    rig.run_for(0.5)
    assert rig.feeds[0].closed and not rig.loop.camera.is_open
    snap = rig.stats.read()
    assert snap.mode == "standby" and snap.person_present is False
    assert snap.components["camera"].state == "idle"
    assert snap.components["composer"].state == "idle"
    before = len(rig.notes())
    rig.run_for(4.0)  # four seconds asleep: twenty boundaries pass
    assert len(rig.notes()) == before
    wake_tick = rig.sink.now()
    rig.commands.submit("wake")
    rig.loop.step()
    rig.loop.step()
    assert len(rig.feeds) == 2 and not rig.feeds[1].closed
    assert len(rig.notes()) == before, "no burst of the boundaries that passed"
    rig.run_for(2.0)
    woken = rig.notes()[before:]
    cue = [e for e in rig.events if e.kind == "cue"][-1]
    assert woken and woken[0].boundary >= wake_tick
    assert woken[0].onset >= cue.boundary + int(MODES["greedy"].cue_length_s * RATE)
    assert all(b.boundary - a.boundary == NOTE_TICKS for a, b in zip(woken, woken[1:]))


def test_the_live_mode_falls_back_to_greedy_when_the_classifier_is_missing(caplog):
    greedy = Recording()

    def composer_for(name):
        if name == "online":
            raise ModelError("models/int8/note_classifier.onnx: model file missing")
        return greedy

    rig = FakeRig(DEMO_POSES, composer_for, mode="live", absent_s=60,
                  fixed_latency_ms=LATENCY_MS).start()
    rig.run_for(3.0)
    assert len(greedy.decisions) >= 10, "live mode plays, with the greedy composer"
    composer = rig.stats.read().components["composer"]
    assert composer.ok and composer.state == "degraded"
    assert "model file missing" in composer.degraded and "greedy" in composer.degraded
    rig.commands.submit("set baseline")
    rig.run_for(0.5)
    rig.commands.submit("set live")
    rig.run_for(0.5)
    said = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(said) == 1, "the fallback is logged once"


def test_the_note_history_is_bounded():
    rig = rig_with(absent_s=60)
    rig.run_for(20.0)  # 100 notes
    composer = rig.composers["greedy"]
    assert len(rig.loop.decider.notes) == composer.history_notes
    assert len(rig.loop.timeline.poses.window(rig.loop.timeline.poses.filled, 10**6)) <= (
        int(rig.settings.replay_s * GRID_FPS) + 6)


def test_audio_that_fails_to_open_is_retried_with_backoff_and_reported():
    rig = rig_with(absent_s=60)
    rig.sink.fail_opens = 3
    states = []
    for _ in range(200):
        rig.loop.step()
        states.append(rig.stats.read().components["audio"].ok)
        if rig.sink.is_open:
            break
    assert rig.sink.is_open and states[0] is False and states[-1] is True
    gaps_s = np.diff(rig.sink.attempts_ns) / 1e9
    assert list(np.round(gaps_s, 1)) == [0.1, 0.2, 0.4]  # doubling, up to retry_s
    rig.run_for(2.0)
    assert rig.notes() and rig.sink.opens == 1
    assert_on_grid(rig)


def test_a_stalled_audio_clock_closes_the_output_and_reopens_it():
    rig = rig_with(absent_s=60)
    rig.run_for(1.0)
    rig.sink.frozen = True
    frozen_at = rig.t_s
    while rig.sink.is_open and rig.t_s < frozen_at + 5:
        rig.loop.step()
    assert 1.0 <= rig.t_s - frozen_at < 1.1
    assert rig.stats.read().components["audio"].error.endswith("(clock stalled)")
    before = len(rig.notes())
    rig.run_for(2.0)
    assert rig.sink.opens == 2 and rig.stats.read().components["audio"].ok
    after = rig.notes()[before:]
    assert after and after[0].n == 0 and after[0].played == FIRST_NOTE  # a new clock, grid


@pytest.mark.parametrize("lookahead", [0, 2])
def test_a_decision_waits_for_its_lookahead_frames(lookahead):
    class Ahead(Recording):
        def decide(self, recent, notes):
            self.seen.append(len(recent))
            return super().decide(recent, notes)

    composer = Ahead(lookahead_frames=lookahead)
    composer.seen = []
    rig = rig_with(composer, absent_s=60)
    rig.run_for(4.0)
    assert rig.loop.timeline.grid.lookahead_frames == lookahead
    t = len(composer.seen)
    assert composer.seen[-1] == composer.history_frames + lookahead and t >= 10
    assert rig.stats.read().deadline_misses == 0
    assert_on_grid(rig)


def test_a_pause_between_the_two_clock_reads_does_not_move_frames_on_the_grid():
    rig = rig_with(absent_s=60)
    plain_now = rig.sink.now
    rng = np.random.default_rng(0)

    def a_pause_then_now():  # the loop's thread preempted just before it reads the audio clock
        if rng.random() < 0.1:
            rig.clock.advance(0.02)
        return plain_now()

    rig.sink.now = a_pause_then_now
    rig.run_for(4.0)
    # Frames are still placed at their true audio tick (the map was not shifted by a pause).
    t_ns = rig.clock.monotonic_ns()
    true_tick = (t_ns - rig.sink._origin_ns) * RATE // 10**9
    assert abs(rig.loop.audio.tick_at(t_ns) - true_tick) <= 1


@pytest.mark.parametrize("lookahead", [0, 2])
def test_live_notes_are_the_offline_composers_on_the_same_frames(lookahead):
    """The loop's decisions equal `follow` (what `compose --lookahead d` runs) over the frames
    its grid held, and a frame, once a decision saw it, never changes later: no frame after
    6n+d-1 reached note n."""
    class Seeing(Recording):
        def decide(self, recent, notes):
            self.windows.append(np.array(recent))
            return super().decide(recent, notes)

    composer = Seeing(lookahead_frames=lookahead)
    composer.windows = []
    rig = rig_with(composer, absent_s=60)
    rig.run_for(6.0)
    k, d = composer.k, lookahead
    frames = {}
    for t, window in enumerate(composer.windows, start=1):
        start, end = composer.frame_span(t)
        assert len(window) == end - start  # frames up to 6t+d-1, none later
        for j, vector in zip(range(start, end), window):
            np.testing.assert_array_equal(frames.setdefault(j, vector), vector)
    vectors = np.array([frames[j] for j in range(len(frames))])
    assert len(vectors) == len(composer.windows) * k + d
    # The last decision's interval completed with copies: frames no decision saw.
    whole = np.concatenate([vectors, np.repeat(vectors[-1:], k - d, axis=0)])
    offline = GreedyComposer(lookahead_frames=d).follow(whole)
    np.testing.assert_array_equal(offline[1:], composer.decisions)
    assert_on_grid(rig)
