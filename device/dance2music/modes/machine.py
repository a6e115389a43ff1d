"""The mode state machine: music modes in a cycle, and standby beside them."""

from __future__ import annotations

from dance2music.modes.table import MODE_NAMES as MODES
from dance2music.modes.table import MUSIC_MODES, STANDBY


class ModeMachine:
    def __init__(self, mode: str = "live"):
        if mode not in MODES:
            raise ValueError(f"mode: expected one of {MODES}, got {mode!r}")
        self.mode = mode
        self._woken = mode if mode != STANDBY else MUSIC_MODES[0]  # mode to wake into

    def apply(self, verb: str, arg: str | None = None) -> str | None:
        """Apply a parsed command; returns the new mode, or None if nothing changed."""
        if verb == "toggle-standby":
            verb = "wake" if self.mode == STANDBY else "standby"
        if verb == "next":
            target = (self._woken if self.mode == STANDBY else
                      MUSIC_MODES[(MUSIC_MODES.index(self.mode) + 1) % len(MUSIC_MODES)])
        elif verb == "standby":
            target = STANDBY
        elif verb == "wake":
            target = self._woken if self.mode == STANDBY else self.mode
        elif verb == "set":
            target = arg
        else:
            raise ValueError(f"unknown command verb {verb!r}")
        if target == self.mode:
            return None
        if self.mode != STANDBY:
            self._woken = self.mode
        self.mode = target
        return target
