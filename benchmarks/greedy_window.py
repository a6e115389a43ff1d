"""How many notes should the greedy composer's window hold? The paper's local window is 10
notes (60 frames) for the beam search, which also sees the future; the greedy composer sees only
the past and the d frames of the coming interval. For each window, on every view of the
validation and training choreographies (the window is chosen there) and, for the record, the
held-out test ones:

- global correlation (the paper's measure) at d = 0, 1, 2;
- whether the music gets flatter, the paper's worry about long histories: the share of notes
  that change and the notes' entropy, at the shipped d;
- the same for the beam search at its window and a longer one.

    nice .venv/bin/python benchmarks/greedy_window.py [--windows 10 12 16 20 24 32]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from dance2music.music import measures  # noqa: E402
from dance2music.music.beam import BeamSearch  # noqa: E402
from dance2music.music.causal import GreedyComposer  # noqa: E402
from dance2music.music.composer import (DEFAULT_K, DEFAULT_LOOKAHEAD_FRAMES,  # noqa: E402
                                        DEFAULT_WINDOW, GREEDY_WINDOW)
from dance2music.music.scale import NUM_NOTES  # noqa: E402
from models import dance_data  # noqa: E402
from note_classifier import choreography_groups  # noqa: E402

LOOKAHEADS = (0, 1, 2)


def flatness(notes: np.ndarray) -> tuple[float, float]:
    """(share of notes that differ from the one before, entropy of the notes in bits)."""
    p = np.bincount(notes, minlength=NUM_NOTES) / len(notes)
    p = p[p > 0]
    return float(np.mean(notes[1:] != notes[:-1])), float(-(p * np.log2(p)).sum())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--windows", type=int, nargs="+", default=[10, 12, 16, 20, 24, 32])
    args = p.parse_args()
    groups = {name: [dance_data.clip_vectors(c, v, "body") for c in choreographies
                     for v in dance_data.VIEWS]
              for name, choreographies in choreography_groups().items()}
    d = DEFAULT_LOOKAHEAD_FRAMES
    names = list(groups)
    short = {n: n.split(" (")[0].split(",")[0] for n in names}  # test, validation, training

    def scores(composer) -> tuple[list[float], list[tuple[float, float]]]:
        """Mean global correlation per group, and the flatness of every clip's notes."""
        corr, flat = [], []
        for name in names:
            notes = [composer.compose(v) for v in groups[name]]
            corr.append(float(np.mean([measures.global_correlation(v, n, DEFAULT_K)
                                       for v, n in zip(groups[name], notes)])))
            flat += [flatness(n) for n in notes]
        return corr, flat

    print(f"global correlation (body, all 9 views) on the test (held-out), validation and "
          f"training choreographies; changes and entropy over all of them. Shipped: greedy "
          f"{GREEDY_WINDOW}, beam {DEFAULT_WINDOW}.\n")
    print(f"Greedy (changes and entropy at d = {d}):\n")
    print("| window | " + " | ".join(f"{short[n]} d={la}" for la in LOOKAHEADS for n in names)
          + " | changes | entropy bits |")
    print("|---|" + "---|" * (len(LOOKAHEADS) * len(names) + 2))
    for w in args.windows:
        cells, flat = [], []
        for la in LOOKAHEADS:
            corr, clips = scores(GreedyComposer(window=w, lookahead_frames=la))
            cells += corr
            if la == d:
                flat = clips
        changes, entropy = np.mean(flat, axis=0)
        print(f"| {w} | " + " | ".join(f"{c:.3f}" for c in cells)
              + f" | {changes:.1%} | {entropy:.2f} |", flush=True)
    print("\nBeam search (width 50; it sees the whole dance):\n")
    print("| window | " + " | ".join(short[n] for n in names) + " | changes | entropy bits |")
    print("|---|" + "---|" * (len(names) + 2))
    for w in sorted({DEFAULT_WINDOW, GREEDY_WINDOW, 24}):
        corr, flat = scores(BeamSearch(window=w))
        changes, entropy = np.mean(flat, axis=0)
        print(f"| {w} | " + " | ".join(f"{c:.3f}" for c in corr)
              + f" | {changes:.1%} | {entropy:.2f} |", flush=True)


if __name__ == "__main__":
    main()
