"""sd_notify over a real AF_UNIX datagram socket standing in for systemd's NOTIFY_SOCKET."""

from __future__ import annotations

import os
import socket
import tempfile
import time

import pytest

from dance2music.health.notify import Heartbeat, SystemdNotifier, status_line
from health_fixtures import SnapshotSource


@pytest.fixture
def notify_socket(monkeypatch):
    # sun_path is limited to 108 bytes: pytest's tmp_path can be longer, so a short dir in /tmp.
    with tempfile.TemporaryDirectory(prefix="d2m-") as d:
        path = os.path.join(d, "notify")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.settimeout(2)
        monkeypatch.setenv("NOTIFY_SOCKET", path)
        monkeypatch.delenv("WATCHDOG_USEC", raising=False)
        monkeypatch.delenv("WATCHDOG_PID", raising=False)
        yield sock
        sock.close()


def received(sock) -> list[str]:
    messages = []
    sock.setblocking(False)
    try:
        while True:
            messages.append(sock.recv(4096).decode())
    except BlockingIOError:
        return messages
    finally:
        sock.settimeout(2)


BACKENDS = [False, pytest.param(True, id="systemd-python")]


@pytest.mark.parametrize("use_library", BACKENDS)
def test_messages_arrive_on_the_socket(notify_socket, use_library):
    if use_library:
        pytest.importorskip("systemd.daemon", reason="systemd-python not installed")
    notifier = SystemdNotifier(use_library=use_library)
    assert notifier.backend == ("systemd-python" if use_library else "protocol")
    notifier.ready()
    notifier.status("mode live\n29 fps")
    notifier.watchdog()
    notifier.stopping()
    assert received(notify_socket) == ["READY=1", "STATUS=mode live 29 fps", "WATCHDOG=1",
                                       "STOPPING=1"]


def test_abstract_socket_address(monkeypatch):
    name = f"d2m-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2)
        notifier = SystemdNotifier({"NOTIFY_SOCKET": "@" + name}, use_library=False)
        notifier.ready()
        assert sock.recv(100) == b"READY=1"


def test_outside_systemd_everything_is_a_no_op():
    notifier = SystemdNotifier({}, use_library=False)
    assert not notifier.enabled and not notifier.watchdog_enabled
    assert notifier.notify("READY=1") is False


def test_vanished_socket_is_not_an_error():
    notifier = SystemdNotifier({"NOTIFY_SOCKET": "/tmp/d2m-no-such-socket"}, use_library=False)
    assert notifier.notify("READY=1") is False


@pytest.mark.parametrize("env, interval", [
    ({"WATCHDOG_USEC": "10000000"}, 10.0),
    ({"WATCHDOG_USEC": "4000000", "WATCHDOG_PID": str(os.getpid())}, 4.0),
    ({"WATCHDOG_USEC": "4000000", "WATCHDOG_PID": "1"}, None),   # meant for another process
    ({"WATCHDOG_USEC": "0"}, None),
    ({"WATCHDOG_USEC": "ten"}, None),
    ({}, None),
])
def test_watchdog_interval_from_environment(env, interval):
    notifier = SystemdNotifier({"NOTIFY_SOCKET": "/run/x", **env}, use_library=False)
    assert notifier.watchdog_interval_s == interval
    assert notifier.watchdog_enabled is (interval is not None)


def test_heartbeat_pings_only_when_the_loop_progressed(notify_socket):
    source = SnapshotSource()
    notifier = SystemdNotifier({"NOTIFY_SOCKET": notify_socket.getsockname(),
                                "WATCHDOG_USEC": "2000000"}, use_library=False)
    beat = Heartbeat(notifier, source.snapshot)
    assert beat.period_s == 1.0
    beat.beat()
    first = received(notify_socket)
    assert first[0] == "READY=1" and first[1].startswith("STATUS=mode live") and first[2] == "WATCHDOG=1"
    beat.beat()  # no iteration completed since: status only, no watchdog ping
    assert [m for m in received(notify_socket) if not m.startswith("STATUS=")] == []
    source.progress()
    beat.beat()
    assert received(notify_socket)[-1] == "WATCHDOG=1"


def test_ready_once_the_loop_runs_even_with_the_camera_down(notify_socket):
    # A camera missing at boot is retried and reported (/readyz, STATUS); it is not a failed
    # start, or systemd would kill and restart the service every TimeoutStartSec.
    source = SnapshotSource()
    source.stats["components"]["camera"] = {"up": False, "error": "/dev/video0: cannot open"}
    source.stats["last_progress_s"] = None  # the loop has not run yet
    notifier = SystemdNotifier({"NOTIFY_SOCKET": notify_socket.getsockname()}, use_library=False)
    beat = Heartbeat(notifier, source.snapshot)
    beat.beat()
    assert "READY=1" not in received(notify_socket)
    source.progress()
    beat.beat()
    beat.beat()
    messages = received(notify_socket)
    assert messages.count("READY=1") == 1 and "down: camera" in messages[-1]


def test_status_names_a_degraded_component(notify_socket):
    source = SnapshotSource()
    source.stats["components"]["composer"] = {
        "ok": True, "state": "degraded", "error": None,
        "degraded": "live: online unavailable (model file missing); playing greedy"}
    notifier = SystemdNotifier({"NOTIFY_SOCKET": notify_socket.getsockname()}, use_library=False)
    Heartbeat(notifier, source.snapshot).beat()
    status = [m for m in received(notify_socket) if m.startswith("STATUS=")]
    assert status[0].endswith("degraded: composer")


def test_heartbeat_thread_runs_and_stops(notify_socket):
    source = SnapshotSource()
    notifier = SystemdNotifier({"NOTIFY_SOCKET": notify_socket.getsockname()}, use_library=False)
    beat = Heartbeat(notifier, source.snapshot, period_s=0.02)
    beat.start()
    time.sleep(0.2)
    beat.close()
    messages = received(notify_socket)
    assert messages[0] == "READY=1" and messages[-1] == "STOPPING=1"
    assert sum(m.startswith("STATUS=") for m in messages) >= 3


def test_status_line_is_readable():
    source = SnapshotSource()
    assert status_line(source.snapshot()) == \
        "mode live, 29.7 fps, latency p50 14 ms p99 24 ms, 42 notes"
