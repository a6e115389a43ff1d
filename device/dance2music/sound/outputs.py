"""Live outputs besides the speaker: MIDI out (mido + python-rtmidi: an ALSA sequencer or JACK
port, virtual or connected to a named one) and OSC out (python-osc over UDP).

The loop schedules each note a fixed latency ahead of its onset; a TimedSender thread sends
it when it sounds, so a synth or DAW listening hears it with the speaker. Sending never blocks
the loop; a receiver that vanishes costs a log line, not the music."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from dance2music.errors import Dance2MusicError

log = logging.getLogger(__name__)

OSC_PREFIX = "/dance2music"
MIDI_APIS = {"alsa": "LINUX_ALSA", "jack": "UNIX_JACK"}
VIRTUAL_PORT = "virtual"  # [sound] midi_port: open our own port for others to connect to
CLIENT_NAME = "dance2music"


class OutputError(Dance2MusicError, RuntimeError):
    """A MIDI or OSC output cannot be opened."""


class LiveOutput(Protocol):
    """What the loop tells an output; `due_ns` is the monotonic time the event sounds."""

    def note_on(self, due_ns: int, midi: int, velocity: int, channel: int) -> None: ...

    def note_off(self, due_ns: int, midi: int, channel: int) -> None: ...

    def program(self, channel: int, program: int) -> None: ...

    def state(self, name: str, value: str | float) -> None: ...

    def motion(self, energy: float, height: float, beat: bool, velocity: int) -> None: ...

    def close(self) -> None: ...


class TimedSender:
    """Calls `send(item)` for each item at its due monotonic time, from its own thread."""

    def __init__(self, send: Callable[[object], None], name: str):
        self._send = send
        self._queue: list[tuple[int, int, object]] = []
        self._order = itertools.count()  # equal times keep their order (offs before ons)
        self._wake = threading.Condition()
        self._closed = False
        self.errors = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def at(self, due_ns: int, item: object) -> None:
        with self._wake:
            heapq.heappush(self._queue, (due_ns, next(self._order), item))
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._closed and (
                        not self._queue or self._queue[0][0] > time.monotonic_ns()):
                    wait = (self._queue[0][0] - time.monotonic_ns()) / 1e9 if self._queue else None
                    self._wake.wait(wait)
                if self._closed:
                    return
                _, _, item = heapq.heappop(self._queue)
            try:
                self._send(item)
            except Exception as e:  # a receiver gone or a full buffer must not stop the music
                self.errors += 1
                if self.errors == 1:
                    log.warning("%s: send failed (%s); later failures are counted",
                                self._thread.name, e)

    def close(self, flush: Callable[[], None] | None = None) -> None:
        with self._wake:
            self._closed = True
            self._queue.clear()
            self._wake.notify()
        self._thread.join()
        if flush is not None:
            flush()


class MidiOutput:
    """Notes as MIDI messages on a port: `port` 'virtual' opens our own (others connect to
    it, e.g. `aconnect` or a DAW), any other name connects to the first port containing it."""

    def __init__(self, port: str, api: str = "alsa"):
        import mido  # the rtmidi backend loads libasound/libjack: only when MIDI is wanted

        if api not in MIDI_APIS:
            raise OutputError(f"midi: api expected one of {', '.join(MIDI_APIS)}, got {api!r}")
        backend = mido.Backend(f"mido.backends.rtmidi/{MIDI_APIS[api]}")
        self._mido = mido
        try:
            if port == VIRTUAL_PORT:
                self._port = backend.open_output(CLIENT_NAME, virtual=True)
            else:
                names = [n for n in backend.get_output_names() if port in n]
                if not names:
                    raise OutputError(f"midi: no {api} output port matching {port!r} (found: "
                                      f"{', '.join(backend.get_output_names()) or 'none'})")
                self._port = backend.open_output(names[0])
        except OSError as e:  # rtmidi: no ALSA sequencer / no JACK server
            raise OutputError(f"midi: cannot open a port on {api} ({e})") from None
        self.name = self._port.name
        self._sounding: set[tuple[int, int]] = set()
        self._sender = TimedSender(self._send, "midi-out")

    def _send(self, msg) -> None:
        if msg.type == "note_on":
            self._sounding.add((msg.channel, msg.note))
        elif msg.type == "note_off":
            self._sounding.discard((msg.channel, msg.note))
        self._port.send(msg)

    def note_on(self, due_ns: int, midi: int, velocity: int, channel: int) -> None:
        self._sender.at(due_ns, self._mido.Message("note_on", channel=channel, note=midi,
                                                   velocity=velocity))

    def note_off(self, due_ns: int, midi: int, channel: int) -> None:
        self._sender.at(due_ns, self._mido.Message("note_off", channel=channel, note=midi))

    def program(self, channel: int, program: int) -> None:
        self._sender.at(0, self._mido.Message("program_change", channel=channel, program=program))

    def state(self, name: str, value: str | float) -> None:
        pass  # MIDI has no words for modes or worlds

    def motion(self, energy: float, height: float, beat: bool, velocity: int) -> None:
        pass

    def close(self) -> None:
        """No note left hanging: note-offs for every note sounding, then close the port."""
        def flush() -> None:
            for channel, note in sorted(self._sounding):
                self._port.send(self._mido.Message("note_off", channel=channel, note=note))
            self._port.close()
        self._sender.close(flush)


class OscOutput:
    """Notes, state and movement as OSC messages to host:port over UDP:
    /dance2music/note [midi, velocity, channel]  (velocity 0: the note ends)
    /dance2music/mode [name]   /dance2music/world [name]   /dance2music/volume [dB]
    /dance2music/motion [energy, height, beat 0/1, velocity]  once per note interval"""

    def __init__(self, host: str, port: int):
        from pythonosc.udp_client import SimpleUDPClient

        try:
            self._client = SimpleUDPClient(host, port)
        except OSError as e:
            raise OutputError(f"osc: cannot send to {host}:{port} ({e})") from None
        self.address = (host, port)
        self._sender = TimedSender(lambda m: self._client.send_message(*m), "osc-out")

    def note_on(self, due_ns: int, midi: int, velocity: int, channel: int) -> None:
        self._sender.at(due_ns, (f"{OSC_PREFIX}/note", [midi, velocity, channel]))

    def note_off(self, due_ns: int, midi: int, channel: int) -> None:
        self._sender.at(due_ns, (f"{OSC_PREFIX}/note", [midi, 0, channel]))

    def program(self, channel: int, program: int) -> None:
        self._sender.at(0, (f"{OSC_PREFIX}/program", [channel, program]))

    def state(self, name: str, value: str | float) -> None:
        self._sender.at(0, (f"{OSC_PREFIX}/{name}", [value]))

    def motion(self, energy: float, height: float, beat: bool, velocity: int) -> None:
        self._sender.at(0, (f"{OSC_PREFIX}/motion", [float(energy), float(height), int(beat),
                                                     int(velocity)]))

    def close(self) -> None:
        self._sender.close()


class OutputObserver:
    """The loop's NoteEvents to the live outputs, each event when it sounds: every voice
    (melody, layers, accompaniment) and the world cues as notes; a fade ends what sounds."""

    def __init__(self, outputs: list[LiveOutput], mono_at: Callable[[int], int]):
        self.outputs = outputs
        self.mono_at = mono_at
        self._sounding: set[tuple[int, int]] = set()  # (midi, channel)

    def __call__(self, event) -> None:
        if event.kind not in ("voice", "fade") or not self.outputs:
            return
        due_ns = self.mono_at(event.onset)
        if event.kind == "fade":
            ends, self._sounding = sorted(self._sounding), set()
            for output in self.outputs:
                for midi, channel in ends:
                    output.note_off(due_ns, midi, channel)
            return
        key = (event.midi, event.channel)
        for output in self.outputs:
            if event.velocity > 0:
                output.note_on(due_ns, event.midi, event.velocity, event.channel)
            else:
                output.note_off(due_ns, event.midi, event.channel)
        if event.velocity > 0:
            self._sounding.add(key)
        else:
            self._sounding.discard(key)


def open_outputs(settings) -> list[LiveOutput]:
    """The outputs the [sound] section asks for; one that cannot open is logged and left
    out (the speaker plays on)."""
    outputs: list[LiveOutput] = []
    if settings.osc_port:
        try:
            outputs.append(OscOutput(settings.osc_host, settings.osc_port))
            log.info("osc: sending to %s:%d", settings.osc_host, settings.osc_port)
        except OutputError as e:
            log.error("%s; no OSC", e)
    if settings.midi_port:
        try:
            midi = MidiOutput(settings.midi_port, settings.midi_api)
            outputs.append(midi)
            log.info("midi: sending on %s (%s)", midi.name, settings.midi_api)
        except OutputError as e:
            log.error("%s; no MIDI", e)
    return outputs
