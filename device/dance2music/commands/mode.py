"""`dance2music mode next | set NAME | standby | wake`: change the running service's mode.
Accepted from loopback (e.g. over ssh on the box) or with the service's token."""

from __future__ import annotations

import argparse
import os

from dance2music.errors import Dance2MusicError
from dance2music.health.client import call, default_url
from dance2music.health.commands import MODES


def register(subparsers) -> None:
    p = subparsers.add_parser("mode", help="switch the running service's mode",
                              description=__doc__)
    p.add_argument("--url", default=default_url(),
                   help="the service's health address (default %(default)s; env DANCE2MUSIC_URL)")
    p.add_argument("--token", default=os.environ.get("DANCE2MUSIC_TOKEN"),
                   help="the [health] token, needed off loopback (env DANCE2MUSIC_TOKEN)")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("next", help="cycle to the next mode")
    set_parser = actions.add_parser("set", help="switch to a named mode")
    set_parser.add_argument("name", choices=MODES)
    actions.add_parser("standby", help="stop listening and playing")
    actions.add_parser("wake", help="leave standby")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    payload = {"command": args.action}
    if args.action == "set":
        payload["mode"] = args.name
    code, body = call(args.url, "/mode", payload, token=args.token)
    if code != 202:
        raise Dance2MusicError(f"the service refused {payload}: {code} {body.get('error', body)}")
    print(f"accepted: {body['accepted']}")
    return 0
