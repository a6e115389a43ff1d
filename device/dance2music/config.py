"""The appliance's one configuration file (TOML): sections of typed, documented keys.

Every key has a default, a unit and a range; unknown keys and bad values are errors naming the
key, the file and what was expected. `dance2music config defaults` prints the documented file."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import Any

from dance2music.errors import InputError
from dance2music.pose.features import DEFAULT_REPRESENTATION, REPRESENTATIONS

DEFAULT_CONFIG = Path("/etc/dance2music/config.toml")
MODES = ("live", "greedy", "baseline", "replay", "standby")


def key(default, doc: str, unit: str = "", low=None, high=None, choices=None):
    return dataclasses.field(default=default, metadata={
        "doc": doc, "unit": unit, "low": low, "high": high, "choices": choices})


@dataclasses.dataclass(frozen=True)
class CaptureSettings:
    source: str = key("", "camera or video: 'picamera', a V4L2 index or /dev/videoN, or a video "
                          "file path; empty = the bundled demo video")
    width_px: int = key(640, "camera frame width", "pixels", 64, 4096)
    height_px: int = key(480, "camera frame height", "pixels", 48, 4096)
    fps: float = key(30.0, "camera frame rate (video files play at their own)", "frames/s", 1, 120)
    loop_video: bool = key(True, "start a video file again at its end")
    reopen_max_backoff_s: float = key(1.0, "longest wait between attempts to reopen a failed "
                                           "source", "s", 0.05, 60)


@dataclasses.dataclass(frozen=True)
class PoseSettings:
    model_dir: str = key("", "directory of the INT8 pose models and manifest; empty = the "
                             "installed models/int8")
    presence_threshold: float = key(0.5, "pose presence above which someone is in view",
                                    "probability", 0.0, 1.0)
    representation: str = key(DEFAULT_REPRESENTATION, "pose vector: image-normalised or "
                                                      "body-centred", choices=REPRESENTATIONS)


@dataclasses.dataclass(frozen=True)
class LoopSettings:
    mode: str = key("live", "mode at start", choices=MODES)
    # Measured on a 2-core x86 VM over 10 min (benchmarks/live_run.py): the worst decision
    # came 1 ms after its boundary with the machine to itself (L = 10 ms ran with zero
    # misses); an earlier, slower pose model reached 132 ms with both cores saturated by other
    # jobs. 100 ms leaves room for a Pi 5 core several times slower; re-measure on the target.
    fixed_latency_ms: int = key(100, "from a note-grid boundary to its note's onset; a decision "
                                     "later than this is missed (the previous note holds)",
                                "ms", 10, 1000)
    absent_s: float = key(1.0, "nobody in view this long fades the music out", "s", 0.1, 60)
    fade_ms: int = key(400, "fade to silence when nobody is in view", "ms", 0, 5000)
    replay_s: float = key(12.0, "dance recorded for the replay mode", "s", 2, 60)


@dataclasses.dataclass(frozen=True)
class AudioSettings:
    driver: str = key("alsa", "FluidSynth audio driver ('file' writes audio_file)",
                      choices=("alsa", "pulseaudio", "pipewire", "jack", "file"))
    device: str = key("default", "ALSA device name (e.g. hw:1,0, plughw:CARD=Headphones)")
    audio_file: str = key("", "WAV file written in real time by the 'file' driver")
    sample_rate_hz: int = key(48000, "output sample rate", "Hz", 8000, 192000)
    period_size: int = key(128, "audio period", "frames", 16, 8192)
    periods: int = key(3, "periods in the output buffer", "periods", 2, 64)
    gain: float = key(0.8, "synth output gain", "linear", 0.0, 10.0)
    polyphony: int = key(32, "voices at most", "voices", 1, 256)
    soundfont: str = key("/usr/share/sounds/sf2/FluidR3_GM.sf2", "SoundFont with a grand piano "
                                                                  "at preset 0:0")
    retry_s: float = key(2.0, "wait before retrying an audio output that failed to open", "s",
                         0.1, 600)


@dataclasses.dataclass(frozen=True)
class ButtonSettings:
    enabled: bool = key(True, "use the GPIO push button (off or no GPIO: disabled)")
    pin: int = key(17, "BCM GPIO of the button, wired to ground", "BCM pin", 0, 53)
    hold_s: float = key(2.0, "a press this long toggles standby", "s", 0.5, 10)
    debounce_ms: int = key(50, "edges closer than this to the previous one are ignored", "ms",
                           0, 500)
    led_pin: int = key(-1, "BCM GPIO of an optional mode LED; -1 = none", "BCM pin", -1, 53)


@dataclasses.dataclass(frozen=True)
class HealthSettings:
    enabled: bool = key(True, "serve /healthz, /readyz, /status, /metrics and POST /mode")
    host: str = key("127.0.0.1", "address the health/metrics HTTP server listens on")
    port: int = key(8765, "health server port; 0 = any free port", "TCP port", 0, 65535)
    token: str = key("", "bearer token required for POST commands; empty = none")


@dataclasses.dataclass(frozen=True)
class Config:
    capture: CaptureSettings = CaptureSettings()
    pose: PoseSettings = PoseSettings()
    loop: LoopSettings = LoopSettings()
    audio: AudioSettings = AudioSettings()
    button: ButtonSettings = ButtonSettings()
    health: HealthSettings = HealthSettings()

    def with_overrides(self, **sections: dict[str, Any]) -> Config:
        """A copy with some keys replaced (CLI flags), validated like the file's."""
        return _build({name: {**dataclasses.asdict(getattr(self, name)), **values}
                       for name, values in ((f.name, sections.get(f.name, {}))
                                            for f in dataclasses.fields(self))}, "command line")


_TYPES = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}


def _value(section: str, field: dataclasses.Field, value: Any, source: str) -> Any:
    where = f"{source}: [{section}] {field.name}"
    kind = {"int": int, "float": float, "bool": bool, "str": str}[field.type]
    meta = field.metadata
    ok_type = (isinstance(value, kind) and not (kind is int and isinstance(value, bool))) or (
        kind is float and isinstance(value, int) and not isinstance(value, bool))
    if not ok_type:
        raise InputError(f"{where}: expected {_TYPES[kind]}, got {value!r}")
    value = kind(value)
    if meta["choices"] and value not in meta["choices"]:
        raise InputError(f"{where}: expected one of {', '.join(meta['choices'])}, got {value!r}")
    if (meta["low"] is not None and value < meta["low"]) or (
            meta["high"] is not None and value > meta["high"]):
        raise InputError(f"{where}: expected {meta['low']}..{meta['high']} {meta['unit']}, "
                         f"got {value!r}".replace(" ,", ","))
    return value


def _build(tables: dict[str, Any], source: str) -> Config:
    sections = {f.name: f.type for f in dataclasses.fields(Config)}
    for name in tables:
        if name not in sections:
            raise InputError(f"{source}: unknown section [{name}] (expected one of "
                             f"{', '.join(sections)})")
    built = {}
    for name, cls_name in sections.items():
        cls = globals()[cls_name]
        table = tables.get(name, {})
        if not isinstance(table, dict):
            raise InputError(f"{source}: {name} must be a [{name}] table")
        fields = {f.name: f for f in dataclasses.fields(cls)}
        for k in table:
            if k not in fields:
                raise InputError(f"{source}: unknown key [{name}] {k} (expected one of "
                                 f"{', '.join(fields)})")
        built[name] = cls(**{k: _value(name, fields[k], v, source) for k, v in table.items()})
    return Config(**built)


def load(path: Path | None) -> Config:
    """The configuration in `path`; None = the default file if it exists, else all defaults."""
    if path is None:
        if not DEFAULT_CONFIG.exists():
            return Config()
        path = DEFAULT_CONFIG
    try:
        with open(path, "rb") as f:
            tables = tomllib.load(f)
    except OSError as e:
        raise InputError(f"{path}: cannot read the configuration ({e.strerror or e})") from None
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{path}: not valid TOML ({e})") from None
    return _build(tables, str(path))


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def documented(config: Config = Config()) -> str:
    """The configuration as a TOML file with every key's meaning, unit and range."""
    lines = [f"# Dance2Music configuration ({DEFAULT_CONFIG}); every key is optional."]
    for section in dataclasses.fields(Config):
        lines += ["", f"[{section.name}]"]
        current = getattr(config, section.name)
        for f in dataclasses.fields(current):
            meta = f.metadata
            extra = [f"unit: {meta['unit']}"] if meta["unit"] else []
            if meta["low"] is not None:
                extra.append(f"range {meta['low']}..{meta['high']}")
            if meta["choices"]:
                extra.append("one of " + ", ".join(meta["choices"]))
            extra.append(f"default {_toml(f.default)}")
            lines.append(f"# {meta['doc']} ({'; '.join(extra)})")
            lines.append(f"{f.name} = {_toml(getattr(current, f.name))}")
    return "\n".join(lines) + "\n"
