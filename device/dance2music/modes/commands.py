"""Commands to the live loop, one type for every way in: the button makes them, the HTTP body
and the command line are parsed into them. The button and the HTTP server only enqueue them;
the loop drains the queue between frames, so nobody else touches its state."""

from __future__ import annotations

import dataclasses
import queue

from dance2music.errors import InputError
from dance2music.modes.table import MODE_NAMES
from dance2music.sound import volume
from dance2music.sound.worlds import WORLD_NAMES

VERBS = ("next", "standby", "wake", "toggle-standby")  # and "set" with a mode
SOUND_VERBS = ("world", "volume")  # for the loop's sound, with `sound` saying what


@dataclasses.dataclass(frozen=True)
class Command:
    verb: str  # one of VERBS, "set", or one of SOUND_VERBS
    mode: str | None = None  # the mode of "set"
    sound: str | None = None  # "world": a world or "next"; "volume": up|down|cycle|set DB

    def __post_init__(self) -> None:
        if self.verb in SOUND_VERBS and self.mode is None:
            self._check_sound()
        elif self.verb == "set" and self.sound is None:
            if self.mode not in MODE_NAMES:
                raise InputError(f"mode {self.mode!r} is not one of {', '.join(MODE_NAMES)}")
        elif self.verb not in VERBS or self.mode is not None or self.sound is not None:
            raise InputError(f"command {self.verb!r}: expected one of {', '.join(VERBS)}, "
                             f"'set MODE' with MODE one of {', '.join(MODE_NAMES)}, "
                             f"'world NAME|next' or 'volume up|down|cycle|set DB'")

    def _check_sound(self) -> None:
        words = (self.sound or "").split()
        if self.verb == "world":
            if len(words) != 1 or words[0] not in ("next", *WORLD_NAMES):
                raise InputError(f"world {self.sound!r} is not one of next, "
                                 f"{', '.join(WORLD_NAMES)}")
        elif words[:1] == ["set"] and len(words) == 2:
            volume.adjusted(0.0, "set", _number(words[1]))
        elif len(words) != 1 or words[0] == "set":
            raise InputError(f"volume {self.sound!r}: expected up, down, cycle or 'set DB'")
        else:
            volume.adjusted(0.0, words[0])  # InputError for anything else

    @property
    def volume(self) -> tuple[str, float | None]:
        """("up"|"down"|"cycle"|"set", dB of "set") of a volume command."""
        action, _, value = (self.sound or "").partition(" ")
        return action, (float(value) if value else None)

    @classmethod
    def parse(cls, text: str) -> Command:
        """'next' | 'standby' | 'wake' | 'toggle-standby' | 'set <mode>' | 'world <name>|next'
        | 'volume up|down|cycle|set <dB>'."""
        words = text.split()
        if words[:1] and words[0] in SOUND_VERBS:
            return cls(words[0], sound=" ".join(words[1:]))
        if len(words) == 2 and words[0] == "set":
            return cls("set", words[1])
        if len(words) == 1 and words[0] != "set":
            return cls(words[0])
        return cls(f"{text!r}" if text.strip() else "''")  # refused, naming the text

    @classmethod
    def from_json(cls, request: object) -> Command:
        """An HTTP body of POST /mode: {"command": "next"} or {"command": "set", "mode":
        "greedy"}."""
        if not isinstance(request, dict):
            raise InputError(f"request body must be a JSON object, got {type(request).__name__}")
        verb = request.get("command")
        if not isinstance(verb, str) or verb in SOUND_VERBS:
            raise InputError(f"command {verb!r} is not one of {', '.join(VERBS + ('set',))}")
        return cls(verb, request.get("mode") if verb == "set" else None)

    @classmethod
    def from_sound_json(cls, request: object) -> Command:
        """An HTTP body of POST /sound: {"world": NAME|"next"}, {"volume": "up"|"down"|
        "cycle"} or {"volume": "set", "volume_db": DB}."""
        if not isinstance(request, dict):
            raise InputError(f"request body must be a JSON object, got {type(request).__name__}")
        if set(request) == {"world"} and isinstance(request["world"], str):
            return cls("world", sound=request["world"])
        action = request.get("volume")
        if isinstance(action, str) and set(request) <= {"volume", "volume_db"}:
            if action == "set":
                value = volume.adjusted(0.0, "set", request.get("volume_db"))
                return cls("volume", sound=f"set {value:g}")
            if "volume_db" in request:
                raise InputError(f'volume_db goes with "volume": "set" only, not {action!r}')
            return cls("volume", sound=action)
        raise InputError('expected {"world": NAME|"next"}, {"volume": "up"|"down"|"cycle"} or '
                         '{"volume": "set", "volume_db": DB}')

    def __str__(self) -> str:
        if self.verb in SOUND_VERBS:
            return f"{self.verb} {self.sound}"
        return f"set {self.mode}" if self.verb == "set" else self.verb


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


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
