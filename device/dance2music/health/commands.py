"""The control commands the service accepts over HTTP, validated before they reach the loop."""

from __future__ import annotations

from dance2music.config import MODES
from dance2music.errors import InputError

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
