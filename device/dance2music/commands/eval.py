"""`dance2music eval`: the evaluation table over pose files."""

from __future__ import annotations

import argparse
from pathlib import Path

from dance2music.commands.compose import REPRESENTATION_HELP
from dance2music.commands.output import print_json
from dance2music.evaluation import evaluate, format_table
from dance2music.music.composer import DEFAULT_LOOKAHEAD_FRAMES
from dance2music.music.registry import COMPOSER_NAMES, composer_names, composers_help
from dance2music.pose import sequence
from dance2music.pose.features import DEFAULT_REPRESENTATION, REPRESENTATIONS


def register(sub) -> None:
    p = sub.add_parser("eval", help="compare the composers on pose files",
                       description="Global and local SSM correlation, Beat Align Score and "
                                   "next-note accuracy against the beam search (teacher "
                                   "forcing), averaged over the given dances, per composer.")
    p.add_argument("files", type=Path, nargs="+",
                   help="pose files (.npz: from `dance2music poses`, or AIST++ keypoints)")
    p.add_argument("--view", type=int, default=0,
                   help="camera view of AIST++ files (0-8, default 0); ignored for others")
    p.add_argument("--composers", metavar="NAMES",
                   help=f"comma-separated composers to compare (default all: "
                        f"{','.join(COMPOSER_NAMES)}; online only on the representation it was "
                        f"trained on). {composers_help()}")
    p.add_argument("--representation", default=DEFAULT_REPRESENTATION, choices=REPRESENTATIONS,
                   help=REPRESENTATION_HELP)
    p.add_argument("--lookahead", type=int, default=DEFAULT_LOOKAHEAD_FRAMES,
                   dest="lookahead_frames", metavar="D",
                   help="frames of each note's own interval the causal composers see "
                        f"(default {DEFAULT_LOOKAHEAD_FRAMES}, as the live loop)")
    p.add_argument("--k", type=int, default=6,
                   help="frames per note at 30 fps (default 6 = 0.2 s per note)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the random and baseline composers (default 0)")
    p.add_argument("--json", action="store_true",
                   help="print JSON (per composer: each measure's mean) instead of a table")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    dances = [sequence.load(f, view=args.view) for f in args.files]
    composers = (tuple(c.strip() for c in args.composers.split(",") if c.strip())
                 if args.composers else composer_names(args.representation))
    table = evaluate(dances, composers, k=args.k, seed=args.seed,
                     representation=args.representation, lookahead_frames=args.lookahead_frames)
    if args.json:
        print_json(table)
    else:
        print(format_table(table))
    return 0
