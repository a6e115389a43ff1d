"""`dance2music audio list | test` with the real FluidSynth and alsa-lib (ALSA's `null`
device stands in for a sound card; the `file` output for the ears)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dance2music.cli import main
from dance2music.commands.audio import PHRASE, PHRASE_NOTE_S
from dance2music.sound.worlds import get_world
from dance2music.synth import wav
from dance2music.synth.devices import alsa_playback_devices, try_open


def config_file(tmp_path, device: str):
    path = tmp_path / "config.toml"
    path.write_text(f'[audio]\ndriver = "alsa"\ndevice = "{device}"\n')
    return path


def test_alsa_knows_its_null_device_and_fluidsynth_opens_it():
    assert "null" in [d.name for d in alsa_playback_devices()]
    assert try_open("alsa", "null") is None


def test_a_missing_card_does_not_open_and_says_why():
    assert "Nope" in try_open("alsa", "hw:CARD=Nope")


def test_list_marks_the_configured_device(tmp_path, capsys):
    assert main(["audio", "list", "--json", "--config", str(config_file(tmp_path, "null"))]) == 0
    outputs = {row["name"]: row for row in json.loads(capsys.readouterr().out)["outputs"]}
    assert outputs["null"]["configured"] and outputs["null"]["opens"]
    assert [name for name, row in outputs.items() if row["configured"]] == ["null"]


def test_list_shows_a_configured_device_that_does_not_exist(tmp_path, capsys):
    assert main(["audio", "list", "--config", str(config_file(tmp_path, "hw:CARD=Nope"))]) == 0
    out = capsys.readouterr().out
    assert "* hw:CARD=Nope" in out and "does not open: Cannot get card index for Nope" in out


def test_test_plays_through_the_configured_device(tmp_path, capsys):
    assert main(["audio", "test", "--config", str(config_file(tmp_path, "null"))]) == 0
    assert f"played {len(PHRASE)} notes" in capsys.readouterr().out


def test_test_into_a_file_is_the_phrase(tmp_path):
    out = tmp_path / "phrase.wav"
    assert main(["audio", "test", "--audio-file", str(out)]) == 0
    audio, rate = wav.read_wav(out)
    mono = np.abs(audio.astype(np.float64)).mean(axis=1)
    loud_s = np.flatnonzero(mono > 0.05 * mono.max()) / rate
    assert loud_s[-1] - loud_s[0] == pytest.approx(len(PHRASE) * PHRASE_NOTE_S, abs=0.6)


@pytest.mark.parametrize("world", ["piano", "koto"])
def test_the_phrase_is_in_the_world(tmp_path, world):
    """The first note's strongest partial is a harmonic of the world's lowest melody pitch."""
    out = tmp_path / "phrase.wav"
    assert main(["audio", "test", "--world", world, "--audio-file", str(out)]) == 0
    audio, rate = wav.read_wav(out)
    mono = audio.astype(np.float64).mean(axis=1)
    start, stop = int(0.27 * rate), int(0.47 * rate)  # inside the first note
    first = mono[start:stop] * np.hanning(stop - start)
    spectrum = np.abs(np.fft.rfft(first, 8 * len(first)))
    peak_hz = np.fft.rfftfreq(8 * len(first), 1 / rate)[np.argmax(spectrum)]
    f0_hz = 440 * 2 ** ((get_world(world).melody_midi(0) - 69) / 12)
    harmonic = peak_hz / f0_hz
    assert round(harmonic) >= 1 and abs(harmonic - round(harmonic)) < 0.03, (peak_hz, f0_hz)


def test_a_device_that_does_not_open_is_exit_2(tmp_path, capsys):
    assert main(["audio", "test", "--device", "hw:CARD=Nope"]) == 2
    assert "audio list" in capsys.readouterr().err
