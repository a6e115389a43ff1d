"""`dance2music compose`: music for a recorded dance."""

from __future__ import annotations

import argparse
from pathlib import Path

from dance2music.composition import OUTPUT_FORMATS, check_outputs, compose_sequence, write_outputs
from dance2music.errors import InputError
from dance2music.music.registry import COMPOSER_NAMES
from dance2music.pose import sequence
from dance2music.pose.features import REPRESENTATIONS


def add_composer_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--composer", default="beam", choices=COMPOSER_NAMES,
                   help="beam: the paper's offline search (default); greedy/baseline/random/"
                        "constant: causal and reference composers")
    p.add_argument("--k", type=int, default=6, help="frames per note at 30 fps (default 6 = 0.2 s)")
    p.add_argument("--beam", type=int, default=50, dest="beam_width", help="beam width (default 50)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random composers")
    p.add_argument("--representation", default="paper", choices=REPRESENTATIONS,
                   help="paper: image-normalised joints (default); body: hip-centred posture")


def register(sub) -> None:
    p = sub.add_parser("compose", help="compose music for a dance (pose file)",
                       description="Compose piano music for a recorded dance. Outputs by "
                                   f"extension: {', '.join(OUTPUT_FORMATS)}.")
    p.add_argument("input", type=Path, help="pose file (.npz: the project's format or AIST++)")
    p.add_argument("-o", "--output", type=Path, action="append", required=True,
                   help="output file; repeat for several formats")
    p.add_argument("--view", type=int, default=0, help="camera view of an AIST++ file")
    add_composer_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    check_outputs(args.output)
    seq = sequence.load(args.input, view=args.view)
    try:
        composition = compose_sequence(seq, args.composer, args.k, args.beam_width, args.seed,
                                       args.representation)
    except InputError as e:
        raise InputError(f"{args.input}: {e}") from None
    write_outputs(composition, args.output)
    for path in args.output:
        print(f"wrote {path}")
    return 0
