"""`dance2music run`: the live appliance (camera or video -> pose -> composer -> piano)."""

from __future__ import annotations

import argparse
import logging
import math
import signal
import threading
from pathlib import Path

from dance2music import config as configuration
from dance2music.sound.worlds import WORLD_NAMES

log = logging.getLogger(__name__)


def register(subparsers) -> None:
    p = subparsers.add_parser("run", help="play piano music that follows the dancer, live",
                              description=__doc__)
    p.add_argument("--config", type=Path, help=f"TOML configuration (default "
                                               f"{configuration.DEFAULT_CONFIG} if present)")
    p.add_argument("--source", help="'picamera', a camera index or /dev/videoN, or a video "
                                    "file (default: the bundled demo video)")
    p.add_argument("--audio-file", type=Path, help="write the audio to this WAV file (in real "
                                                   "time) instead of the sound card")
    p.add_argument("--duration", type=duration_s, metavar="S", help="stop after S seconds")
    p.add_argument("--mode", choices=configuration.MODES, help="mode at start")
    p.add_argument("--latency-ms", type=int, help="fixed latency L from grid to onset")
    p.add_argument("--lookahead", type=int, metavar="D", help="frames of each note's own "
                   "interval the composer sees ([loop] lookahead_frames)")
    p.add_argument("--world", choices=WORLD_NAMES, help="sound world at start ([sound] world)")
    p.add_argument("--grid", choices=("fixed", "tempo"),
                   help="note grid: fixed 0.2 s steps, or the dancer's tempo ([loop] grid)")
    p.set_defaults(func=run)


def duration_s(text: str) -> float:
    """A finite number of seconds > 0 (argparse answers anything else with exit 2)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a finite number of seconds > 0, got {text!r}")
    return value


# Command-line flag -> the configuration key it overrides.
FLAG_KEYS = {"source": ("capture", "source"), "mode": ("loop", "mode"),
             "latency_ms": ("loop", "fixed_latency_ms"), "lookahead": ("loop", "lookahead_frames"),
             "grid": ("loop", "grid"), "world": ("sound", "world")}


def overrides(args: argparse.Namespace) -> dict[str, dict]:
    """The command line's flags as configuration keys (they override the file)."""
    out: dict[str, dict] = {"capture": {}, "loop": {}, "audio": {}, "sound": {}}
    for flag, (section, key) in FLAG_KEYS.items():
        if getattr(args, flag) is not None:
            out[section][key] = getattr(args, flag)
    if args.audio_file is not None:
        out["audio"] |= {"driver": "file", "audio_file": str(args.audio_file)}
    return out


def run(args: argparse.Namespace) -> int:
    cfg = configuration.load(args.config).with_overrides(**overrides(args))
    # Handlers first: a stop asked for while the models load ends the run as soon as it can
    # begin, instead of killing the process half-built.
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    log.info("starting in mode %s", cfg.loop.mode)
    from dance2music.live.appliance import Appliance

    with Appliance(cfg, stopping=stopping) as appliance:
        appliance.run(args.duration)
    if appliance.loop.source_ended:
        # A source that ends is a failure for a service: exit 1 lets Restart=on-failure act.
        log.error("the video source ended (capture.loop_video = false); exiting with status 1")
        return 1
    return 0
