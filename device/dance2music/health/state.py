"""Reading health out of the loop's snapshot: alive (progress is recent) and ready (every
component up). Shared by the HTTP server, the metrics and the sd_notify heartbeat."""

from __future__ import annotations

import time

REQUIRED_COMPONENTS = ("camera", "pose", "composer", "audio")


def component_states(snap: dict) -> dict[str, tuple[bool, str | None]]:
    """{"camera": (up, error), ...}; a component may be reported as a bool or as a dict
    {"up": bool, "error": str}. A required component missing from the snapshot is down."""
    reported = snap.get("components") or {}
    states = {}
    for name in dict.fromkeys(REQUIRED_COMPONENTS + tuple(reported)):
        value = reported.get(name)
        if isinstance(value, dict):
            up = bool(value.get("up", value.get("ok", False)))
            error = value.get("error")
        else:
            up, error = bool(value), None
        if name not in reported:
            error = "not reported"
        states[name] = (up, None if up else (str(error) if error else "down"))
    return states


def not_ready(snap: dict) -> dict[str, str]:
    """The components that are not up, each with its error."""
    return {name: error for name, (up, error) in component_states(snap).items() if not up}


def degraded(snap: dict) -> dict[str, str]:
    """The components that are up but doing less than asked (the live mode playing its
    fallback composer), each with what it does instead."""
    reported = snap.get("components") or {}
    return {name: value["degraded"] for name, value in reported.items()
            if isinstance(value, dict) and value.get("degraded")}


def progress_age_s(snap: dict, now_s: float | None = None) -> float | None:
    """Seconds since the loop's last completed iteration (monotonic), None before the first."""
    last = snap.get("last_progress_s")
    if last is None:
        return None
    return (time.monotonic() if now_s is None else now_s) - float(last)


def is_alive(snap: dict, stall_after_s: float) -> bool:
    age = progress_age_s(snap)
    return age is not None and age <= stall_after_s
