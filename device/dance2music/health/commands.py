"""The control commands the service accepts over HTTP, validated before they reach the loop."""

from __future__ import annotations

from dance2music.config import MODES
from dance2music.errors import InputError
from dance2music.sound import volume
from dance2music.sound.worlds import WORLD_NAMES

PLAIN_COMMANDS = ("next", "standby", "wake")


def parse_command(request: object) -> str:
    """A JSON request body -> the loop's command string.

    {"command": "next"} -> "next"; {"command": "set", "mode": "greedy"} -> "set greedy".
    Anything else raises InputError naming what was wrong.
    """
    if not isinstance(request, dict):
        raise InputError(f"request body must be a JSON object, got {type(request).__name__}")
    command = request.get("command")
    if command in PLAIN_COMMANDS:
        return command
    if command == "set":
        mode = request.get("mode")
        if mode not in MODES:
            raise InputError(f"mode {mode!r} is not one of {', '.join(MODES)}")
        return f"set {mode}"
    raise InputError(f"command {command!r} is not one of {', '.join(PLAIN_COMMANDS + ('set',))}")


def parse_sound_command(request: object) -> str:
    """A JSON body of POST /sound -> the loop's command string.

    {"world": "night"} or {"world": "next"} -> "world night"; {"volume": "up"} / "down" /
    "cycle" -> "volume up"; {"volume": "set", "volume_db": -6} -> "volume set -6.0".
    """
    if not isinstance(request, dict):
        raise InputError(f"request body must be a JSON object, got {type(request).__name__}")
    if set(request) == {"world"}:
        world = request["world"]
        if world not in ("next", *WORLD_NAMES):
            raise InputError(f"world {world!r} is not one of next, {', '.join(WORLD_NAMES)}")
        return f"world {world}"
    action = request.get("volume")
    if action in volume.COMMANDS and set(request) <= {"volume", "volume_db"}:
        value = request.get("volume_db")
        if action == "set":
            return f"volume set {volume.adjusted(0.0, 'set', value):g}"
        if value is not None:
            raise InputError(f"volume_db goes with \"volume\": \"set\" only, not {action!r}")
        return f"volume {action}"
    raise InputError('expected {"world": NAME|"next"} or {"volume": "up"|"down"|"cycle"} or '
                     '{"volume": "set", "volume_db": DB}')
