"""The listener's volume: dB relative to the calibrated level (0 dB = -16 LUFS), changed live
(CLI, HTTP, button) and kept in a small file across restarts."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

from dance2music.errors import InputError
from dance2music.files import atomic_path

log = logging.getLogger(__name__)

MIN_DB = -40.0
MAX_DB = 6.0  # above the calibrated level the limiter works harder; no higher
STEP_DB = 3.0
CYCLE_STEP_DB = 6.0  # the button's "cycle": 0, -6, -12, then back to 0 dB
CYCLE_FLOOR_DB = -12.0
COMMANDS = ("up", "down", "set", "cycle")


def adjusted(current_db: float, command: str, value_db: float | None = None) -> float:
    """The volume after `command` ('up'/'down' by STEP_DB, 'set' to `value_db`, 'cycle' down
    by CYCLE_STEP_DB and from under CYCLE_FLOOR_DB back to 0), within MIN_DB..MAX_DB; an
    InputError names a bad command or value."""
    if command == "cycle":
        lower = current_db - CYCLE_STEP_DB
        target = lower if lower >= CYCLE_FLOOR_DB else 0.0
    elif command == "up":
        target = current_db + STEP_DB
    elif command == "down":
        target = current_db - STEP_DB
    elif command == "set":
        number = isinstance(value_db, int | float) and not isinstance(value_db, bool)
        if not (number and math.isfinite(value_db)):
            raise InputError(f"volume set: expected a number of dB in {MIN_DB:g}..{MAX_DB:g}, "
                             f"got {value_db!r}")
        if not MIN_DB <= value_db <= MAX_DB:
            raise InputError(f"volume set: expected {MIN_DB:g}..{MAX_DB:g} dB, got {value_db:g}")
        target = float(value_db)
    else:
        raise InputError(f"volume: expected one of {', '.join(COMMANDS)}, got {command!r}")
    return min(MAX_DB, max(MIN_DB, target))


def gain(volume_db: float) -> float:
    return 10 ** (volume_db / 20)


class VolumeStore:
    """The volume kept in `path` (JSON {"volume_db": x}); None = not kept."""

    def __init__(self, path: Path | None, default_db: float = 0.0):
        self.path = path
        self.default_db = default_db

    def load(self) -> float:
        if self.path is None or not self.path.exists():
            return self.default_db
        try:
            value = json.loads(self.path.read_text())["volume_db"]
            return adjusted(0.0, "set", value)
        except (OSError, ValueError, KeyError, TypeError) as e:  # InputError is a ValueError
            log.warning("volume: %s unreadable (%s); using %g dB", self.path, e, self.default_db)
            return self.default_db

    def save(self, volume_db: float) -> None:
        if self.path is None:
            return
        try:
            with atomic_path(self.path) as tmp:
                tmp.write_text(json.dumps({"volume_db": volume_db}) + "\n")
        except OSError as e:  # a read-only state dir must not stop the music
            log.warning("volume: cannot keep it in %s (%s)", self.path, e.strerror or e)
