"""Commands to the live loop, one type for every way in: the button makes them, the HTTP body
and the command line are parsed into them. The button and the HTTP server only enqueue them;
the loop drains the queue between frames, so nobody else touches its state."""

from __future__ import annotations

import dataclasses
import queue

from dance2music.errors import InputError
from dance2music.modes.table import MODE_NAMES

VERBS = ("next", "standby", "wake", "toggle-standby")  # and "set" with a mode


@dataclasses.dataclass(frozen=True)
class Command:
    verb: str  # one of VERBS, or "set"
    mode: str | None = None  # the mode of "set"

    def __post_init__(self) -> None:
        if self.verb == "set":
            if self.mode not in MODE_NAMES:
                raise InputError(f"mode {self.mode!r} is not one of {', '.join(MODE_NAMES)}")
        elif self.verb not in VERBS or self.mode is not None:
            raise InputError(f"command {self.verb!r}: expected one of {', '.join(VERBS)}, "
                             f"or 'set MODE' with MODE one of {', '.join(MODE_NAMES)}")

    @classmethod
    def parse(cls, text: str) -> Command:
        """'next' | 'standby' | 'wake' | 'toggle-standby' | 'set <mode>'."""
        words = text.split()
        if len(words) == 2 and words[0] == "set":
            return cls("set", words[1])
        if len(words) == 1 and words[0] != "set":
            return cls(words[0])
        return cls(f"{text!r}" if text.strip() else "''")  # refused, naming the text

    @classmethod
    def from_json(cls, request: object) -> Command:
        """An HTTP body: {"command": "next"} or {"command": "set", "mode": "greedy"}."""
        if not isinstance(request, dict):
            raise InputError(f"request body must be a JSON object, got {type(request).__name__}")
        verb = request.get("command")
        if not isinstance(verb, str):
            raise InputError(f"command {verb!r} is not one of {', '.join(VERBS + ('set',))}")
        return cls(verb, request.get("mode") if verb == "set" else None)

    def __str__(self) -> str:
        return f"set {self.mode}" if self.verb == "set" else self.verb


class CommandQueue:
    def __init__(self, maxsize: int = 64):
        self._queue: queue.Queue[Command] = queue.Queue(maxsize)

    def submit(self, command: Command | str) -> None:
        """Validate and enqueue (InputError for a bad command or a full queue)."""
        if isinstance(command, str):
            command = Command.parse(command)
        try:
            self._queue.put_nowait(command)
        except queue.Full:
            raise InputError("command queue full: the loop is not draining it") from None

    def wait(self, timeout_s: float) -> Command | None:
        try:
            return self._queue.get(timeout=timeout_s)
        except queue.Empty:
            return None

    def drain(self) -> list[Command]:
        out = []
        while True:
            try:
                out.append(self._queue.get_nowait())
            except queue.Empty:
                return out
