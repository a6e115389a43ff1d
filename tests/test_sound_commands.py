"""`dance2music volume` and `world` through the real HTTP server and command queue to a
running loop (fakes for camera and synth, a manual clock stepped in a thread)."""

import json
import threading

import pytest
from conftest import DEMO_POSES

from dance2music.cli import main
from dance2music.errors import InputError
from dance2music.health.server import HealthServer
from dance2music.modes.commands import Command
from dance2music.music.causal import GreedyComposer
from dance2music.sound.live import LiveSound
from dance2music.sound.volume import VolumeStore
from dance2music.testing import FakeRig


@pytest.fixture
def service(tmp_path):
    rig = FakeRig(DEMO_POSES, lambda name: GreedyComposer(), fixed_latency_ms=100, absent_s=60,
                  sound=LiveSound("piano", volume_store=VolumeStore(tmp_path / "v.json")))
    rig.start()
    stop = threading.Event()
    thread = threading.Thread(target=lambda: [rig.run_for(0.05) for _ in iter(stop.is_set, True)],
                              daemon=True)
    thread.start()
    server = HealthServer(rig.stats.snapshot, rig.commands.submit, host="127.0.0.1", port=0)
    server.start()
    host, port = server.address
    yield rig, f"http://{host}:{port}"
    server.close()
    stop.set()
    thread.join()


def test_volume_and_world_from_the_command_line(service, capsys, tmp_path):
    rig, url = service
    assert main(["volume", "--url", url, "down"]) == 0
    assert "volume: -3.0 dB" in capsys.readouterr().out
    assert main(["volume", "--url", url, "set", "-12"]) == 0
    assert rig.loop.sound.volume_db == -12.0
    assert main(["world", "koto", "--url", url]) == 0
    assert capsys.readouterr().out.strip().endswith("world: koto  volume: -12.0 dB")
    assert main(["world", "next", "--url", url, "--json"]) == 0
    sound = json.loads(capsys.readouterr().out)["sound"]
    assert sound["world"] == "dream" and sound["worlds"][:2] == ["piano", "mallets"]
    assert (tmp_path / "v.json").read_text().strip() == '{"volume_db": -12.0}'
    assert main(["volume", "--url", url, "set", "20"]) == 2  # refused before asking
    assert "expected -40..6 dB" in capsys.readouterr().err


@pytest.mark.parametrize("body, command", [
    ({"world": "night"}, "world night"),
    ({"world": "next"}, "world next"),
    ({"volume": "up"}, "volume up"),
    ({"volume": "cycle"}, "volume cycle"),
    ({"volume": "set", "volume_db": -6}, "volume set -6"),
])
def test_sound_requests(body, command):
    assert str(Command.from_sound_json(body)) == command


@pytest.mark.parametrize("body, message", [
    ({"world": "disco"}, "world 'disco' is not one of"),
    ({"world": 3}, "expected {\"world\""),
    ({"volume": "set"}, "expected a number of dB"),
    ({"volume": "set", "volume_db": "loud"}, "expected a number of dB"),
    ({"volume": "set", "volume_db": 20}, "expected -40..6 dB"),
    ({"volume": "up", "volume_db": 3}, "volume_db goes with"),
    ({"volume": "louder"}, "volume: expected one of up, down, set, cycle"),
    ({"world": "night", "volume": "up"}, "expected {\"world\""),
    ([], "must be a JSON object"),
])
def test_bad_sound_requests_are_clear(body, message):
    with pytest.raises(InputError, match=message):
        Command.from_sound_json(body)


def test_run_world_flag_overrides_the_configuration(capsys):
    from dance2music.cli import build_parser
    from dance2music.commands.run import overrides
    from dance2music.config import Config

    args = build_parser().parse_args(["run", "--world", "night"])
    assert Config().with_overrides(**overrides(args)).sound.world == "night"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--world", "disco"])
    assert "invalid choice: 'disco'" in capsys.readouterr().err
