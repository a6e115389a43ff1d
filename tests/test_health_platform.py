"""CPU temperature from a sysfs-shaped tree, and the Pi's throttling flags."""

from __future__ import annotations

from dance2music.health import platform


def make_zone(root, index, kind, millidegrees):
    zone = root / f"thermal_zone{index}"
    zone.mkdir()
    (zone / "type").write_text(kind + "\n")
    (zone / "temp").write_text(f"{millidegrees}\n")


def test_cpu_zone_is_chosen_over_others(tmp_path):
    make_zone(tmp_path, 0, "acpitz", 27800)
    make_zone(tmp_path, 1, "x86_pkg_temp", 48000)
    make_zone(tmp_path, 2, "iwlwifi_1", 39000)
    assert platform.cpu_temperature_c(tmp_path) == 48.0


def test_pi_zone(tmp_path):
    make_zone(tmp_path, 0, "cpu-thermal", 61234)
    assert platform.cpu_temperature_c(tmp_path) == 61.234


def test_no_thermal_zone_is_none(tmp_path):
    make_zone(tmp_path, 0, "iwlwifi_1", 39000)
    assert platform.cpu_temperature_c(tmp_path) is None
    assert platform.cpu_temperature_c(tmp_path / "absent") is None


def test_throttled_bits_are_named():
    flags = platform.parse_throttled("throttled=0x50005\n")
    assert flags["raw"] == "0x50005"
    assert flags["under_voltage"] and flags["throttled"]
    assert flags["under_voltage_occurred"] and flags["throttled_occurred"]
    assert not flags["freq_capped"] and not flags["soft_temp_limit_occurred"]


def test_throttling_is_none_off_a_pi(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert platform.throttling() is None
