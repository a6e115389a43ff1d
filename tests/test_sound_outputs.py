"""MIDI and OSC out, each against a real receiver on this machine: an OSC UDP server on
loopback, and a MIDI input on a JACK server with its dummy driver (no sound card needed)."""

import os
import shutil
import subprocess
import threading
import time
import uuid

import pytest

from dance2music.sound.outputs import MidiOutput, OscOutput, OutputError


@pytest.fixture
def osc_receiver():
    from pythonosc.dispatcher import Dispatcher
    from pythonosc.osc_server import ThreadingOSCUDPServer

    got = []
    dispatcher = Dispatcher()
    dispatcher.set_default_handler(lambda address, *args: got.append(
        (time.monotonic_ns(), address, list(args))))
    server = ThreadingOSCUDPServer(("127.0.0.1", 0), dispatcher)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], got
    server.shutdown()
    server.server_close()


def wait_for(got, count, timeout_s=2.0):
    end = time.monotonic() + timeout_s
    while len(got) < count and time.monotonic() < end:
        time.sleep(0.01)
    return got


def test_osc_notes_arrive_when_they_sound(osc_receiver):
    port, got = osc_receiver
    out = OscOutput("127.0.0.1", port)
    now = time.monotonic_ns()
    out.note_on(now + 150_000_000, 64, 90, 0)
    out.note_off(now + 350_000_000, 64, 0)
    out.state("world", "night")
    out.state("mode", "greedy")
    out.motion(0.4, -0.2, True, 90)
    wait_for(got, 5)
    out.close()
    by_address = {}
    for t, address, args in got:
        by_address.setdefault(address, []).append((t, args))
    assert by_address["/dance2music/world"][0][1] == ["night"]
    assert by_address["/dance2music/mode"][0][1] == ["greedy"]
    energy, height, beat, velocity = by_address["/dance2music/motion"][0][1]
    assert (beat, velocity) == (1, 90) and energy == pytest.approx(0.4)
    (on_t, on), (off_t, off) = by_address["/dance2music/note"]
    assert on == [64, 90, 0] and off == [64, 0, 0]
    # Sent when it sounds, not when it was scheduled (150 ms earlier).
    assert on_t >= now + 150_000_000 and on_t - (now + 150_000_000) < 50_000_000
    assert off_t >= now + 350_000_000


@pytest.fixture
def jack_server(monkeypatch):
    jackd = shutil.which("jackd")
    if jackd is None:
        pytest.skip("jackd not installed (Debian: jackd2)")
    name = f"d2m-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("JACK_DEFAULT_SERVER", name)
    proc = subprocess.Popen([jackd, "--no-realtime", "-n", name, "-d", "dummy", "-r", "48000",
                             "-p", "256"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=os.environ.copy())
    time.sleep(1.0)
    if proc.poll() is not None:
        pytest.skip("jackd did not start")
    yield name
    proc.terminate()
    proc.wait(5)


def test_midi_out_to_a_jack_receiver(jack_server):
    import mido

    backend = mido.Backend("mido.backends.rtmidi/UNIX_JACK")
    out = MidiOutput("virtual", api="jack")
    names = [n for n in backend.get_input_names() if "dance2music" in n]
    assert names, backend.get_input_names()
    received = []
    receiver = backend.open_input(names[0], callback=lambda m: received.append(
        (time.monotonic_ns(), m)))
    time.sleep(0.2)
    now = time.monotonic_ns()
    out.program(5, 89)
    out.note_on(now + 100_000_000, 57, 70, 0)
    out.note_on(now + 100_000_000, 45, 50, 5)
    out.note_off(now + 300_000_000, 57, 0)
    wait_for(received, 4)
    out.close()  # 45 on channel 5 still sounds: close must end it
    wait_for(received, 5)
    receiver.close()
    msgs = [m for _, m in received]
    assert msgs[0] == mido.Message("program_change", channel=5, program=89)
    assert [(m.type, m.channel, m.note, m.velocity) for m in msgs[1:]] == [
        ("note_on", 0, 57, 70), ("note_on", 5, 45, 50), ("note_off", 0, 57, 64),
        ("note_off", 5, 45, 64)]
    assert received[1][0] >= now + 100_000_000


def test_midi_errors_are_clear(jack_server):
    with pytest.raises(OutputError, match="no jack output port matching 'nowhere'"):
        MidiOutput("nowhere", api="jack")
    with pytest.raises(OutputError, match="api expected one of alsa, jack"):
        MidiOutput("virtual", api="coreaudio")


@pytest.mark.skipif(os.path.exists("/dev/snd/seq"), reason="this machine has an ALSA sequencer")
def test_midi_without_an_alsa_sequencer_is_a_clear_error():
    with pytest.raises(OutputError, match="midi: cannot open a port on alsa"):
        MidiOutput("virtual", api="alsa")


def test_level_chain_on_a_fluidsynth_driver(jack_server, tmp_path):
    """The levelled output on a real FluidSynth audio driver (JACK's, on the dummy backend):
    the driver2 callback renders every period and the sequencer's clock runs on it. (Its pace
    is the dummy backend's: without real-time scheduling on this loaded machine it ran at
    36,000-42,000 samples/s, with and without the level chain alike.)"""
    from dance2music.config import AudioSettings
    from dance2music.synth.sequencer import FluidSynthSink

    sink = FluidSynthSink(AudioSettings(driver="jack", period_size=256), level=True)
    sink.open()
    try:
        start = sink.now()
        for i in range(8):
            sink.note_on(start + 4800 * (i + 1), 60 + i, 127)
        time.sleep(1.0)
        elapsed = sink.now() - start
        assert sink._renderer is not None
        periods = sink._driver.periods
        assert elapsed > 0.2 * 48000 and periods * 256 >= elapsed  # every sample came through it
    finally:
        sink.close()
