"""Configuration written by a careless or hostile hand: every value is a finite number in range,
every mistake is reported at once, and secrets are never printed (issue 14, findings 1 and 7)."""

import dataclasses

import pytest

from dance2music import config
from dance2music.cli import main
from dance2music.commands.config import documented
from dance2music.errors import InputError

FLOAT_KEYS = [(section.name, f.name) for section in dataclasses.fields(config.Config)
              for f in dataclasses.fields(getattr(config.Config(), section.name))
              if f.type == "float"]


def write(tmp_path, text: str | bytes):
    path = tmp_path / "config.toml"
    (path.write_bytes if isinstance(text, bytes) else path.write_text)(text)
    return path


def test_every_float_key_is_covered():
    assert ("loop", "absent_s") in FLOAT_KEYS and ("audio", "gain") in FLOAT_KEYS
    assert ("pose", "presence_threshold") in FLOAT_KEYS and len(FLOAT_KEYS) >= 8


@pytest.mark.parametrize("section, name", FLOAT_KEYS)
@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_nan_and_infinity_are_refused_for_every_number(tmp_path, section, name, value):
    path = write(tmp_path, f"[{section}]\n{name} = {value}\n")
    with pytest.raises(InputError, match=f"\\[{section}\\] {name}: expected a finite number"):
        config.load(path)
    with pytest.raises(InputError, match="command line"):
        config.Config().with_overrides(**{section: {name: float(value)}})


def test_every_mistake_is_reported_at_once(tmp_path):
    path = write(tmp_path, '[loop]\nabsent_s = nan\nfixed_latency_ms = 5\nlatncy = 1\n'
                           '[audio]\ngain = "loud"\n[sound]\nx = 1\n')
    with pytest.raises(InputError) as e:
        config.load(path)
    lines = str(e.value).splitlines()
    assert len(lines) == 5 and all(line.startswith(f"{path}: ") for line in lines)
    for expected in ("[loop] absent_s", "[loop] fixed_latency_ms", "[loop] latncy",
                     "[audio] gain", "[sound]"):
        assert any(expected in line for line in lines), expected


@pytest.mark.parametrize("text, hint", [
    ("[loop]\nfixed_latency = 90\n", "did you mean fixed_latency_ms?"),
    ("[audio]\nsoundfnt = 'x'\n", "did you mean soundfont?"),
    ("[heath]\nport = 1\n", "did you mean [health]?"),
])
def test_unknown_names_get_a_suggestion(tmp_path, text, hint):
    with pytest.raises(InputError, match=hint.replace("?", "\\?").replace("[", "\\[")
                       .replace("]", "\\]")):
        config.load(write(tmp_path, text))


@pytest.mark.parametrize("data, message", [
    (b"[loop]\nmode = \"gr\xe9edy\"\n", "not UTF-8 text"),
    (b"[loop]\nmode = \"live\"\x00\n", "NUL byte"),
    (b"\xff\xfe[\x00l\x00", "not UTF-8 text"),
    (b"[health]\ntoken = \"a\\u0000b\"\n", "without NUL"),
    (b"#" * (config.MAX_CONFIG_BYTES + 1), "larger than"),
])
def test_binary_files_are_clear_errors(tmp_path, data, message):
    path = write(tmp_path, data)
    with pytest.raises(InputError, match=message) as e:
        config.load(path)
    assert str(path) in str(e.value)


def test_strings_with_control_characters_read_back(tmp_path):
    cfg = config.Config().with_overrides(audio={"device": "hw:1\n\t\x7f\"é"})
    assert config.load(write(tmp_path, documented(cfg))) == cfg


def test_config_check_never_prints_the_token(tmp_path, capsys):
    path = write(tmp_path, '[health]\ntoken = "s3cret-token-value"\n')
    assert main(["config", "check", "--config", str(path)]) == 0
    out = capsys.readouterr()
    assert "s3cret" not in out.out + out.err
    assert "token is set (not shown)" in out.out


@pytest.mark.parametrize("line, named", [
    ('[capture]\nsource = "/nonexistent/dance.mp4"\n', "[capture] source: /nonexistent/dance.mp4"),
    ('[audio]\nsoundfont = "/nonexistent/piano.sf2"\n', "[audio] soundfont: /nonexistent/piano"),
    ('[pose]\nmodel_dir = "/nonexistent/models"\n', "[pose] model_dir: /nonexistent/models"),
])
def test_config_check_names_paths_that_do_not_exist(tmp_path, capsys, line, named):
    path = write(tmp_path, line)
    assert main(["config", "check", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert named in err and str(path) in err and "Traceback" not in err


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0", "soon"])
def test_run_duration_must_be_finite_and_positive(capsys, value):
    with pytest.raises(SystemExit) as e:
        main(["run", "--duration", value])
    assert e.value.code == 2
    assert "--duration: expected a finite number of seconds > 0" in capsys.readouterr().err


def test_a_default_file_this_user_may_not_reach_is_a_clear_error(monkeypatch):
    class Unreachable(type(config.DEFAULT_CONFIG)):
        def exists(self):
            raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(config, "DEFAULT_CONFIG", Unreachable("/etc/dance2music/config.toml"))
    with pytest.raises(InputError, match="config.toml: cannot read the configuration "
                                         "\\(Permission denied\\)"):
        config.load(None)
