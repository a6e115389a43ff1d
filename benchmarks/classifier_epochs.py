"""Does the note classifier learn anything beyond greedy that transfers? Trains it with the
shipped recipe's data and settings, and after every epoch scores the model (FP32, torch) as a
composer at the shipped lookahead on the test, validation and training choreographies
(benchmarks/note_classifier.py section 5's groups and measures), beside greedy. A gain that
holds on all three groups, at most epochs, is one to trust; one that moves from epoch to epoch
on the test choreographies alone is noise.

    nice .venv/bin/python benchmarks/classifier_epochs.py [--epochs 8]   # the train extra
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from dance2music.music.causal import GreedyComposer  # noqa: E402
from dance2music.music.composer import DEFAULT_LOOKAHEAD_FRAMES  # noqa: E402
from models import dance_data  # noqa: E402
from models.classifier import build, data  # noqa: E402
from models.classifier.scoring import TorchComposer  # noqa: E402
from models.classifier.train import TrainConfig, train  # noqa: E402
from note_classifier import choreography_groups, group_scorer  # noqa: E402


def row(label: str, scores: dict) -> str:
    cross = f"cross_{build.REPRESENTATION}"
    cells = (f"{s['global']:.3f} / {s[cross]:.3f} / {100 * s['acc']:.1f}%"
             for s in scores.values())
    return f"| {label} | " + " | ".join(cells) + " |"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--epochs", type=int, default=8)
    args = p.parse_args()
    d = DEFAULT_LOOKAHEAD_FRAMES
    scored = group_scorer(build.REPRESENTATION)
    print(f"global corr / cross-view corr / next-note accuracy at d = {d}, "
          f"{build.REPRESENTATION}, all 9 views\n")
    print("| model | " + " | ".join(choreography_groups()) + " |")
    print("|---|" + "---|" * len(choreography_groups()))
    print(row("greedy", scored(GreedyComposer(lookahead_frames=d))), flush=True)
    train_choreographies = tuple(c for c in dance_data.TRAIN_CHOREOGRAPHIES
                                 if c != build.VALIDATION)
    cfg = dataclasses.replace(TrainConfig(), epochs=args.epochs)
    train_set = data.augmented_windows(train_choreographies, build.COPIES, cfg.seed,
                                       build.REPRESENTATION, build.LOOKAHEADS)
    train(train_set, lambda model: 0.0, cfg, log=lambda line: None,
          on_epoch=lambda epoch, model: print(row(f"online, epoch {epoch}", scored(
              TorchComposer(model, d))), flush=True))


if __name__ == "__main__":
    main()
