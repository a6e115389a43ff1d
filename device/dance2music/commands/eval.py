"""`dance2music eval`: the evaluation table over pose files."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from dance2music.evaluation import evaluate, format_table
from dance2music.music.registry import COMPOSER_NAMES, composer_names
from dance2music.pose import sequence
from dance2music.music.composer import DEFAULT_LOOKAHEAD_FRAMES
from dance2music.pose.features import DEFAULT_REPRESENTATION, REPRESENTATIONS


def register(sub) -> None:
    p = sub.add_parser("eval", help="compare the composers on pose files",
                       description="Global and local SSM correlation, Beat Align Score and "
                                   "next-note accuracy against the beam search (teacher "
                                   "forcing), averaged over the given dances, per composer.")
    p.add_argument("files", type=Path, nargs="+", help="pose files (.npz: project or AIST++)")
    p.add_argument("--view", type=int, default=0, help="camera view of AIST++ files")
    p.add_argument("--composers", help=f"comma-separated (default {','.join(COMPOSER_NAMES)}; "
                                       "online only on the representation it was trained on)")
    p.add_argument("--representation", default=DEFAULT_REPRESENTATION, choices=REPRESENTATIONS)
    p.add_argument("--lookahead", type=int, default=DEFAULT_LOOKAHEAD_FRAMES,
                   dest="lookahead_frames", metavar="D",
                   help="frames of each note's own interval the causal composers see "
                        f"(default {DEFAULT_LOOKAHEAD_FRAMES}, as the live loop)")
    p.add_argument("--k", type=int, default=6)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    dances = [sequence.load(f, view=args.view) for f in args.files]
    composers = (tuple(c.strip() for c in args.composers.split(",") if c.strip())
                 if args.composers else composer_names(args.representation))
    table = evaluate(dances, composers, k=args.k, seed=args.seed,
                     representation=args.representation, lookahead_frames=args.lookahead_frames)
    print(json.dumps(table, indent=1) if args.json else format_table(table))
    return 0
