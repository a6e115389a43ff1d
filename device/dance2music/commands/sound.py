"""`dance2music volume up|down|set DB` and `dance2music world NAME|next`: change the running
service's sound and print it afterwards (from its /status). Like `mode`: accepted from
loopback or with the service's token; the volume is kept across restarts by the service."""

from __future__ import annotations

import argparse
import time

from dance2music.commands import service
from dance2music.commands.output import print_json
from dance2music.errors import Dance2MusicError
from dance2music.health.client import call
from dance2music.sound import volume
from dance2music.sound.worlds import WORLD_NAMES


def register(subparsers) -> None:
    v = subparsers.add_parser("volume", help="turn the running service's music up or down",
                              description=__doc__)
    service.add_arguments(v)
    v.add_argument("--json", action="store_true", help="print the /status sound as JSON")
    actions = v.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("up", help=f"{volume.STEP_DB:g} dB louder")
    actions.add_parser("down", help=f"{volume.STEP_DB:g} dB softer")
    set_parser = actions.add_parser("set", help="a volume in dB relative to the calibrated "
                                                "level (0 dB = -16 LUFS)")
    set_parser.add_argument("db", type=float, metavar="DB",
                            help=f"{volume.MIN_DB:g}..{volume.MAX_DB:g}")
    v.set_defaults(func=run_volume)
    w = subparsers.add_parser("world", help="switch the running service's sound world",
                              description=__doc__)
    service.add_arguments(w)
    w.add_argument("--json", action="store_true", help="print the /status sound as JSON")
    w.add_argument("name", choices=("next", *WORLD_NAMES), help="a world, or the next one")
    w.set_defaults(func=run_world)


def _sound(where) -> dict | None:
    code, status = call(where.url, "/status", token=where.token)
    return status.get("sound") if code == 200 else None


def _change(args, payload: dict, settled) -> int:
    where = service.endpoint(args)
    before = _sound(where)
    code, body = call(where.url, "/sound", payload, token=where.token)
    if code != 202:
        raise Dance2MusicError(f"the service refused {payload}: {code} {body.get('error', body)}")
    deadline = time.monotonic() + 3.0
    sound = _sound(where)
    while not (sound and settled(before, sound)) and time.monotonic() < deadline:
        time.sleep(0.05)
        sound = _sound(where)
    if args.json:
        print_json({"accepted": body["accepted"], "sound": sound})
    elif sound:
        print(f"world: {sound['world']}  volume: {sound['volume_db']:+.1f} dB")
    return 0 if sound and settled(before, sound) else 1


def run_volume(args: argparse.Namespace) -> int:
    if args.action == "set":
        volume.adjusted(0.0, "set", args.db)  # a bad value: exit 2 before asking the service
        return _change(args, {"volume": "set", "volume_db": args.db},
                       lambda before, now: now["volume_db"] == args.db)
    return _change(args, {"volume": args.action}, lambda before, now: before is None
                   or now["volume_db"] != before["volume_db"]
                   or now["volume_db"] in (volume.MIN_DB, volume.MAX_DB))


def run_world(args: argparse.Namespace) -> int:
    if args.name == "next":
        return _change(args, {"world": "next"}, lambda before, now: before is None
                       or now["world"] != before["world"])
    return _change(args, {"world": args.name},
                   lambda before, now: now["world"] == args.name)
