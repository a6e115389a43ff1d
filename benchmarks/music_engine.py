"""Music engine benchmark: the fast beam search against the literal oracle on the AIST++ clips
(same notes, speed-up), its scaling with dance length, and offline WAV rendering speed.

    .venv/bin/python benchmarks/music_engine.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

from oracle import literal_beam_search  # noqa: E402

from dance2music.music.beam import BeamSearch  # noqa: E402
from dance2music.synth import fluid  # noqa: E402
from dance2music.synth.score import timed_notes  # noqa: E402
from models import dance_data  # noqa: E402

CHOREOGRAPHIES = dance_data.TRAIN_CHOREOGRAPHIES + dance_data.TEST_CHOREOGRAPHIES


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    beam = BeamSearch()
    print("## Beam search vs the literal oracle (AIST++, front view, 12 s clips, B=50)")
    print("| clip | literal s | fast s | speed-up | same notes |\n|---|---|---|---|---|")
    speedups = []
    for ch in sorted(CHOREOGRAPHIES):
        v = dance_data.clip_vectors(ch)
        fast = best_of(lambda: beam.compose(v), 5)
        start = time.perf_counter()
        slow_notes = literal_beam_search(v)
        slow = time.perf_counter() - start
        same = bool((beam.compose(v) == slow_notes).all())
        speedups.append(slow / fast)
        print(f"| {ch} | {slow:.2f} | {fast * 1000:.1f} ms | {slow / fast:.0f}x | {same} |")
    print(f"\nmedian speed-up {np.median(speedups):.0f}x (goal >= 100x)\n")

    print("## Scaling (dance built from the AIST++ clips end to end)")
    print("| dance | frames | seconds | per minute of dance |\n|---|---|---|---|")
    long = np.concatenate([dance_data.clip_vectors(ch, view) for view in range(9)
                           for ch in CHOREOGRAPHIES])
    for minutes in (0.2, 1, 10):
        v = long[: int(minutes * 60 * 30)]
        took = best_of(lambda: beam.compose(v), 3 if minutes < 10 else 2)
        print(f"| {minutes * 60:.0f} s | {len(v)} | {took:.3f} | {took / minutes:.3f} |")

    print("\n## Offline rendering (FluidSynth, FluidR3_GM piano, 48 kHz stereo)")
    notes = timed_notes(beam.compose(long[:18000]), 6, 30)
    duration = notes[-1].end_s + 1
    took = best_of(lambda: fluid.render(notes), 2)
    print(f"{duration:.0f} s of music rendered in {took:.2f} s: {duration / took:.0f}x real time")


if __name__ == "__main__":
    main()
