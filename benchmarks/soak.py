"""A soak run of the real appliance: `dance2music run` as systemd runs it (a child process, a
configuration file, the health server on loopback), on a looping video source with file audio,
under periodic HTTP load, for a long time. Sampled every --sample-s after a warm-up: resident
memory, threads, open file descriptors, deadline misses and dropped frames (from /status), and
/healthz latency while a burst runs. Growth from the first sample to the last is compared with
the goals below, in the same run; the exit code is 0 only when every goal is met.

Each HTTP burst: GET /status and /metrics, malformed and oversized requests, more slow
(slowloris) connections than the server's cap held open, a POST /mode, and /healthz probes
timed while all of that is going on.

    python benchmarks/soak.py --minutes 30        # the release check (>= 30 min)
    python benchmarks/soak.py --minutes 2 --json  # what tests/test_soak.py runs
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOAL_RSS_GROWTH_MIB, GOAL_HEALTHZ_MS = 5.0, 100.0
SLOW_CLIENTS = 100  # more than the health server's cap (64)
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_config(folder: Path, port: int, source: str) -> Path:
    path = folder / "config.toml"
    path.write_text(
        f'[capture]\nsource = "{source}"\nloop_video = true\n'
        f'[loop]\nmode = "live"\n'
        f'[audio]\ndriver = "file"\naudio_file = "{folder / "soak.wav"}"\n'
        # 16 kHz keeps a 30-minute WAV near 115 MB; the timing path is the same.
        f'sample_rate_hz = 16000\n'
        f'[button]\nenabled = false\n'
        f'[health]\nhost = "127.0.0.1"\nport = {port}\n')
    return path


def get_json(port: int, path: str, timeout_s: float = 5.0) -> tuple[int, dict]:
    try:
        with _NO_PROXY.open(f"http://127.0.0.1:{port}{path}", timeout=timeout_s) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def healthz_ms(port: int) -> float:
    start = time.perf_counter()
    status, _ = get_json(port, "/healthz")
    elapsed_ms = (time.perf_counter() - start) * 1000
    if status != 200:
        raise RuntimeError(f"/healthz answered {status}")
    return elapsed_ms


def process_sample(pid: int) -> dict:
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            fields[name] = value.strip()
    return {"rss_mib": int(fields["VmRSS"].split()[0]) / 1024,
            "threads": int(fields["Threads"]),
            "fds": len(os.listdir(f"/proc/{pid}/fd"))}


def raw(port: int, data: bytes) -> None:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 5) as s:
        s.sendall(data)
        s.recv(4096)


def burst(port: int) -> list[float]:
    """One round of HTTP load; returns the /healthz latencies measured during it."""
    probes = []
    slow = []
    try:
        for _ in range(SLOW_CLIENTS):
            sock = socket.create_connection(("127.0.0.1", port), 5)
            sock.sendall(b"GET /status HTTP/1.1\r\n")  # and nothing more
            slow.append(sock)
        for i in range(20):
            get_json(port, "/status")
            raw(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            raw(port, b"POST /mode HTTP/1.1\r\nHost: x\r\nContent-Length: " + b"9" * 999 +
                b"\r\n\r\n")
            raw(port, b"\x16\x03\x01garbage\r\n\r\n")
            probes.append(healthz_ms(port))
        body = b'{"command": "set", "mode": "live"}'
        raw(port, b"POST /mode HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json"
            b"\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    finally:
        for sock in slow:
            sock.close()
    return probes


def soak(minutes: float, sample_s: float, load_every_s: float, warm_up_s: float,
         source: str) -> dict:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="d2m-soak-") as folder:
        cfg = write_config(Path(folder), port, source)
        env = {**os.environ, "PYTHONPATH": str(REPO / "device"), "GPIOZERO_PIN_FACTORY": "mock"}
        log_path = Path(folder) / "appliance.log"
        # The log goes to a file: an unread pipe would fill and block the appliance's logging.
        with open(log_path, "w") as log_file:
            proc = subprocess.Popen([sys.executable, "-m", "dance2music", "run", "--config",
                                     str(cfg)], env=env, stdout=subprocess.DEVNULL,
                                    stderr=log_file)
        try:
            result = _measure(proc, port, minutes, sample_s, load_every_s, warm_up_s)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)  # as systemd stops it
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log = log_path.read_text(errors="replace")
        return {**result, "exit_code": proc.returncode, "tracebacks": log.count("Traceback"),
                "log_lines": log.count("\n")}


def _measure(proc, port: int, minutes: float, sample_s: float, load_every_s: float,
             warm_up_s: float) -> dict:
    deadline = time.monotonic() + 180
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the appliance exited with {proc.returncode} before it was ready")
        with contextlib.suppress(OSError, RuntimeError):
            if healthz_ms(port) >= 0:
                break
        if time.monotonic() > deadline:
            raise RuntimeError("the appliance did not answer /healthz within 180 s")
        time.sleep(0.5)
    time.sleep(warm_up_s)
    samples, probes = [], []
    under_load = {"s": 0.0, "misses": 0}
    start = time.monotonic()
    next_load = start
    while True:
        now = time.monotonic()
        if now >= next_load:
            before = get_json(port, "/status")[1]
            load_start = time.monotonic()
            probes += burst(port)
            after = get_json(port, "/status")[1]
            under_load["s"] += time.monotonic() - load_start
            under_load["misses"] += after["deadline_misses"] - before["deadline_misses"]
            next_load = now + load_every_s
        if proc.poll() is not None:
            raise RuntimeError(f"the appliance exited with {proc.returncode} during the soak")
        _, status = get_json(port, "/status")
        samples.append({"t_s": round(now - start, 1), **process_sample(proc.pid),
                        "misses": status.get("deadline_misses"),
                        "dropped": status.get("frames_dropped"),
                        "notes": status.get("notes_played")})
        if now - start >= minutes * 60:
            break
        time.sleep(max(0.0, min(sample_s, start + minutes * 60 - time.monotonic())))
    return summary(samples, probes, under_load)


def summary(samples: list[dict], probes: list[float], under_load: dict) -> dict:
    first, last = samples[0], samples[-1]
    ordered = sorted(probes)
    quarter = max(1, len(samples) // 4)
    return {
        "duration_s": last["t_s"],
        "samples": len(samples),
        "rss_mib": {"first": round(first["rss_mib"], 1), "last": round(last["rss_mib"], 1),
                    "max": round(max(s["rss_mib"] for s in samples), 1),
                    "growth": round(last["rss_mib"] - first["rss_mib"], 1)},
        "threads": {"first": first["threads"], "last": last["threads"],
                    "max": max(s["threads"] for s in samples)},
        # A leak raises the floor of the count; a health connection in flight at one sample
        # does not, nor a file closed for a moment (the looped video reopening): the lowest
        # count of the last quarter of the samples against the median of the first quarter.
        "fds": {"first": first["fds"], "last": last["fds"], "max": max(s["fds"] for s in samples),
                "typical_first": statistics.median_high(s["fds"] for s in samples[:quarter]),
                "floor_last": min(s["fds"] for s in samples[-quarter:])},
        "deadline_misses": last["misses"] - first["misses"],
        # The misses while a burst ran, and how long the bursts took together: compared with
        # the whole run's rate, this says whether the HTTP load or the machine caused them.
        "under_load": {"s": round(under_load["s"], 1), "deadline_misses": under_load["misses"]},
        "frames_dropped": last["dropped"] - first["dropped"],
        "notes_played": last["notes"] - first["notes"],
        "healthz_ms_under_load": {"probes": len(probes),
                                  "p50": round(ordered[len(ordered) // 2], 1),
                                  "max": round(ordered[-1], 1)},
    }


def goals(result: dict) -> dict[str, bool]:
    return {
        f"RSS growth <= {GOAL_RSS_GROWTH_MIB} MiB": result["rss_mib"]["growth"]
        <= GOAL_RSS_GROWTH_MIB,
        "threads back to their first count": result["threads"]["last"]
        == result["threads"]["first"],
        "fd floor not raised (no leak)": result["fds"]["floor_last"] <= result["fds"]["typical_first"],
        "no deadline missed": result["deadline_misses"] == 0,
        f"/healthz under load <= {GOAL_HEALTHZ_MS:g} ms":
            result["healthz_ms_under_load"]["max"] <= GOAL_HEALTHZ_MS,
        "notes played": result["notes_played"] > 0,
        "stopped cleanly by SIGTERM (exit 0)": result["exit_code"] == 0,
        "no traceback in the log": result["tracebacks"] == 0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--sample-s", type=float, default=10.0)
    parser.add_argument("--load-every-s", type=float, default=60.0)
    parser.add_argument("--warm-up-s", type=float, default=60.0)
    parser.add_argument("--source", default=str(REPO / "assets" / "demo" / "dance.mp4"))
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    result = soak(args.minutes, args.sample_s, args.load_every_s, args.warm_up_s, args.source)
    verdicts = goals(result)
    result["goals"] = verdicts
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print(f"soak {result['duration_s']:.0f} s, {result['samples']} samples")
        for key in ("rss_mib", "threads", "fds", "healthz_ms_under_load", "under_load"):
            print(f"  {key:24s} {result[key]}")
        for key in ("deadline_misses", "frames_dropped", "notes_played", "exit_code",
                    "tracebacks", "log_lines"):
            print(f"  {key:24s} {result[key]}")
        for goal, met in verdicts.items():
            print(f"  {'met ' if met else 'MISSED'} {goal}")
    return 0 if all(verdicts.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
