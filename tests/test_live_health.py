"""The runner with the health package: real HTTP on loopback and sd_notify datagrams on a
real AF_UNIX socket, around a real run (demo video, pose model, FluidSynth to a WAV)."""

import json
import socket
import threading
import time
import urllib.request

import pytest

from dance2music.config import Config
from dance2music.errors import ModelError

health = pytest.importorskip("dance2music.health.server",
                             reason="the health package (ops branch) is not merged")


@pytest.fixture
def appliance(tmp_path):
    from dance2music.live.appliance import Appliance

    cfg = Config().with_overrides(
        loop={"mode": "greedy"}, health={"port": 0}, button={"enabled": False},
        audio={"driver": "file", "audio_file": str(tmp_path / "out.wav")})
    try:
        app = Appliance(cfg)
    except ModelError as e:
        pytest.skip(f"the INT8 pose models are not built ({e})")
    yield app
    app.close()


def get(address, path):
    with urllib.request.urlopen(f"http://{address[0]}:{address[1]}{path}", timeout=5) as r:
        return r.status, json.loads(r.read())


def post(address, path, body):
    req = urllib.request.Request(f"http://{address[0]}:{address[1]}{path}",
                                 data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.status


def test_status_and_mode_over_http_and_systemd_notifications(appliance, tmp_path, monkeypatch):
    sock_path = tmp_path / "n.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(sock_path))
    sock.settimeout(0.2)
    messages = []

    def receive():  # as systemd does: an unread queue of 10 datagrams blocks the sender
        while not done.is_set():
            try:
                messages.append(sock.recv(4096).decode())
            except TimeoutError:
                pass

    done = threading.Event()
    receiver = threading.Thread(target=receive, daemon=True)
    receiver.start()
    monkeypatch.setenv("NOTIFY_SOCKET", str(sock_path))
    monkeypatch.setenv("WATCHDOG_USEC", "1000000")
    monkeypatch.setenv("WATCHDOG_PID", str(__import__("os").getpid()))
    thread = threading.Thread(target=appliance.run, args=(7,))
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while appliance.health_address is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert appliance.health_address is not None, "the health server did not start"
        time.sleep(3)
        status, snap = get(appliance.health_address, "/status")
        assert status == 200 and snap["mode"] == "greedy" and snap["notes_played"] > 0
        assert post(appliance.health_address, "/mode", {"command": "set", "mode": "baseline"}) == 202
        time.sleep(1)
        assert get(appliance.health_address, "/status")[1]["mode"] == "baseline"
    finally:
        thread.join()
        appliance.close()  # STOPPING=1
        done.set()
        receiver.join()
        sock.close()
    text = "\n".join(messages)
    assert "READY=1" in text and "STATUS=mode " in text and "WATCHDOG=1" in text
    assert text.index("READY=1") < text.index("WATCHDOG=1") and messages[-1] == "STOPPING=1"
