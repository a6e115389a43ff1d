"""systemd/dance2music.service: `systemd-analyze verify` clean (any output fails) and the
`systemd-analyze security --offline` exposure at most 1.5, without the settings that break the
camera, GPIO or audio (see shared notes: system.md)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[1] / "systemd" / "dance2music.service"
SYSTEMD_UNITS = Path("/usr/lib/systemd")
MAX_EXPOSURE = 1.5

pytestmark = pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                                reason="systemd-analyze not installed (apt: systemd)")


def directives(text: str) -> list[tuple[str, str]]:
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            pairs.append((key.strip(), value.strip()))
    return pairs


def exec_start_path(text: str) -> str:
    return dict(directives(text))["ExecStart"].split()[0]


def fake_root(tmp_path: Path, unit_text: str) -> Path:
    """A root holding systemd's own units, our unit and an executable at its ExecStart path."""
    root = tmp_path / "root"
    shutil.copytree(SYSTEMD_UNITS, root / "usr/lib/systemd", symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    (root / "etc/systemd/system/dance2music.service").write_text(unit_text)
    exe = root / exec_start_path(unit_text).lstrip("/")
    exe.parent.mkdir(parents=True)
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    return root


def verify(root: Path) -> str:
    result = subprocess.run(["systemd-analyze", "verify", f"--root={root}", "dance2music.service"],
                            capture_output=True, text=True, timeout=60)
    return (result.stdout + result.stderr).strip()


def test_verify_is_clean(tmp_path):
    assert verify(fake_root(tmp_path, UNIT.read_text())) == ""


def test_verify_check_would_catch_a_typo(tmp_path):
    broken = UNIT.read_text().replace("WatchdogSec=", "WatchDogSec=")
    assert "Unknown key" in verify(fake_root(tmp_path, broken))


def exposure(unit: Path) -> float:
    result = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", str(unit)],
                            capture_output=True, text=True, timeout=60)
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert match, result.stdout[-500:] + result.stderr
    return float(match.group(1))


def test_security_exposure_at_most_1_5(tmp_path):
    score = exposure(UNIT)
    print(f"systemd-analyze security exposure: {score}")
    assert score <= MAX_EXPOSURE
    # The parse would see a regression: an unhardened copy scores far worse.
    bare = tmp_path / "dance2music.service"
    bare.write_text("\n".join(line for line in UNIT.read_text().splitlines()
                              if not line.startswith(("Protect", "Restrict", "SystemCall",
                                                      "Capability", "Private", "NoNew"))))
    assert exposure(bare) > MAX_EXPOSURE


def test_no_setting_that_breaks_camera_gpio_or_audio():
    pairs = directives(UNIT.read_text())
    keys = {k for k, _ in pairs}
    settings = dict(pairs)
    for breaking in ("PrivateDevices", "ProcSubset", "PrivateUsers", "MemoryDenyWriteExecute",
                     "RestrictRealtime", "SupplementaryGroups"):  # groups: per host, Ansible
        assert breaking not in keys, breaking
    assert "AF_NETLINK" in settings["RestrictAddressFamilies"]
    assert settings["DevicePolicy"] == "closed"
    allowed = {v.split()[0] for k, v in pairs if k == "DeviceAllow"}
    assert {"char-video4linux", "char-gpiochip", "char-alsa", "char-dma_heap"} <= allowed
    assert not any("@resources" in v for k, v in pairs if k == "SystemCallFilter" and "~" in v)
    environment = [v for k, v in pairs if k == "Environment"]
    assert f"LG_WD=/run/{settings['RuntimeDirectory']}" in environment
    assert settings["Type"] == "notify" and settings["Restart"] == "on-failure"
    assert int(settings["WatchdogSec"]) > 0 and int(settings["StartLimitBurst"]) > 0
    assert settings["User"] != "root"


def test_resources_and_network_are_bounded():
    settings = dict(directives(UNIT.read_text()))
    assert int(settings["LimitNOFILE"]) >= 4 * 64  # room for the health server's 64 clients
    assert int(settings["TasksMax"]) >= 32 and settings["MemoryMax"].endswith(("M", "G"))
    assert settings["IPAddressDeny"] == "any" and settings["IPAddressAllow"] == "localhost"


HOST_CONF = UNIT.parents[1] / "deploy/ansible/roles/dance2music/templates/host.conf.j2"


@pytest.mark.parametrize("health_host, opened", [("127.0.0.1", False), ("::1", False),
                                                 ("0.0.0.0", True), ("192.168.1.20", True)])
def test_the_role_opens_the_network_only_for_a_health_server_beyond_loopback(health_host, opened):
    jinja2 = pytest.importorskip("jinja2")
    text = jinja2.Template(HOST_CONF.read_text()).render(
        ansible_managed="test", dance2music_groups=["video"],
        dance2music_install_dir="/opt/dance2music", dance2music_config_dir="/etc/dance2music",
        dance2music_health_host=health_host,
        dance2music_health_allowed_networks=["link-local", "192.168.0.0/16"])
    allow = [v for k, v in directives(text) if k == "IPAddressAllow"]
    assert allow == (["link-local 192.168.0.0/16"] if opened else [])
