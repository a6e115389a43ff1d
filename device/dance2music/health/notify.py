"""sd_notify: READY / STATUS / WATCHDOG / STOPPING for a Type=notify unit.

systemd-python's daemon.notify is used where installed; otherwise the protocol itself (one
datagram to the AF_UNIX socket in NOTIFY_SOCKET). Outside systemd every call is a no-op.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Callable, Mapping

from dance2music.health import state

log = logging.getLogger(__name__)


def _library_notify() -> Callable[[str], bool] | None:
    try:
        from systemd import daemon
    except ImportError:
        return None
    return daemon.notify


class SystemdNotifier:
    """Talks to the service manager named by the environment (NOTIFY_SOCKET, WATCHDOG_USEC,
    WATCHDOG_PID). `use_library=False` forces the built-in protocol."""

    def __init__(self, env: Mapping[str, str] | None = None, use_library: bool = True):
        env = os.environ if env is None else env
        self.socket_path = env.get("NOTIFY_SOCKET") or None
        self.watchdog_interval_s = _watchdog_interval_s(env)
        self._library = _library_notify() if use_library else None
        # The library reads NOTIFY_SOCKET from os.environ: use it only when that is our source.
        if self._library is not None and os.environ.get("NOTIFY_SOCKET") != self.socket_path:
            self._library = None

    @property
    def enabled(self) -> bool:
        return self.socket_path is not None

    @property
    def watchdog_enabled(self) -> bool:
        return self.enabled and self.watchdog_interval_s is not None

    @property
    def backend(self) -> str:
        return "systemd-python" if self._library is not None else "protocol"

    def ready(self) -> None:
        self.notify("READY=1")

    def status(self, text: str) -> None:
        self.notify("STATUS=" + text.replace("\n", " "))

    def watchdog(self) -> None:
        self.notify("WATCHDOG=1")

    def stopping(self) -> None:
        self.notify("STOPPING=1")

    def notify(self, message: str) -> bool:
        """Sends one message; False (and a debug log) when there is no manager or it fails."""
        if not self.enabled:
            return False
        if self._library is not None:
            return bool(self._library(message))
        address = self.socket_path
        if address.startswith("@"):  # abstract namespace
            address = "\0" + address[1:]
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.setblocking(False)  # a manager that stopped reading must not stall the loop
                sock.sendto(message.encode(), address)
            return True
        except OSError as e:
            log.debug("sd_notify %r to %s failed: %s", message, self.socket_path, e)
            return False


def _watchdog_interval_s(env: Mapping[str, str]) -> float | None:
    """WATCHDOG_USEC in seconds, when it is meant for this process (WATCHDOG_PID unset or ours)."""
    usec, pid = env.get("WATCHDOG_USEC"), env.get("WATCHDOG_PID")
    if not usec or not usec.isdigit() or int(usec) == 0:
        return None
    if pid and pid != str(os.getpid()):
        return None
    return int(usec) / 1e6


def status_line(snap: dict) -> str:
    """The one line `systemctl status` shows: mode, fps, latency, notes, what is down."""
    e2e = (snap.get("latency_ms") or {}).get("end_to_end") or {}
    parts = [f"mode {snap.get('mode', '?')}", f"{float(snap.get('fps') or 0):.1f} fps"]
    if e2e.get("p50") is not None:
        parts.append(f"latency p50 {e2e['p50']:.0f} ms p99 {e2e.get('p99') or 0:.0f} ms")
    parts.append(f"{int(snap.get('notes_played') or 0)} notes")
    down = state.not_ready(snap)
    if down:
        parts.append("down: " + ", ".join(down))
    degraded = state.degraded(snap)
    if degraded:
        parts.append("degraded: " + ", ".join(degraded))
    return ", ".join(parts)


class Heartbeat:
    """A daemon thread that reads the snapshot periodically and tells systemd about it:
    READY=1 once the loop runs (in any mode: standby, or a camera missing at boot and retried,
    is a state /readyz reports, not a failed start), STATUS= each period, WATCHDOG=1 only when the loop
    completed an iteration since the previous ping (a stalled or frozen loop gets restarted)."""

    def __init__(self, notifier: SystemdNotifier, snapshot: Callable[[], dict],
                 period_s: float | None = None):
        self.notifier = notifier
        self.snapshot = snapshot
        interval = notifier.watchdog_interval_s
        self.period_s = period_s or (min(interval / 2, 2.0) if interval else 2.0)
        self.ready_sent = False
        self._last_pinged_progress: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> None:
        """One period's work (public so tests drive it without a thread)."""
        snap = self.snapshot()
        if not self.ready_sent and snap.get("last_progress_s") is not None:
            self.notifier.ready()
            self.ready_sent = True
        self.notifier.status(status_line(snap))
        progress = snap.get("last_progress_s")
        if progress is not None and progress != self._last_pinged_progress:
            self._last_pinged_progress = progress
            if self.notifier.watchdog_enabled:
                self.notifier.watchdog()

    def start(self) -> None:
        if not self.notifier.enabled:
            return
        self._thread = threading.Thread(target=self._run, name="sd-notify", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            try:
                self.beat()
            except Exception:  # a bad snapshot must not end the heartbeat thread silently
                log.exception("sd_notify heartbeat failed")

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.notifier.stopping()
