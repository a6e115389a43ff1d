"""`dance2music status` and `dance2music mode` against a real HealthServer on loopback."""

from __future__ import annotations

import argparse
import json
import socket
import time

import pytest

from dance2music.commands import mode, status
from dance2music.errors import Dance2MusicError
from health_fixtures import SnapshotSource, make_server


def parse(module, argv):
    parser = argparse.ArgumentParser(prog="dance2music")
    module.register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


@pytest.fixture
def source():
    return SnapshotSource()


@pytest.fixture
def url(source):
    with make_server(source, stall_after_s=1.0) as srv:
        yield "http://%s:%d" % srv.address


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_healthy_summary_exit_0(url, capsys):
    args = parse(status, ["status", "--url", url])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "dance2music 0.1.0: healthy" in out
    assert "end-to-end p50/p99 14/24 ms (fixed L 250.0 ms), 1 deadline misses" in out
    assert "camera up, pose up, composer up, audio up" in out
    assert "51.5 °C, throttling: none" in out and "pose.xml sha256 abababababab" in out


def test_summary_says_when_the_camera_view_is_watched():
    from dance2music.commands.status import summary

    assert "setup page  the camera view is being watched" in summary({"view_watched": True}, 0)
    assert "setup page" not in summary({"view_watched": False}, 0)


def test_component_down_is_degraded_exit_1(url, source, capsys):
    source.stats["components"]["audio"] = {"up": False, "error": "no sound card"}
    args = parse(status, ["status", "--url", url])
    assert args.func(args) == 1
    out = capsys.readouterr().out
    assert "DEGRADED" in out and "audio DOWN (no sound card)" in out


def test_a_fallback_composer_is_degraded_exit_1(url, source, capsys):
    why = "live: online unavailable (model file missing); playing greedy"
    source.stats["components"]["composer"] = {"ok": True, "state": "degraded", "error": None,
                                              "degraded": why}
    args = parse(status, ["status", "--url", url])
    assert args.func(args) == 1
    out = capsys.readouterr().out
    assert "DEGRADED" in out and f"composer DEGRADED ({why})" in out


def test_standby_components_are_idle_not_down(url, source, capsys):
    for name in ("camera", "pose", "composer"):
        source.stats["components"][name] = {"ok": True, "state": "idle", "error": None,
                                            "degraded": None}
    args = parse(status, ["status", "--url", url])
    assert args.func(args) == 0
    assert "camera idle, pose idle, composer idle, audio up" in capsys.readouterr().out


def test_stalled_loop_is_down_exit_2(url, source, capsys):
    source.stats["last_progress_s"] = time.monotonic() - 5
    args = parse(status, ["status", "--url", url])
    assert args.func(args) == 2
    assert "DOWN (loop stalled)" in capsys.readouterr().out


def test_unreachable_is_exit_2(capsys):
    args = parse(status, ["status", "--url", closed_port_url()])
    assert args.func(args) == 2
    assert "DOWN: no answer from" in capsys.readouterr().out


def test_json_output(url, capsys):
    args = parse(status, ["status", "--json", "--url", url])
    assert args.func(args) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["health"] == {"alive": True, "ready": True, "not_ready": {}, "degraded": {},
                              "progress_age_s": pytest.approx(body["health"]["progress_age_s"])}
    assert body["notes_played"] == 42


def test_mode_next_and_set_print_the_mode_switched_to(url, source, capsys):
    for argv in (["mode", "--url", url, "next"], ["mode", "--url", url, "set", "baseline"]):
        args = parse(mode, argv)
        assert args.func(args) == 0
    assert source.commands == ["next", "set baseline"]
    assert capsys.readouterr().out.splitlines() == ["mode: greedy", "mode: baseline"]


def test_mode_not_applied_in_time_says_so_and_exits_1(url, source, capsys):
    source.applies_commands = False
    args = parse(mode, ["mode", "--url", url, "--wait", "0.2", "standby"])
    assert args.func(args) == 1
    assert "accepted: standby (the service has not switched" in capsys.readouterr().out


def test_mode_rejects_unknown_names_before_sending(url, source):
    with pytest.raises(SystemExit):
        parse(mode, ["mode", "--url", url, "set", "disco"])
    assert source.commands == []


def test_mode_refused_by_the_service_is_an_error(url, source):
    source.fail_submit = True
    args = parse(mode, ["mode", "--url", url, "next"])
    with pytest.raises(Dance2MusicError, match="503 command not accepted"):
        args.func(args)


def test_mode_unreachable_is_an_error():
    args = parse(mode, ["mode", "--url", closed_port_url(), "next"])
    with pytest.raises(Dance2MusicError, match="no answer from"):
        args.func(args)
