"""`dance2music status`: what the service is doing, readable over ssh; the exit code says
healthy (0), degraded (1: running but a component is down) or down (2: stalled or unreachable).
The address is read from the service's configuration (or --url)."""

from __future__ import annotations

import argparse

from dance2music.commands import service
from dance2music.commands.output import print_json
from dance2music.health.client import ServiceUnreachable, call

HEALTHY, DEGRADED, DOWN = 0, 1, 2
STAGES = ("capture", "pose", "compose", "schedule")


def register(subparsers) -> None:
    p = subparsers.add_parser("status", help="show the running service's health and stats",
                              description=__doc__)
    service.add_arguments(p)
    p.add_argument("--json", action="store_true",
                   help="print /status as JSON (also when the service is down: then "
                        '{"health": {"alive": false, ...}, "error": ...})')
    p.set_defaults(func=run)


def verdict(status: dict) -> int:
    health = status.get("health") or {}
    if not health.get("alive"):
        return DOWN
    return HEALTHY if health.get("ready") and not health.get("degraded") else DEGRADED


def run(args: argparse.Namespace) -> int:
    where = service.endpoint(args)
    try:
        code, status = call(where.url, "/status", token=where.token)
        error = None if code == 200 else f"/status answered {code}: {status.get('error', status)}"
    except ServiceUnreachable as e:
        error = str(e)
    if error is not None:
        if args.json:
            print_json({"health": {"alive": False, "ready": False}, "error": error,
                        "url": where.url})
        else:
            print(f"dance2music: DOWN: {error}")
        return DOWN
    result = verdict(status)
    if args.json:
        print_json(status)
    else:
        print(summary(status, result))
    return result


def _ms(quantiles: dict | None) -> str:
    q = quantiles or {}
    if q.get("p50") is None:
        return "-"
    return f"{q['p50']:.0f}/{q.get('p99') or 0:.0f}"


def _grid(status: dict) -> str:
    if status.get("grid") != "tempo":
        return "fixed (0.2 s notes)"
    bpm = status.get("tempo_bpm")
    tempo = "no tempo yet" if bpm is None else f"{bpm:.1f} BPM"
    state = "locked" if status.get("tempo_locked") else "not locked: fixed step"
    return (f"tempo: {tempo}, confidence {float(status.get('tempo_confidence') or 0):.2f}, "
            f"{state}")


def summary(status: dict, result: int) -> str:
    health = status.get("health") or {}
    latency = status.get("latency_ms") or {}
    word = {HEALTHY: "healthy", DEGRADED: "DEGRADED", DOWN: "DOWN (loop stalled)"}[result]
    not_ready = health.get("not_ready") or {}
    names = dict.fromkeys([*(status.get("components") or {}), *not_ready])
    degraded = health.get("degraded") or {}
    reported = status.get("components") or {}

    def state(name: str) -> str:
        if name in not_ready:
            return f"{name} DOWN ({not_ready[name]})"
        if name in degraded:
            return f"{name} DEGRADED ({degraded[name]})"
        value = reported.get(name)
        idle = isinstance(value, dict) and value.get("state") == "idle"
        return f"{name} idle" if idle else f"{name} up"

    components = ", ".join(state(name) for name in names) or "none reported"
    platform = status.get("platform") or {}
    cpu = []
    if platform.get("cpu_temperature_c") is not None:
        cpu.append(f"{platform['cpu_temperature_c']:.1f} °C")
    throttling = platform.get("throttling")
    if throttling:
        active = [k for k, v in throttling.items() if k != "raw" and v]
        cpu.append("throttling: " + (", ".join(active) if active else "none"))
    lines = [
        f"dance2music {status.get('version', '?')}: {word}",
        f"  mode        {status.get('mode', '?')}"
        f"{' (dancer in view)' if status.get('person_present') else ' (nobody in view)'}",
        f"  frames      {float(status.get('fps') or 0):.1f} fps, {status.get('frames_dropped', 0)} dropped",
        f"  latency     end-to-end p50/p99 {_ms(latency.get('end_to_end'))} ms "
        f"(fixed L {status.get('fixed_latency_ms', '?')} ms), "
        f"{status.get('deadline_misses', 0)} deadline misses",
        "  stages      " + "  ".join(f"{s} {_ms(latency.get(s))}" for s in STAGES) + " ms",
        f"  notes       {status.get('notes_played', 0)} played",
        f"  grid        {_grid(status)}",
        f"  components  {components}",
        f"  uptime      {float(status.get('uptime_s') or 0):.0f} s"
        + (f", last iteration {health['progress_age_s']:.1f} s ago"
           if health.get("progress_age_s") is not None else ""),
    ]
    if cpu:
        lines.append("  cpu         " + ", ".join(cpu))
    if status.get("view_watched"):
        lines.append("  setup page  the camera view is being watched")
    for name, digest in sorted((status.get("models") or {}).items()):
        lines.append(f"  model       {name} sha256 {str(digest)[:12]}")
    return "\n".join(lines)
