"""The playbook against a real Debian 12 machine (systemd-nspawn, systemd as PID 1) over SSH:
the service really starts, tells systemd it is READY with a STATUS line, answers /healthz and
/readyz with the demo video as camera and file audio, `dance2music status` exits 0, a frozen
process is restarted by the watchdog, a second playbook run changes nothing, a bad
configuration is refused before it replaces the working one, started in standby it is READY
within 10 s and never restarted, and `dance2music_state=absent` removes everything the role
installed.

Runs as root (CI does). The first run on a machine builds the rootfs cache (~2 min)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from nspawn import Machine, free_port, prerequisites_missing

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_DIR = REPO / "deploy" / "ansible"
CACHE = Path(os.environ.get("DANCE2MUSIC_TEST_CACHE", "/var/cache/dance2music-test"))
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(prerequisites_missing() is not None, reason=str(prerequisites_missing())),
    pytest.mark.skipif(not ANSIBLE_PLAYBOOK.exists(), reason="ansible-core not installed in "
                       "this venv (pip install -e '.[dev]')"),
    pytest.mark.skipif(not (REPO / "models/int8/manifest.json").exists(),
                       reason="no pose models in this checkout (models/int8/manifest.json): "
                              "the service cannot start without them"),
]

FIGURES: dict[str, float] = {}


@pytest.fixture(scope="module")
def machine():
    box = Machine(CACHE)
    try:
        box.start()
        yield box
    finally:
        box.stop()
        assert box.process is None or box.process.poll() is not None
        assert not box.workdir.exists() and box.mounts() == []
        if FIGURES:
            print("\nnspawn deploy figures (seconds; exposure): " + json.dumps(FIGURES))


@pytest.fixture(scope="module")
def health_port():
    return free_port(18765)


@pytest.fixture(scope="module")
def inventory(machine, health_port, tmp_path_factory):
    """Like inventory/pi.yml, but the camera is the demo video and the audio goes to a file."""
    path = tmp_path_factory.mktemp("inventory") / "hosts.json"
    path.write_text(json.dumps({"dance2music": {
        "hosts": {"dance-test": {
            "ansible_host": "127.0.0.1", "ansible_port": machine.ssh_port, "ansible_user": "pi",
            "ansible_ssh_private_key_file": str(machine.key),
            "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
        }},
        "vars": {
            "dance2music_health_port": health_port,
            "dance2music_install_demo_video": True,
            "dance2music_config": {
                "capture": {"source": "/opt/dance2music/demo/dance.mp4", "loop_video": True},
                "audio": {"driver": "file", "audio_file": "/run/dance2music/audio.wav"},
                "button": {"enabled": False},
            },
        },
    }}))
    return path


def run_playbook(inventory: Path, *options: str) -> tuple[subprocess.CompletedProcess, float]:
    env = {**os.environ, "ANSIBLE_CONFIG": str(ANSIBLE_DIR / "ansible.cfg"),
           "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_NOCOLOR": "1"}
    start = time.monotonic()
    result = subprocess.run([str(ANSIBLE_PLAYBOOK), "-i", str(inventory), "site.yml", *options],
                            cwd=ANSIBLE_DIR, env=env, capture_output=True, text=True, timeout=900)
    return result, time.monotonic() - start


def recap(output: str) -> dict[str, int]:
    match = re.search(r"dance-test\s+:\s+(.*)", output.split("PLAY RECAP", 1)[-1])
    assert match, output[-3000:]
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(1))}


def get(port: int, path: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def wait_for(predicate, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def test_first_playbook_run_installs_and_starts(machine, inventory):
    result, seconds = run_playbook(inventory)
    FIGURES["first_run_s"] = round(seconds, 1)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    counts = recap(result.stdout)
    assert counts["failed"] == 0 and counts["changed"] > 0


def test_service_is_active_ready_with_status(machine):
    props = machine.systemctl_show("dance2music", "ActiveState", "SubState", "StatusText",
                                   "Type", "NRestarts", "User", "WatchdogUSec")
    # Type=notify: "active (running)" is reached only after READY=1.
    assert props["ActiveState"] == "active" and props["SubState"] == "running", props
    assert props["Type"] == "notify" and props["User"] == "dance2music"
    assert props["WatchdogUSec"] != "0"
    status = wait_for(lambda: machine.systemctl_show("dance2music", "StatusText")["StatusText"],
                      30, "a STATUS= line")
    assert status.startswith("mode ") and " fps" in status, status
    # stderr is the journal there, so records go through the JournalHandler with their fields.
    records = [json.loads(line) for line in machine.ssh(
        "sudo journalctl -u dance2music -o json -n 200 --no-pager").stdout.splitlines()]
    assert any(r.get("LOGGER", "").startswith("dance2music.") for r in records)
    groups = machine.ssh("id -nG dance2music").stdout.split()
    assert "video" in groups and "audio" in groups and "gpio" not in groups  # only existing ones


def test_installed_unit_with_host_drop_in_verifies_and_scores(machine):
    """The unit as installed, with the role's rendered drop-in, under the machine's systemd."""
    result = machine.ssh("systemd-analyze verify dance2music.service 2>&1")
    assert result.stdout.strip() == ""
    out = machine.ssh("systemd-analyze security --no-pager dance2music.service").stdout
    score = float(re.search(r"Overall exposure level for dance2music.service: (\d+\.\d+)", out)[1])
    FIGURES["installed_exposure"] = score
    assert score <= 2.0


def test_health_endpoints_answer(machine, health_port):
    assert get(health_port, "/healthz")[0] == 200
    status, body = wait_for(lambda: (lambda r: r if r[0] == 200 else None)(get(health_port, "/readyz")),
                            60, "/readyz 200")
    assert body["ready"] is True
    status, body = get(health_port, "/status")
    assert body["mode"] and body["models"], body
    assert all(body["components"][c] for c in ("camera", "pose", "composer", "audio")), body


def test_status_command_exits_0(machine, health_port):
    result = machine.ssh(f"/opt/dance2music/.venv/bin/dance2music status "
                         f"--url http://127.0.0.1:{health_port}", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "healthy" in result.stdout
    # Without --url: the address comes from the service's configuration (readable by root).
    result = machine.ssh("sudo /opt/dance2music/.venv/bin/dance2music status", check=False)
    assert result.returncode == 0 and "healthy" in result.stdout, result.stdout + result.stderr


def test_watchdog_restarts_a_frozen_process(machine, health_port):
    before = machine.systemctl_show("dance2music", "MainPID", "NRestarts")
    machine.ssh(f"sudo kill -STOP {before['MainPID']}")
    start = time.monotonic()
    after = wait_for(lambda: (lambda p: p if p["NRestarts"] != before["NRestarts"]
                              and p["ActiveState"] == "active" else None)(
        machine.systemctl_show("dance2music", "MainPID", "NRestarts", "ActiveState")),
        90, "the watchdog to restart the service")
    FIGURES["watchdog_restart_s"] = round(time.monotonic() - start, 1)
    assert int(after["NRestarts"]) == int(before["NRestarts"]) + 1
    assert after["MainPID"] != before["MainPID"]
    journal = machine.ssh("sudo journalctl -u dance2music --no-pager -o cat").stdout
    assert "Watchdog timeout" in journal, journal[-2000:]
    wait_for(lambda: get(health_port, "/healthz")[0] == 200, 60, "/healthz after the restart")


def test_second_playbook_run_changes_nothing(machine, inventory):
    result, seconds = run_playbook(inventory)
    FIGURES["second_run_s"] = round(seconds, 1)
    assert result.returncode == 0, result.stdout[-6000:]
    counts = recap(result.stdout)
    assert counts["changed"] == 0, result.stdout[-6000:]


def test_a_bad_configuration_is_refused_and_the_old_one_kept(machine, inventory, health_port):
    before = machine.ssh("sudo cat /etc/dance2music/config.toml").stdout
    bad = json.loads(inventory.read_text())["dance2music"]["vars"]["dance2music_config"]
    bad["capture"]["rotation_deg"] = 45
    result, _ = run_playbook(inventory, "-e", json.dumps({"dance2music_config": bad}))
    assert result.returncode != 0
    assert "[capture] rotation_deg: expected one of 0, 90, 180, 270, got 45" in result.stdout
    assert machine.ssh("sudo cat /etc/dance2music/config.toml").stdout == before
    assert get(health_port, "/readyz")[0] == 200


def test_started_in_standby_it_is_ready_within_10_s_and_never_restarted(machine, inventory,
                                                                          health_port):
    """Standby is a state: READY=1 comes once the loop runs in any mode. (Before, it never came
    in standby, and systemd killed and restarted the service every TimeoutStartSec = 180 s.)"""
    config = json.loads(inventory.read_text())["dance2music"]["vars"]["dance2music_config"]
    config["loop"] = {"mode": "standby"}
    result, _ = run_playbook(inventory, "-e", json.dumps({"dance2music_config": config}))
    assert result.returncode == 0, result.stdout[-6000:]
    props = machine.systemctl_show("dance2music", "ExecMainStartTimestampMonotonic",
                                   "ActiveEnterTimestampMonotonic", "NRestarts", "ActiveState")
    ready_s = (int(props["ActiveEnterTimestampMonotonic"])
               - int(props["ExecMainStartTimestampMonotonic"])) / 1e6
    FIGURES["standby_ready_s"] = round(ready_s, 1)
    assert props["ActiveState"] == "active" and 0 < ready_s <= 10, props
    end = time.monotonic() + 240  # longer than TimeoutStartSec
    while time.monotonic() < end:
        now = machine.systemctl_show("dance2music", "NRestarts", "ActiveState")
        assert now == {"NRestarts": props["NRestarts"], "ActiveState": "active"}, now
        time.sleep(10)
    status, body = get(health_port, "/readyz")
    assert status == 200, body  # standby is not a fault
    assert get(health_port, "/status")[1]["mode"] == "standby"


def test_uninstall_removes_everything_the_role_installed(machine, inventory):
    result, seconds = run_playbook(inventory, "-e", "dance2music_state=absent")
    FIGURES["uninstall_s"] = round(seconds, 1)
    assert result.returncode == 0, result.stdout[-6000:]
    assert recap(result.stdout)["changed"] > 0
    assert machine.systemctl_show("dance2music", "LoadState")["LoadState"] == "not-found"
    for path in ("/opt/dance2music", "/etc/dance2music", "/etc/systemd/system/dance2music.service",
                 "/etc/systemd/system/dance2music.service.d"):
        assert machine.ssh(f"test -e {path}", check=False).returncode == 1, path
    assert machine.ssh("getent passwd dance2music", check=False).returncode == 2
    again, _ = run_playbook(inventory, "-e", "dance2music_state=absent")
    assert again.returncode == 0 and recap(again.stdout)["changed"] == 0, again.stdout[-6000:]
