"""The command line as people use it: pipes, --json, -v/-q anywhere, help, service address."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT
from health_fixtures import SnapshotSource, make_server

from dance2music.cli import build_parser, main
from dance2music.commands import service
from dance2music.commands.output import EXIT_BROKEN_PIPE, finite, to_json
from dance2music.music.registry import COMPOSER_NAMES


def run_cli(*argv: str, **popen) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "device")}
    return subprocess.Popen([sys.executable, "-m", "dance2music", *argv], env=env, **popen)


def test_a_closed_pipe_ends_quietly_with_141():
    proc = run_cli("config", "defaults", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader (`head`) has gone before the first line is written
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == EXIT_BROKEN_PIPE
    assert err == b""


def test_json_has_no_nan():
    text = to_json({"accuracy": float("nan"), "rows": [1.5, float("inf")], "n": 3})
    assert json.loads(text) == {"accuracy": None, "rows": [1.5, None], "n": 3}
    assert finite((float("-inf"),)) == [None]


def free_url() -> str:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return "http://127.0.0.1:%d" % s.getsockname()[1]


def test_status_json_is_json_when_the_service_is_down(capsys):
    assert main(["status", "--json", "--url", free_url()]) == 2
    body = json.loads(capsys.readouterr().out)
    assert body["health"] == {"alive": False, "ready": False}
    assert "no answer from" in body["error"]


@pytest.mark.parametrize("argv, verbose, quiet", [
    (["-v", "status"], True, False),
    (["status", "-v"], True, False),
    (["status", "--quiet"], False, True),
    (["mode", "set", "greedy", "-q"], False, True),
    (["audio", "list", "-v"], True, False),
    (["config", "check"], False, False),
])
def test_verbosity_before_or_after_the_subcommand(argv, verbose, quiet):
    args = build_parser().parse_args(argv)
    assert (args.verbose, args.quiet) == (verbose, quiet)


def test_verbose_and_quiet_exclude_each_other(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["status", "-v", "-q"])


def _parser(*path: str) -> argparse.ArgumentParser:
    parser = build_parser()
    for name in path:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[name]
    return parser


@pytest.mark.parametrize("path", [("eval",), ("config",), ("compose",), ("audio", "test"),
                                  ("status",), ("mode",)])
def test_every_option_is_explained(path):
    for action in _parser(*path)._actions:
        if isinstance(action, argparse._SubParsersAction):
            continue
        assert action.help and action.help != argparse.SUPPRESS, (path, action.dest)


@pytest.mark.parametrize("command", ["compose", "eval"])
def test_help_describes_every_composer(command):
    text = _parser(command).format_help().replace("\n", " ")
    for name in COMPOSER_NAMES:
        assert f"{name}:" in text, name


def test_the_service_address_and_token_come_from_its_configuration(tmp_path, monkeypatch):
    monkeypatch.delenv("DANCE2MUSIC_URL", raising=False)
    monkeypatch.delenv("DANCE2MUSIC_TOKEN", raising=False)
    path = tmp_path / "config.toml"
    path.write_text('[health]\nhost = "0.0.0.0"\nport = 9123\ntoken = "s3cret"\n')
    args = build_parser().parse_args(["status", "--config", str(path)])
    assert service.endpoint(args) == service.Endpoint("http://127.0.0.1:9123", "s3cret")
    monkeypatch.setenv("DANCE2MUSIC_URL", "http://box:1")
    args = build_parser().parse_args(["status", "--config", str(path), "--token", "t"])
    assert service.endpoint(args) == service.Endpoint("http://box:1", "t")


def test_status_and_mode_find_the_service_through_the_configuration(tmp_path, monkeypatch,
                                                                     capsys):
    monkeypatch.delenv("DANCE2MUSIC_URL", raising=False)
    source = SnapshotSource()
    with make_server(source, stall_after_s=5.0) as server:
        path = tmp_path / "config.toml"
        path.write_text(f"[health]\nport = {server.address[1]}\n")
        assert main(["status", "--config", str(path)]) == 0
        assert main(["mode", "--config", str(path), "set", "replay"]) == 0
    out = capsys.readouterr().out
    assert "healthy" in out and out.splitlines()[-1] == "mode: replay"


def test_a_bad_configuration_is_exit_2_naming_the_key(tmp_path, capsys):
    path = tmp_path / "config.toml"
    path.write_text("[health]\nport = -1\n")
    assert main(["status", "--config", str(path)]) == 2
    assert "[health] port" in capsys.readouterr().err


def test_an_unreadable_service_configuration_falls_back_to_the_defaults(monkeypatch):
    """The installed file's folder is 0750 root:dance2music: an ssh user cannot even stat it."""
    import dance2music.config as configuration

    class Unreachable(type(configuration.DEFAULT_CONFIG)):
        def exists(self, **kwargs):
            raise PermissionError(13, "Permission denied", str(self))

    unreachable = Unreachable("/etc/dance2music/config.toml")
    monkeypatch.setattr(configuration, "DEFAULT_CONFIG", unreachable)
    monkeypatch.delenv("DANCE2MUSIC_URL", raising=False)
    monkeypatch.delenv("DANCE2MUSIC_TOKEN", raising=False)
    args = build_parser().parse_args(["status"])
    assert service.endpoint(args) == service.Endpoint("http://127.0.0.1:8765", None)
