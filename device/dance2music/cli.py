"""Dance2Music: piano music that follows a dancer, live from a camera or composed for a
recorded dance. `dance2music COMMAND --help` describes each command."""

from __future__ import annotations

import argparse
import importlib
import sys

from dance2music import __version__
from dance2music.commands.output import EXIT_BROKEN_PIPE, silence_stdout
from dance2music.errors import Dance2MusicError
from dance2music.health.logs import configure_logging

# Each module defines register(subparsers), which adds its parser with set_defaults(func=...);
# func(args) returns the exit code. Imported lazily so `--help` stays fast.
COMMANDS = (
    "dance2music.commands.compose",
    "dance2music.commands.eval",
    "dance2music.commands.run",
    "dance2music.commands.config",
    "dance2music.commands.status",
    "dance2music.commands.mode",
    "dance2music.commands.sound",
    "dance2music.commands.audio",
    "dance2music.commands.poses",
)


def _add_verbosity(parser: argparse.ArgumentParser, top: bool) -> None:
    """-v/-q on the top parser and on every subcommand, so they work before or after it; the
    subcommands' copies set nothing unless given (SUPPRESS), leaving the top one's value."""
    default = {} if top else {"default": argparse.SUPPRESS}
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-v", "--verbose", action="store_true", help="log debug messages",
                       **default)
    group.add_argument("-q", "--quiet", action="store_true", help="log only warnings and errors",
                       **default)


def _subparsers(parser: argparse.ArgumentParser):
    for action in parser._actions:  # argparse has no public walk over its subcommands
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.values()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dance2music", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_verbosity(parser, top=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    pending = list(_subparsers(parser))
    while pending:
        child = pending.pop()
        _add_verbosity(child, top=False)
        pending.extend(_subparsers(child))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose, quiet=args.quiet)  # the journal when stderr is it, else stderr
    try:
        code = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler below
        return code
    except BrokenPipeError:  # `dance2music ... | head`: the reader has gone, nothing to say
        silence_stdout()
        return EXIT_BROKEN_PIPE
    except Dance2MusicError as e:
        print(f"dance2music {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
