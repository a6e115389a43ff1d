"""`dance2music run` as the real program: a subprocess on the bundled demo video, writing the
piano to a WAV in real time, stopped by --duration or by SIGTERM as systemd stops it."""

import os
import signal
import subprocess
import sys
import time
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


def start(*args, **kw):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "device"), "GPIOZERO_PIN_FACTORY": "none"}
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
    wav = tmp_path / "out.wav"
    proc = start("--audio-file", str(wav))
    time.sleep(5)
    assert proc.poll() is None
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    audio, rate = read_wav(wav)
    assert len(audio) > 2 * rate
    assert "mode: live" in err  # the default mode


def test_bad_configuration_is_refused_before_anything_starts(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text("[loop]\nfixed_latency_ms = 5\n")
    proc = start("--config", str(cfg), "--audio-file", str(tmp_path / "x.wav"))
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert f"{cfg}: [loop] fixed_latency_ms: expected 10..1000 ms, got 5" in err
    assert not (tmp_path / "x.wav").exists()
