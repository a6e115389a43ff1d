"""Talking to the running service from the command line: where it listens and its token come
from --url/--token, else the environment, else the service's own configuration file."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import time
from pathlib import Path

from dance2music import config as configuration
from dance2music.errors import InputError
from dance2music.health.client import call

log = logging.getLogger(__name__)

ANY_ADDRESS = ("0.0.0.0", "::", "")


@dataclasses.dataclass(frozen=True)
class Endpoint:
    url: str
    token: str | None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path,
                        help=f"the service's configuration, read for its port and token "
                             f"(default {configuration.DEFAULT_CONFIG} if readable)")
    parser.add_argument("--url", help="the service's address, e.g. http://127.0.0.1:8765 "
                                      "(default: env DANCE2MUSIC_URL, else from the configuration)")
    parser.add_argument("--token", help="the [health] token, needed off loopback (default: env "
                                        "DANCE2MUSIC_TOKEN, else from the configuration)")


def _settings(path: Path | None) -> configuration.HealthSettings:
    """The [health] section. An explicit --config must load; the default file is often readable
    only by root and the service (mode 0640): then its defaults, which loopback needs."""
    if path is not None:
        return configuration.load(path).health
    try:
        return configuration.load(None).health
    except (InputError, OSError) as e:  # OSError: its folder is not searchable (mode 0750)
        log.debug("default configuration not used: %s", e)
        return configuration.HealthSettings()


def endpoint(args: argparse.Namespace) -> Endpoint:
    url = args.url or os.environ.get("DANCE2MUSIC_URL")
    token = args.token or os.environ.get("DANCE2MUSIC_TOKEN")
    if url is None or token is None:
        health = _settings(args.config)
        if url is None:
            host = "127.0.0.1" if health.host in ANY_ADDRESS else health.host
            url = f"http://[{host}]:{health.port}" if ":" in host else f"http://{host}:{health.port}"
        if token is None:
            token = health.token or None
    return Endpoint(url, token)


def wait_for_mode(where: Endpoint, settled, timeout_s: float = 3.0,
                  poll_s: float = 0.05) -> str | None:
    """Polls /status until `settled(mode)` holds; the mode then, or None on timeout. The loop
    applies queued commands at its next iteration, so the HTTP answer cannot say the result."""
    deadline = time.monotonic() + timeout_s
    mode = None
    while True:
        code, status = call(where.url, "/status", token=where.token)
        mode = status.get("mode") if code == 200 else None
        if mode is not None and settled(mode):
            return mode
        if time.monotonic() >= deadline:
            return None
        time.sleep(poll_s)
