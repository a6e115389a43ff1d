"""The one place commands print from: JSON that is always JSON (NaN and infinities as null),
and a closed pipe (`dance2music status | head -1`) ending the command quietly."""

from __future__ import annotations

import json
import math
import os
import sys
from typing import Any

EXIT_BROKEN_PIPE = 141  # what a shell reports for a process killed by SIGPIPE (128 + 13)


def finite(value: Any) -> Any:
    """`value` with every float that is not finite replaced by None, recursively (JSON has no
    NaN; Python's json module would write the invalid token `NaN`)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def to_json(value: Any) -> str:
    return json.dumps(finite(value), indent=2, sort_keys=True, default=str, allow_nan=False)


def print_json(value: Any) -> None:
    print(to_json(value))


def silence_stdout() -> None:
    """After a BrokenPipeError: point stdout at /dev/null so the interpreter's final flush does
    not raise again (the recipe of Python's signal documentation)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (tests capture it)
        pass
    finally:
        os.close(devnull)
