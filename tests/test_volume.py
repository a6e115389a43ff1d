"""Volume commands and their persistence across restarts."""

import pytest

from dance2music.errors import InputError
from dance2music.sound import volume


def test_commands_step_and_clamp():
    assert volume.adjusted(0.0, "up") == volume.STEP_DB
    assert volume.adjusted(0.0, "down") == -volume.STEP_DB
    assert volume.adjusted(volume.MAX_DB - 1, "up") == volume.MAX_DB
    assert volume.adjusted(volume.MIN_DB, "down") == volume.MIN_DB
    assert volume.adjusted(0.0, "set", -12) == -12.0
    assert volume.gain(-20.0) == pytest.approx(0.1)


@pytest.mark.parametrize("command, value, message", [
    ("set", 20.0, "expected -40..6 dB, got 20"),
    ("set", None, "expected a number of dB"),
    ("set", float("nan"), "expected a number of dB"),
    ("set", True, "expected a number of dB"),
    ("louder", None, "expected one of up, down, set"),
])
def test_bad_commands_are_clear_errors(command, value, message):
    with pytest.raises(InputError, match=message):
        volume.adjusted(0.0, command, value)


def test_volume_is_kept_across_restarts(tmp_path):
    path = tmp_path / "volume.json"
    store = volume.VolumeStore(path, default_db=-3.0)
    assert store.load() == -3.0  # nothing kept yet
    store.save(-9.0)
    assert volume.VolumeStore(path).load() == -9.0  # a new process reads it back
    path.write_text("{not json")
    assert volume.VolumeStore(path, default_db=-3.0).load() == -3.0
    path.write_text('{"volume_db": 99}')
    assert volume.VolumeStore(path, default_db=-3.0).load() == -3.0
    volume.VolumeStore(tmp_path / "missing-dir" / "v.json").save(1.0)  # logged, not raised
