"""The sound outputs of this machine: ALSA's playback devices (the names `aplay -L` shows),
and whether FluidSynth can open each, tried for an instant like the live sink opens it."""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import os
import tempfile

from dance2music.synth.fluid import _import_fluidsynth


@dataclasses.dataclass(frozen=True)
class OutputDevice:
    name: str  # what [audio] device takes, e.g. "hdmi:CARD=vc4hdmi0,DEV=0"
    description: str


def alsa_playback_devices() -> list[OutputDevice]:
    """ALSA's device name hints for PCMs that can play (alsa-lib's snd_device_name_hint, the
    source of `aplay -L`); empty where alsa-lib is missing."""
    try:
        lib = ctypes.CDLL("libasound.so.2")
        libc = ctypes.CDLL(None)
    except OSError:
        return []
    hints = ctypes.POINTER(ctypes.c_void_p)()
    lib.snd_device_name_hint.argtypes = [ctypes.c_int, ctypes.c_char_p,
                                         ctypes.POINTER(ctypes.POINTER(ctypes.c_void_p))]
    lib.snd_device_name_get_hint.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.snd_device_name_get_hint.restype = ctypes.c_void_p  # a malloc'd string we must free
    if lib.snd_device_name_hint(-1, b"pcm", ctypes.byref(hints)) != 0:
        return []

    def hint(entry, key: bytes) -> str | None:
        pointer = lib.snd_device_name_get_hint(entry, key)
        if not pointer:
            return None
        try:
            return ctypes.string_at(pointer).decode(errors="replace")
        finally:
            libc.free(ctypes.c_void_p(pointer))

    devices = []
    try:
        i = 0
        while hints[i]:
            name, description, direction = (hint(hints[i], k) for k in (b"NAME", b"DESC", b"IOID"))
            if name and direction in (None, "Output"):  # None: both directions
                devices.append(OutputDevice(name, " ".join((description or "").split())))
            i += 1
    finally:
        lib.snd_device_name_free_hint(hints)
    return devices


@contextlib.contextmanager
def _stderr_captured():
    """alsa-lib and FluidSynth write their reasons to fd 2: keep them for the report."""
    lines: list[str] = []
    with tempfile.TemporaryFile(mode="w+b") as buffer:
        saved = os.dup(2)
        os.dup2(buffer.fileno(), 2)
        try:
            yield lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            buffer.seek(0)
            lines.extend(line for line in buffer.read().decode(errors="replace").splitlines()
                         if line.strip())


def try_open(driver: str, device: str, sample_rate_hz: int = 48000, period_size: int = 128,
             periods: int = 3) -> str | None:
    """Opens FluidSynth's audio driver on the device and closes it again: None when it opened,
    else why not (alsa-lib's or FluidSynth's last message). A device in use by the running
    service is busy and says so."""
    fluidsynth = _import_fluidsynth()
    settings = {"audio.driver": driver, "audio.period-size": int(period_size),
                "audio.periods": int(periods)}
    if driver == "alsa":
        settings["audio.alsa.device"] = device
    with _stderr_captured() as messages:
        synth = fluidsynth.Synth(samplerate=float(sample_rate_hz), **settings)
        try:
            handle = fluidsynth.new_fluid_audio_driver(synth.settings, synth.synth)
            if handle:
                fluidsynth.delete_fluid_audio_driver(handle)
        finally:
            synth.delete()
    if handle:
        return None
    alsa = [line.split(") ", 1)[-1] for line in messages if line.startswith("ALSA lib")]
    return (alsa or messages or [f"FluidSynth's {driver} driver did not open {device!r}"])[-1]
