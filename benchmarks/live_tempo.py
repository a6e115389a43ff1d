"""The live loop on the tempo grid over a long run, with a dance that has a pulse:

  - a 30 fps camera in real time whose frames replay the AIST++ break dances (front views of
    the 7 shared clips one after the other, 84 s, round and round; danced to 80 BPM), the
    greedy composer, FluidSynth rendering a WAV paced by the wall clock;
  - deadline misses, notes off the grid (onset != boundary + L), the WAV against the
    grid-exact offline rendering of the notes played, and how much of the run the grid
    followed the tempo.

The pose model is not in this loop (benchmarks/live_run.py --grid tempo measures it, on the
demo video, which has no pulse).

    python benchmarks/live_tempo.py [--minutes 10] [--grid tempo|fixed] [--latency-ms 100]
                                     [--lookahead 1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "device"))
sys.path.insert(0, str(ROOT / "tests"))

from live_audit import audit, fade_spans, scheduled_notes  # noqa: E402 (the tests' oracle)

from dance2music.capture.thread import CaptureThread  # noqa: E402
from dance2music.config import AudioSettings, LoopSettings  # noqa: E402
from dance2music.live.loop import LiveLoop  # noqa: E402
from dance2music.live.stats import LiveStats  # noqa: E402
from dance2music.modes.commands import CommandQueue  # noqa: E402
from dance2music.music.causal import GreedyComposer  # noqa: E402
from dance2music.pose import sequence  # noqa: E402
from dance2music.synth.fluid import render  # noqa: E402
from dance2music.synth.sequencer import FluidSynthSink  # noqa: E402
from dance2music.synth.wav import read_wav  # noqa: E402
from dance2music.testing import RealTimeCamera, ReplayEstimator  # noqa: E402

CLIPS = sorted((ROOT.parent / "shared" / "data" / "aistpp_break").glob("*.npz"))


def dance_file(out: Path) -> Path:
    clips = [sequence.load(path, view=0) for path in CLIPS]
    keypoints = np.concatenate([c.keypoints for c in clips])
    sequence.save(sequence.PoseSequence(keypoints, clips[0].fps, clips[0].image_size), out)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--grid", choices=("tempo", "fixed"), default="tempo")
    ap.add_argument("--latency-ms", type=int, default=LoopSettings().fixed_latency_ms)
    ap.add_argument("--lookahead", type=int, default=LoopSettings().lookahead_frames,
                    help="frames (warped samples on the tempo grid) of each note's interval "
                         "the greedy composer sees")
    args = ap.parse_args()
    if not CLIPS:
        print("no shared AIST++ clips: nothing to replay")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        settings = LoopSettings(mode="greedy", fixed_latency_ms=args.latency_ms, absent_s=60,
                                grid=args.grid)
        sink = FluidSynthSink(AudioSettings(driver="file", audio_file=str(tmp / "live.wav")))
        events, stats = [], LiveStats(args.latency_ms, window=10**6)
        loop = LiveLoop(lambda: CaptureThread(RealTimeCamera(), 0.2).start(),
                        ReplayEstimator(dance_file(tmp / "dance.npz"), from_first_frame=True),
                        sink, lambda name: GreedyComposer(lookahead_frames=args.lookahead),
                        settings, stats, CommandQueue(),
                        observers=[events.append])
        print(f"{args.minutes:g} min, {args.grid} grid, L = {args.latency_ms} ms, lookahead "
              f"{args.lookahead}", flush=True)
        loop.run(duration_s=args.minutes * 60)
        audio, rate = read_wav(tmp / "live.wav")
    notes = [e for e in events if e.kind == "note"]
    end = min(len(audio) - 4096, notes[-1].boundary)
    reference = render(scheduled_notes(events, rate, end, settings.fade_ms * rate // 1000),
                       duration_s=end / rate)
    struck_s = np.array([e.onset for e in notes if e.struck and e.onset < end - rate // 50]) / rate
    result = audit(audio[:end], reference, struck_s, rate, fade_spans(events, end))
    steps_s = np.diff([e.boundary for e in notes]) / rate
    fixed_step_s = 6 / 30
    snap = stats.read()
    lags = stats.latencies_ms("schedule")
    rows = [
        ("grid notes / onsets", f"{len(notes)} / {len(struck_s)}"),
        ("notes on a tempo-following step (not 0.2 s)",
         f"{np.mean(np.abs(steps_s - fixed_step_s) > 1e-3):.1%}"),
        ("median step when following (s)",
         f"{np.median(steps_s[np.abs(steps_s - fixed_step_s) > 1e-3]):.3f}"
         if np.any(np.abs(steps_s - fixed_step_s) > 1e-3) else "-"),
        ("tempo at the end: locked, BPM, confidence",
         f"{snap.tempo_locked}, {snap.tempo_bpm}, {snap.tempo_confidence}"),
        ("deadline misses", str(snap.deadline_misses)),
        ("notes off the grid (onset != boundary + L)",
         str(sum(e.onset - e.boundary != args.latency_ms * rate // 1000 for e in notes))),
        ("WAV vs grid-exact rendering: max sample diff, onsets live/ref",
         f"{result.max_sample_diff}, {result.found_live}/{result.found_reference}"),
        ("onset jitter vs grid-exact p99 (ms)", f"{np.percentile(result.jitter_ms, 99):.2f}"),
        ("decision lag after boundary max / p99 (ms)",
         f"{lags.max():.1f} / {np.percentile(lags, 99):.1f}"),
        ("frames dropped", str(snap.frames_dropped)),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
