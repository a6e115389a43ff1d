"""The live loop end to end with real parts: the demo dance video -> the INT8 pose model -> a
causal composer -> FluidSynth rendering a WAV at the wall clock's pace. The audio is checked
against the composer's decisions and the note grid. (The same behaviours on fakes, fast:
test_live_loop.py.)"""

import threading
import time

import numpy as np
import pytest

from dance2music.capture.open import DEMO_VIDEO
from dance2music.capture.source import CaptureError, FrameSource
from dance2music.capture.thread import CaptureThread
from dance2music.capture.video import VideoFileSource
from dance2music.config import AudioSettings
from dance2music.config import LoopSettings
from dance2music.errors import ModelError
from dance2music.live.grid import GRID_FPS
from dance2music.live.loop import LiveLoop
from dance2music.live.stats import LiveStats
from dance2music.modes.commands import CommandQueue
from dance2music.modes.table import MODES
from dance2music.music.causal import GreedyComposer
from dance2music.music.scale import FIRST_NOTE
from dance2music.synth.fluid import render
from dance2music.synth.sequencer import FluidSynthSink
from dance2music.synth.wav import read_wav

from live_audit import audit, fade_spans, scheduled_notes

pytestmark = pytest.mark.slow  # real models and audio in real time: 4-9 s each

RATE = 48000
LATENCY_MS = LoopSettings().fixed_latency_ms
NOTE_TICKS = RATE * 6 // GRID_FPS


@pytest.fixture(scope="module")
def pose():
    try:
        from dance2music.pose.estimator import OpenVinoPose
    except ImportError as e:
        pytest.skip(f"the pose runtime is not installed ({e})")
    try:
        estimator = OpenVinoPose(smoothing=True)
    except (ModelError, OSError) as e:
        pytest.skip(f"the INT8 pose models are not built ({e})")
    yield estimator
    estimator.close()


class Recording(GreedyComposer):
    """The greedy composer, recording each decision; optionally slow on some of them."""

    def __init__(self, slow_every=0, slow_s=0.0):
        super().__init__()
        self.decisions = []
        self.slow_every, self.slow_s = slow_every, slow_s

    def decide(self, recent, notes):
        note = super().decide(recent, notes)
        self.decisions.append(note)
        if self.slow_every and len(self.decisions) % self.slow_every == 0:
            time.sleep(self.slow_s)
        return note


def make_loop(tmp_path, pose, composer, source=None, **loop_settings):
    sink = FluidSynthSink(AudioSettings(driver="file", audio_file=str(tmp_path / "out.wav")))
    events = []
    settings = LoopSettings(**{"mode": "greedy", "fixed_latency_ms": LATENCY_MS,
                               **loop_settings})
    source = source or VideoFileSource(DEMO_VIDEO)
    loop = LiveLoop(lambda: CaptureThread(source, 0.2).start(), pose, sink,
                    lambda name: composer, settings, LiveStats(LATENCY_MS), CommandQueue(),
                    audio_retry_s=0.3, observers=[events.append])
    return loop, events


def check_audio_on_grid(tmp_path, events):
    audio, rate = read_wav(tmp_path / "out.wav")
    assert rate == RATE
    notes = [e for e in events if e.kind == "note"]
    origin = notes[0].boundary - notes[0].n * NOTE_TICKS
    for e in notes:  # every onset on the grid at exactly the fixed latency
        assert e.boundary == origin + e.n * NOTE_TICKS
        assert e.onset - e.boundary == LATENCY_MS * RATE // 1000
    # Shutdown drops what was still scheduled and cuts the sound, then renders two blocks
    # more: compare up to the last boundary the loop saw, and before the cut.
    end = min(len(audio) - 4096, notes[-1].boundary)
    fade_ticks = LoopSettings().fade_ms * RATE // 1000
    expected = render(scheduled_notes(events, RATE, end, fade_ticks), duration_s=end / RATE)
    struck_s = np.array([e.onset for e in notes if e.struck and e.onset < end - RATE // 50]) / RATE
    result = audit(audio[:end], expected, struck_s, RATE, fade_spans(events, end))
    assert result.max_sample_diff <= 1, "the live audio is not the grid-exact rendering"
    assert result.found_live == result.found_reference
    assert np.percentile(result.jitter_ms, 99) <= 1.0  # live vs grid-exact: the loop's jitter
    # Every note started is found at its scheduled onset, within the detector's resolution.
    assert result.nearest_ms.max() < 6
    return notes


def run_for(loop, seconds):
    loop.run(duration_s=seconds)


def test_dance_video_to_piano_on_the_grid(tmp_path, pose):
    composer = Recording()
    loop, events = make_loop(tmp_path, pose, composer, absent_s=60)
    run_for(loop, 8)
    notes = check_audio_on_grid(tmp_path, events)
    assert len(notes) >= 30  # 8 s at 5 notes/s, after the first frames
    # The composer's decisions, note for note: the first note of the segment, then each
    # decision, with repeated notes sustained (no new onset).
    assert notes[0].played == FIRST_NOTE and notes[0].decided is None
    assert [e.decided for e in notes[1:]] == composer.decisions[:len(notes) - 1]
    assert [e.played for e in notes[1:]] == [e.decided for e in notes[1:]]
    for prev, e in zip(notes, notes[1:]):
        assert e.struck == (e.played != prev.played)
    snap = loop.stats.snapshot()
    assert snap["deadline_misses"] == 0
    assert snap["notes_played"] == sum(e.struck for e in notes)
    assert 0 < snap["latency_ms"]["pose"]["p50"] < 50


def test_slow_composer_misses_are_counted_and_the_grid_holds(tmp_path, pose):
    composer = Recording(slow_every=4, slow_s=0.3)  # 300 ms > L: every 4th decision is late
    loop, events = make_loop(tmp_path, pose, composer, absent_s=60)
    run_for(loop, 8)
    notes = check_audio_on_grid(tmp_path, events)
    missed = [e for e in notes if e.missed]
    assert len(missed) >= len(composer.decisions) // 4 - 1 >= 3
    assert loop.stats.snapshot()["deadline_misses"] == len(missed)
    for prev, e in zip(notes, notes[1:]):
        if e.missed:  # the previous note holds, nothing new starts
            assert e.played == prev.played and not e.struck
        else:
            assert e.played == e.decided
    # The late decisions were made (and dropped): their notes never sounded at their slot.
    assert [e.decided for e in notes if e.decided is not None] == composer.decisions[
        :sum(e.decided is not None for e in notes)]


class Outage(FrameSource):
    """The real demo video as a camera that is unplugged from `at_s` after opening for
    `down_s` seconds (read errors, then open() failing), as a USB camera pulled out and put
    back. Records when, on the audio clock, it went down and came back."""

    def __init__(self, at_s, down_s):
        self.video = VideoFileSource(DEMO_VIDEO)
        self.name = "camera (video)"
        self.at_s, self.down_s = at_s, down_s
        self.start = None
        self.audio_clock = None
        self.down_tick = self.up_tick = None

    def _down(self):
        t = time.monotonic() - self.start
        down = self.at_s <= t < self.at_s + self.down_s
        if down and self.down_tick is None:
            self.down_tick = self.audio_clock()
        if not down and self.down_tick is not None and self.up_tick is None:
            self.up_tick = self.audio_clock()
        return down

    def open(self):
        self.start = self.start or time.monotonic()
        if self._down():
            raise CaptureError("camera (video): cannot open (unplugged)")
        self.video.open()

    def read(self):
        frame = self.video.read()
        if self._down():
            raise CaptureError("camera (video): read failed")
        return frame

    def close(self):
        self.video.close()


def test_camera_failure_fades_out_and_music_resumes_within_2_s(tmp_path, pose):
    source = Outage(at_s=3.0, down_s=2.5)
    loop, events = make_loop(tmp_path, pose, Recording(), source=source, absent_s=1.0)
    source.audio_clock = loop.sink.now
    camera_states = []

    def watch():
        while not stop.is_set():
            camera_states.append(loop.stats.snapshot()["components"]["camera"]["ok"])
            time.sleep(0.05)

    stop = threading.Event()
    threading.Thread(target=watch, daemon=True).start()
    run_for(loop, 9)
    stop.set()
    assert False in camera_states and camera_states[-1] is True
    assert loop.stats.snapshot()["deadline_misses"] == 0
    notes = check_audio_on_grid(tmp_path, events)  # the fade left out
    faded = source.down_tick + RATE * 1.0 + NOTE_TICKS * 2 + LATENCY_MS * RATE // 1000
    assert [e for e in notes if e.onset < source.down_tick], "music before the outage"
    assert not [e for e in notes if faded < e.onset < source.up_tick], "faded while unseen"
    after = [e for e in notes if e.onset > source.up_tick]
    assert after and (after[0].onset - source.up_tick) / RATE < 2.0, "resumes within 2 s"
    assert after[0].played == FIRST_NOTE and after[0].struck


def test_modes_cues_standby_and_wake(tmp_path, pose):
    loop, events = make_loop(tmp_path, pose, Recording(), absent_s=60)
    timeline = [(2.0, "set baseline"), (3.5, "standby"), (5.0, "wake")]
    threading.Thread(target=lambda: [time.sleep(d) or loop.commands.submit(c) for d, c in
                                     zip([2.0, 1.5, 1.5], [c for _, c in timeline])],
                     daemon=True).start()
    capture_during_standby = []
    threading.Timer(4.5, lambda: capture_during_standby.append(loop.camera.feed)).start()
    run_for(loop, 7)
    cues = [e for e in events if e.kind == "cue"]
    motifs = [tuple(e.midi for e in cues[i:i + len(m)]) for i, m in
              zip([0, 2, 5], [MODES[m].cue for m in ("baseline", "standby", "baseline")])]
    assert motifs == [MODES[m].cue for m in ("baseline", "standby", "baseline")]
    assert capture_during_standby == [None]  # camera idle in standby
    standby_at = cues[2].boundary
    wake_at = cues[5].boundary
    notes = [e for e in events if e.kind == "note"]
    assert not [e for e in notes if standby_at < e.onset < wake_at]
    assert [e for e in notes if e.onset > wake_at], "music resumes after wake"
    assert loop.stats.snapshot()["mode"] == "baseline"


def test_replay_composes_the_recorded_dance_and_plays_it(tmp_path, pose):
    loop, events = make_loop(tmp_path, pose, Recording(), absent_s=60, replay_s=4.0)
    threading.Timer(5.0, lambda: loop.commands.submit("set replay")).start()
    run_for(loop, 9)
    notes = [e for e in events if e.kind == "note"]
    cue_end = max(e.onset for e in events if e.kind == "cue")
    replayed = [e.played for e in notes if e.onset > cue_end]
    assert len(replayed) >= 10 and all(e.decided is None for e in notes if e.onset > cue_end)
    assert replayed[0] == FIRST_NOTE  # beam search starts on E4, as the paper does
    assert len(set(replayed)) > 1


def test_audio_output_failure_is_reported_and_retried(tmp_path, pose):
    missing = tmp_path / "later"
    loop, events = make_loop(missing, pose, Recording(), absent_s=60)
    states = []
    thread = threading.Thread(target=run_for, args=(loop, 4))
    thread.start()
    time.sleep(1.0)
    states.append(loop.stats.snapshot()["components"]["audio"])
    missing.mkdir()  # the output becomes available
    thread.join()
    assert states[0]["ok"] is False and "cannot write" in states[0]["error"]
    audio, _ = read_wav(missing / "out.wav")
    assert len(audio) > RATE and any(e.struck for e in events)
