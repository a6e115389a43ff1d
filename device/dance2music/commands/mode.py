"""`dance2music mode next | set NAME | standby | wake`: change the running service's mode and
print the mode it is in afterwards. Accepted from loopback (e.g. over ssh on the box) or with
the service's token; the address and token are read from the service's configuration."""

from __future__ import annotations

import argparse

from dance2music.commands import service
from dance2music.commands.output import print_json
from dance2music.errors import Dance2MusicError
from dance2music.health.client import call
from dance2music.modes.table import MODE_NAMES as MODES

STANDBY = "standby"


def register(subparsers) -> None:
    p = subparsers.add_parser("mode", help="switch the running service's mode",
                              description=__doc__)
    service.add_arguments(p)
    p.add_argument("--json", action="store_true",
                   help='print {"accepted": ..., "mode": ...} as JSON')
    p.add_argument("--wait", type=float, default=3.0, metavar="S",
                   help="seconds to wait for the service to switch (default 3)")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("next", help="cycle to the next music mode (from standby: wake)")
    set_parser = actions.add_parser("set", help="switch to a named mode")
    set_parser.add_argument("name", choices=MODES, help="live: the online note classifier; "
                            "greedy/baseline: simpler causal composers; replay: the last "
                            "seconds composed by the beam search; standby: silent, camera off")
    actions.add_parser("standby", help="stop listening and playing")
    actions.add_parser("wake", help="leave standby (back to the mode before it)")
    p.set_defaults(func=run)


def _settled(action: str, target: str | None, before: str | None):
    """When the loop has applied the command, judged from the mode it reports."""
    if action == "set":
        return lambda mode: mode == target
    if action == STANDBY:
        return lambda mode: mode == STANDBY
    if action == "wake":
        return lambda mode: mode != STANDBY
    return lambda mode: before is None or mode != before


def run(args: argparse.Namespace) -> int:
    where = service.endpoint(args)
    payload = {"command": args.action}
    if args.action == "set":
        payload["mode"] = args.name
    code, status = call(where.url, "/status", token=where.token)
    before = status.get("mode") if code == 200 else None
    code, body = call(where.url, "/mode", payload, token=where.token)
    if code != 202:
        raise Dance2MusicError(f"the service refused {payload}: {code} {body.get('error', body)}")
    mode = service.wait_for_mode(where, _settled(args.action, payload.get("mode"), before),
                                 timeout_s=args.wait)
    if args.json:
        print_json({"accepted": body["accepted"], "mode": mode})
    elif mode is None:
        print(f"accepted: {body['accepted']} (the service has not switched within "
              f"{args.wait:g} s; see `dance2music status`)")
    else:
        print(f"mode: {mode}")
    return 0 if mode is not None else 1
