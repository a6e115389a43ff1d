"""`dance2music run` as the real program: a subprocess on the bundled demo video, writing the
piano to a WAV in real time, stopped by --duration or by SIGTERM as systemd stops it."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from dance2music.errors import ModelError
from live_audit import onsets
from dance2music.synth.wav import read_wav

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def models():
    from dance2music.pose.estimator import DEFAULT_MODEL_DIR
    from dance2music.pose.modelfiles import read_manifest

    try:
        read_manifest(DEFAULT_MODEL_DIR)
    except ModelError as e:
        pytest.skip(f"the INT8 pose models are not built ({e})")


def start(*args, env_extra=None, **kw):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "device"), "GPIOZERO_PIN_FACTORY": "none",
           **(env_extra or {})}
    return subprocess.Popen([sys.executable, "-m", "dance2music", "run", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_run_plays_the_demo_to_a_file(tmp_path, models):
    wav = tmp_path / "out.wav"
    proc = start("--audio-file", str(wav), "--duration", "5", "--mode", "greedy")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    audio, rate = read_wav(wav)
    assert 4.5 * rate < len(audio) < 7 * rate
    assert len(onsets(audio, rate)) >= 5
    assert err.count("button disabled") == 1
    assert "mode: greedy" in err


def test_sigterm_stops_cleanly_and_the_file_is_complete(tmp_path, models):
    service = Service(tmp_path)
    service.wait_line("paced by the wall clock")  # the audio output is open: the run began
    time.sleep(3)
    assert service.proc.poll() is None
    assert service.stop() == 0, "".join(service.lines)
    audio, rate = read_wav(tmp_path / "out.wav")
    assert len(audio) > 2 * rate
    assert any("mode: live" in line for line in service.lines)  # the default mode


def test_bad_configuration_is_refused_before_anything_starts(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text("[loop]\nfixed_latency_ms = 5\n")
    proc = start("--config", str(cfg), "--audio-file", str(tmp_path / "x.wav"))
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert f"{cfg}: [loop] fixed_latency_ms: expected 10..1000 ms, got 5" in err
    assert not (tmp_path / "x.wav").exists()


class Service:
    """`dance2music run` as systemd runs it: NOTIFY_SOCKET on a real datagram socket, the
    health server on a free port (read from the log), stderr collected line by line."""

    def __init__(self, tmp_path, *args):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(tmp_path / "notify"))
        self.sock.settimeout(0.2)
        cfg = tmp_path / "config.toml"
        cfg.write_text("[health]\nport = 0\n[button]\nenabled = false\n")
        self.start_s = time.monotonic()
        self.proc = start("--config", str(cfg), "--audio-file", str(tmp_path / "out.wav"),
                          *args, env_extra={"NOTIFY_SOCKET": str(tmp_path / "notify")})
        self.lines = []
        threading.Thread(target=lambda: self.lines.extend(self.proc.stderr), daemon=True).start()

    def wait_line(self, text, timeout_s=60):
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            found = [line for line in self.lines if text in line]
            if found:
                return found[0]
            time.sleep(0.02)
        raise AssertionError(f"{text!r} not logged in {timeout_s} s: {''.join(self.lines)}")

    def wait_ready_s(self, timeout_s=60):
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            try:
                if self.sock.recv(4096) == b"READY=1":
                    return time.monotonic() - self.start_s
            except TimeoutError:
                pass
        raise AssertionError(f"no READY=1 in {timeout_s} s: {''.join(self.lines)}")

    def get(self, path):
        url = self.wait_line("health endpoints on ").split(" on ")[1].strip()
        try:
            with urllib.request.urlopen(url + path, timeout=5) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=20)
        self.sock.close()
        return self.proc.returncode


def test_standby_at_boot_is_ready_and_not_a_fault(tmp_path, models):
    service = Service(tmp_path, "--mode", "standby")
    try:
        service.wait_ready_s()
        status, ready = service.get("/readyz")
        assert (status, ready["not_ready"]) == (200, {})
        _, body = service.get("/status")
        assert body["mode"] == "standby" and body["person_present"] is False
        assert body["components"]["camera"]["state"] == "idle"
        assert body["components"]["composer"]["state"] == "idle"
    finally:
        assert service.stop() == 0


def test_a_camera_missing_at_boot_is_reported_retried_and_ready(tmp_path, models):
    service = Service(tmp_path, "--source", "/dev/video97")
    try:
        service.wait_ready_s()
        time.sleep(1.0)
        status, ready = service.get("/readyz")
        assert status == 503 and list(ready["not_ready"]) == ["camera"]
        assert "/dev/video97" in ready["not_ready"]["camera"]
        assert service.wait_line("retrying")
    finally:
        assert service.stop() == 0


def test_sigterm_while_starting_ends_the_run_cleanly(tmp_path, models):
    service = Service(tmp_path, "--mode", "greedy")
    service.wait_line("starting in mode greedy")  # the models are loading now
    assert service.stop() == 0
    assert time.monotonic() - service.start_s < 30
