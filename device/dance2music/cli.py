"""The `dance2music` command: one subcommand module per job, each in dance2music.commands."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from dance2music import __version__
from dance2music.errors import Dance2MusicError

# Each module defines register(subparsers), which adds its parser with set_defaults(func=...);
# func(args) returns the exit code. Imported lazily so `--help` stays fast.
COMMANDS = (
    "dance2music.commands.compose",
    "dance2music.commands.eval",
    "dance2music.commands.poses",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dance2music", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except Dance2MusicError as e:
        print(f"dance2music {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
