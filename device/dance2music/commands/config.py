"""`dance2music config check|defaults`: validate a configuration file (every value, and that
the files it names exist), or print the documented defaults (every key with its meaning, unit
and range). Secrets (the health token) are never printed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dance2music import config as configuration
from dance2music.errors import InputError


def register(subparsers) -> None:
    p = subparsers.add_parser("config", help="check the configuration or print its defaults",
                              description=__doc__)
    p.add_argument("action", choices=("check", "defaults"),
                   help="check: validate the file (exit 2 naming the key and the expected value "
                        "if anything is wrong) and print it with every key documented; "
                        "defaults: print the default configuration, documented")
    p.add_argument("--config", type=Path, metavar="FILE",
                   help=f"the TOML file to check (default {configuration.DEFAULT_CONFIG} if "
                        f"present, else the defaults)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.action == "defaults":
        sys.stdout.write(configuration.documented())
        return 0
    cfg = configuration.load(args.config)
    where = args.config or (configuration.DEFAULT_CONFIG if configuration.DEFAULT_CONFIG.exists()
                            else "no file: defaults")
    missing = configuration.missing_paths(cfg)
    if missing:
        raise InputError("\n".join(f"{where}: {m}" for m in missing))
    print(f"{where}: OK", file=sys.stderr)
    sys.stdout.write(configuration.documented(cfg))
    return 0
