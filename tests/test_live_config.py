"""The configuration file: every kind of mistake is an error naming file, key and expectation."""

import argparse
import os

import pytest

from dance2music import config
from dance2music.commands import config as config_cmd
from dance2music.errors import InputError


def write(tmp_path, text):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_defaults_without_a_file(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "DEFAULT_CONFIG", tmp_path / "absent.toml")
    assert config.load(None) == config.Config()


def test_values_are_read(tmp_path):
    cfg = config.load(write(tmp_path, '[loop]\nmode = "greedy"\nfixed_latency_ms = 80\n'
                                      'lookahead_frames = 1\n[audio]\ngain = 1\n'))
    assert (cfg.loop.mode, cfg.loop.fixed_latency_ms, cfg.audio.gain) == ("greedy", 80, 1.0)
    assert isinstance(cfg.audio.gain, float)


@pytest.mark.parametrize("text, message", [
    ("[loop]\nlatency = 80\n", "unknown key [loop] latency"),
    ("[speaker]\ngain = 1.0\n", "unknown section [speaker]"),
    ("[sound]\nworld = \"disco\"\n", "[sound] world: expected one of piano, mallets"),
    ("[loop]\nfixed_latency_ms = \"80\"\n", "[loop] fixed_latency_ms: expected an integer"),
    ("[loop]\nfixed_latency_ms = 80.5\n", "[loop] fixed_latency_ms: expected an integer"),
    ("[button]\nenabled = 1\n", "[button] enabled: expected true or false"),
    ("[audio]\nperiods = true\n", "[audio] periods: expected an integer"),
    ("[loop]\nfixed_latency_ms = 5\n", "[loop] fixed_latency_ms: expected 10..1000 ms, got 5"),
    ("[audio]\ngain = -1.0\n", "[audio] gain: expected 0.0..10.0"),
    ("[loop]\nmode = \"party\"\n", "[loop] mode: expected one of live, greedy"),
    ("loop = 3\n", "loop must be a [loop] table"),
    ("[loop\n", "not valid TOML"),
])
def test_mistakes_name_file_key_and_expectation(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as e:
        config.load(path)
    assert message in str(e.value)
    assert str(path) in str(e.value)


def test_unreadable_file(tmp_path):
    path = write(tmp_path, "[loop]\n")
    os.chmod(path, 0)
    if os.access(path, os.R_OK):
        pytest.skip("running as root: permissions do not stop reading")
    with pytest.raises(InputError, match="cannot read the configuration"):
        config.load(path)


def test_directory_instead_of_file(tmp_path):
    with pytest.raises(InputError, match=f"{tmp_path}: cannot read the configuration"):
        config.load(tmp_path)


def test_missing_file_named(tmp_path):
    with pytest.raises(InputError, match="absent.toml: cannot read"):
        config.load(tmp_path / "absent.toml")


def test_documented_file_lists_every_key_and_reads_back(tmp_path):
    text = config_cmd.documented()
    for section in ("capture", "pose", "loop", "audio", "button", "health"):
        assert f"[{section}]" in text
    assert "# from a note-grid boundary to its note's onset" in text
    assert f"unit: ms; range 10..1000; default {config.LoopSettings().fixed_latency_ms}" in text
    assert config.load(write(tmp_path, text)) == config.Config()


def test_overrides_are_validated_like_the_file():
    cfg = config.Config().with_overrides(loop={"mode": "replay"})
    assert cfg.loop.mode == "replay" and cfg.audio == config.AudioSettings()
    with pytest.raises(InputError, match="command line: \\[loop\\] fixed_latency_ms"):
        config.Config().with_overrides(loop={"fixed_latency_ms": 0})


def config_command(*argv):
    parser = argparse.ArgumentParser()
    config_cmd.register(parser.add_subparsers())
    args = parser.parse_args(["config", *argv])
    return args.func(args)


def test_config_check_command(tmp_path, capsys):
    good = write(tmp_path, "[loop]\nfixed_latency_ms = 90\n")
    assert config_command("check", "--config", str(good)) == 0
    assert "fixed_latency_ms = 90" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text("[loop]\nfixed_latency = 90\n")
    with pytest.raises(InputError, match="unknown key \\[loop\\] fixed_latency"):
        config_command("check", "--config", str(bad))


def test_config_defaults_command(capsys):
    assert config_command("defaults") == 0
    assert capsys.readouterr().out == config_cmd.documented()


@pytest.mark.parametrize("latency_ms, lookahead, fits", [
    (100, 2, True), (83, 2, True), (82, 2, False), (100, 3, False), (16, 0, True), (10, 0, False)])
def test_the_lookahead_must_fit_in_the_fixed_latency(tmp_path, latency_ms, lookahead, fits):
    # d frame periods (33.3 ms) + the measured pose and decision time (16 ms)
    path = write(tmp_path, f"[loop]\nfixed_latency_ms = {latency_ms}\n"
                           f"lookahead_frames = {lookahead}\n")
    if fits:
        assert config.load(path).loop.lookahead_frames == lookahead
        return
    with pytest.raises(InputError) as err:
        config.load(path)
    assert (f"[loop] fixed_latency_ms = {latency_ms} is too short for [loop] lookahead_frames = "
            f"{lookahead}: expected >= {config.lookahead_latency_ms(lookahead):.0f} ms"
            in str(err.value))


def test_the_live_composers_get_the_configured_lookahead():
    from dance2music.live.appliance import composer_factory
    cfg = config.Config().with_overrides(loop={"lookahead_frames": 1})
    for name in ("online", "greedy", "baseline"):
        assert composer_factory(cfg)(name).lookahead_frames == 1


def test_config_check_accepts_the_service_runtime_folder_but_not_a_missing_one(tmp_path):
    ok = write(tmp_path, '[audio]\ndriver = "file"\naudio_file = "/run/dance2music/out.wav"\n')
    assert config_cmd.missing_paths(config.load(ok)) == []  # systemd makes it at start
    bad = tmp_path / "bad.toml"
    bad.write_text('[audio]\ndriver = "file"\naudio_file = "/nonexistent/d2m/out.wav"\n')
    assert config_cmd.missing_paths(config.load(bad)) == [
        "[audio] audio_file: folder /nonexistent/d2m does not exist"]
