"""Commands to the live loop. The button and the HTTP server only enqueue them; the loop
drains the queue between frames, so nobody else touches its state."""

from __future__ import annotations

import queue

from dance2music.config import MODES
from dance2music.errors import InputError
from dance2music.sound import volume
from dance2music.sound.worlds import WORLD_NAMES

SIMPLE = ("next", "standby", "wake", "toggle-standby")
SOUND_VERBS = ("world", "volume")  # handled by the loop's sound, not the mode machine


def parse(text: str) -> tuple[str, str | None]:
    """'next' | 'standby' | 'wake' | 'toggle-standby' | 'set <mode>' | 'world <name>|next' |
    'volume up|down|set <dB>' -> (verb, argument)."""
    words = text.split()
    if len(words) == 1 and words[0] in SIMPLE:
        return words[0], None
    if len(words) == 2 and words[0] == "set" and words[1] in MODES:
        return "set", words[1]
    if len(words) == 2 and words[0] == "world" and words[1] in ("next", *WORLD_NAMES):
        return "world", words[1]
    if words[:1] == ["volume"]:
        action = words[1:2] or [""]
        value = float(words[2]) if len(words) == 3 and _is_number(words[2]) else None
        volume.adjusted(0.0, action[0], value if action[0] == "set" else None)  # or InputError
        if len(words) == (3 if action[0] == "set" else 2):
            return "volume", " ".join(words[1:])
    raise InputError(f"command {text!r}: expected one of {', '.join(SIMPLE)}, "
                     f"'set MODE' with MODE one of {', '.join(MODES)}, 'world NAME|next' with "
                     f"NAME one of {', '.join(WORLD_NAMES)}, or 'volume up|down|set DB'")


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


class CommandQueue:
    def __init__(self, maxsize: int = 64):
        self._queue: queue.Queue[tuple[str, str | None]] = queue.Queue(maxsize)

    def submit(self, text: str) -> None:
        """Validate and enqueue (InputError for a bad command; a full queue drops it)."""
        command = parse(text)
        try:
            self._queue.put_nowait(command)
        except queue.Full:
            raise InputError("command queue full: the loop is not draining it") from None

    def wait(self, timeout_s: float) -> tuple[str, str | None] | None:
        try:
            return self._queue.get(timeout=timeout_s)
        except queue.Empty:
            return None

    def drain(self) -> list[tuple[str, str | None]]:
        out = []
        while True:
            try:
                out.append(self._queue.get_nowait())
            except queue.Empty:
                return out
