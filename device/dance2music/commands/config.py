"""`dance2music config check|defaults`: validate a configuration file (every value, and that
the files it names exist), or print the documented defaults (every key with its meaning, unit
and range). Secrets (the health token) are never printed."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

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
        sys.stdout.write(documented())
        return 0
    cfg = configuration.load(args.config)
    where = args.config or (configuration.DEFAULT_CONFIG if configuration.DEFAULT_CONFIG.exists()
                            else "no file: defaults")
    missing = missing_paths(cfg)
    if missing:
        raise InputError("\n".join(f"{where}: {m}" for m in missing))
    print(f"{where}: OK", file=sys.stderr)
    sys.stdout.write(documented(cfg))
    return 0


# Made by systemd when the service starts (the unit's RuntimeDirectory=, StateDirectory=,
# CacheDirectory=): a file there is fine before they exist (e.g. at deploy time).
SERVICE_DIRECTORIES = (Path("/run/dance2music"), Path("/var/lib/dance2music"),
                       Path("/var/cache/dance2music"))


def missing_paths(cfg: configuration.Config) -> list[str]:
    """Files the configuration names that do not exist (checked by `config check`, so a typo
    shows before the service starts, not as a retry loop on the device)."""
    problems = []
    source = cfg.capture.source
    if source and source != "picamera" and not source.isdigit() and not Path(source).exists():
        problems.append(f"[capture] source: {source} does not exist")
    if not Path(cfg.audio.soundfont).is_file():
        problems.append(f"[audio] soundfont: {cfg.audio.soundfont} is not a file")
    if cfg.pose.model_dir and not Path(cfg.pose.model_dir).is_dir():
        problems.append(f"[pose] model_dir: {cfg.pose.model_dir} is not a directory")
    if cfg.audio.driver == "file" and cfg.audio.audio_file:
        folder = Path(cfg.audio.audio_file).parent
        if not folder.is_dir() and folder not in SERVICE_DIRECTORIES:
            problems.append(f"[audio] audio_file: folder {folder} does not exist")
    return problems


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):  # JSON's escapes are valid TOML; TOML also wants DEL escaped
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    return repr(value)


def documented(config: configuration.Config = configuration.Config()) -> str:
    """The configuration as a TOML file with every key's meaning, unit and range."""
    lines = [f"# Dance2Music configuration ({configuration.DEFAULT_CONFIG}); every key is optional."]
    for section in dataclasses.fields(configuration.Config):
        lines += ["", f"[{section.name}]"]
        current = getattr(config, section.name)
        for f in dataclasses.fields(current):
            meta = f.metadata
            extra = [f"unit: {meta['unit']}"] if meta["unit"] else []
            if meta["low"] is not None:
                extra.append(f"range {meta['low']}..{meta['high']}")
            if meta["choices"]:
                extra.append("one of " + ", ".join(map(str, meta["choices"])))
            extra.append(f"default {toml_value(f.default)}")
            lines.append(f"# {meta['doc']} ({'; '.join(extra)})")
            value = getattr(current, f.name)
            if meta["secret"] and value:
                lines.append(f"# {f.name} is set (not shown)")
            else:
                lines.append(f"{f.name} = {toml_value(value)}")
    return "\n".join(lines) + "\n"
