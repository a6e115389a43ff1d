"""The appliance's one configuration file (TOML): sections of typed, documented keys.

Every key has a default, a unit and a range; unknown keys and bad values are errors naming the
key, the file and what was expected. `dance2music config defaults` prints the documented file."""

from __future__ import annotations

import dataclasses
import difflib
import math
import tomllib
from pathlib import Path
from typing import Any

from dance2music.errors import InputError
from dance2music.modes.table import MODE_NAMES as MODES
from dance2music.music.composer import DEFAULT_K, DEFAULT_LOOKAHEAD_FRAMES
from dance2music.music.grid import longest_note_s
from dance2music.pose.features import DEFAULT_REPRESENTATION, REPRESENTATIONS
from dance2music.sound.worlds import DEFAULT_WORLD, WORLD_NAMES

DEFAULT_CONFIG = Path("/etc/dance2music/config.toml")
MAX_CONFIG_BYTES = 1 << 20  # a real file is ~3 KiB; refuse to parse a huge one


def key(default, doc: str, unit: str = "", low=None, high=None, choices=None, secret=False):
    return dataclasses.field(default=default, metadata={
        "doc": doc, "unit": unit, "low": low, "high": high, "choices": choices, "secret": secret})


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
    # How the camera is mounted (undone before the pose model; on a Pi camera by the sensor).
    hflip: bool = key(False, "mirror the image left-right")
    vflip: bool = key(False, "flip the image upside down")
    rotation_deg: int = key(0, "turn the image clockwise (after the flips)", "degrees",
                            choices=(0, 90, 180, 270))
    camera_num: int = key(0, "which Pi camera with source = \"picamera\" (Pi 5: 0 = CAM0, "
                             "1 = CAM1)", "index", 0, 7)


@dataclasses.dataclass(frozen=True)
class PoseSettings:
    model_dir: str = key("", "directory of the models (pose, note classifier, baseline) and "
                             "their manifests; empty = the repository's models/int8")
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
    lookahead_frames: int = key(DEFAULT_LOOKAHEAD_FRAMES, "frames of each note's own interval "
                                "the composer sees before deciding it (the note still sounds at "
                                "boundary + fixed_latency_ms, which must cover them plus the pose "
                                "and decision time)", "frames", 0, DEFAULT_K)
    absent_s: float = key(1.0, "nobody in view this long fades the music out", "s", 0.1, 60)
    fade_ms: int = key(400, "fade to silence when nobody is in view", "ms", 0, 5000)
    replay_s: float = key(12.0, "dance recorded for the replay mode", "s", 2, 60)
    grid: str = key("fixed", "note grid: 'fixed' (one note per 0.2 s) or 'tempo' (two notes per "
                             "beat of the dancer's tempo, fixed while no pulse is found)",
                    choices=("fixed", "tempo"))


@dataclasses.dataclass(frozen=True)
class AudioSettings:
    driver: str = key("alsa", "FluidSynth audio driver ('file' writes audio_file)",
                      choices=("alsa", "pulseaudio", "pipewire", "jack", "file"))
    device: str = key("default", "ALSA device name, as `dance2music audio list` shows (a Pi 5: "
                                 "hdmi:CARD=vc4hdmi0,DEV=0, or a USB card's plughw:CARD=...)")
    audio_file: str = key("", "WAV file written in real time by the 'file' driver")
    sample_rate_hz: int = key(48000, "output sample rate", "Hz", 8000, 192000)
    period_size: int = key(128, "audio period", "frames", 16, 8192)
    periods: int = key(3, "periods in the output buffer", "periods", 2, 64)
    gain: float = key(0.8, "synth output gain", "linear", 0.0, 10.0)
    polyphony: int = key(32, "voices at most", "voices", 1, 256)
    soundfont: str = key("/usr/share/sounds/sf2/FluidR3_GM.sf2", "SoundFont with a grand piano "
                                                                  "at preset 0:0 (Debian "
                                                                  "fluid-soundfont-gm, MIT)")
    reverb: bool = key(True, "FluidSynth's reverb on every instrument")
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
    multi_press_ms: int = key(400, "presses this close form a double press (next sound world) "
                                   "or a triple press (volume down a step; below -12 dB back to "
                                   "0 dB); a single press waits this long; 0 = single presses "
                                   "only", "ms", 0, 1000)


@dataclasses.dataclass(frozen=True)
class HealthSettings:
    enabled: bool = key(True, "serve /healthz, /readyz, /status, /metrics and POST /mode")
    host: str = key("127.0.0.1", "address the health/metrics HTTP server listens on")
    port: int = key(8765, "health server port; 0 = any free port", "TCP port", 0, 65535)
    token: str = key("", "bearer token required for POST commands from off the box (and, with "
                         "page_on_lan, for every request from off the box); empty = none",
                     secret=True)
    page_on_lan: bool = key(False, "open the setup page (camera view) to the LAN: every "
                                   "request from off the box then needs the token; needs host "
                                   "0.0.0.0 (or the LAN address) and a token")


@dataclasses.dataclass(frozen=True)
class SoundSettings:  # how the notes sound (dance2music.sound)
    world: str = key(DEFAULT_WORLD, "sound world: scale and instruments", choices=WORLD_NAMES)
    accompaniment: bool = key(True, "bass and chords under the melody")
    chord_every_notes: int = key(4, "a new chord every this many notes", "notes", 2, 16)
    level: bool = key(True, "live output at -16 LUFS (calibrated per world, followed slowly), "
                            "limited to -1 dBTP; off: FluidSynth's raw 16-bit output")
    volume_db: float = key(0.0, "volume until one is set live (then kept in volume_file)", "dB",
                           -40.0, 6.0)
    volume_file: str = key("/var/lib/dance2music/volume.json", "where the live volume is kept "
                                                               "across restarts; empty = not kept")
    osc_host: str = key("127.0.0.1", "OSC out: notes, mode, world, volume and movement to here")
    osc_port: int = key(0, "OSC out UDP port; 0 = no OSC", "UDP port", 0, 65535)
    midi_port: str = key("", "MIDI out: 'virtual' (a port others connect to) or part of a port's "
                             "name; empty = no MIDI")
    midi_api: str = key("alsa", "MIDI system", choices=("alsa", "jack"))


@dataclasses.dataclass(frozen=True)
class Config:
    capture: CaptureSettings = CaptureSettings()
    pose: PoseSettings = PoseSettings()
    loop: LoopSettings = LoopSettings()
    audio: AudioSettings = AudioSettings()
    button: ButtonSettings = ButtonSettings()
    health: HealthSettings = HealthSettings()
    sound: SoundSettings = SoundSettings()

    def with_overrides(self, **sections: dict[str, Any]) -> Config:
        """A copy with some keys replaced (CLI flags), validated like the file's."""
        return _build({name: {**dataclasses.asdict(getattr(self, name)), **values}
                       for name, values in ((f.name, sections.get(f.name, {}))
                                            for f in dataclasses.fields(self))}, "command line")


_TYPES = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}


def _value(section: str, field: dataclasses.Field, value: Any) -> Any:
    """`value` converted to the key's type, or InputError saying what was expected."""
    kind = {"int": int, "float": float, "bool": bool, "str": str}[field.type]
    meta = field.metadata
    ok_type = (isinstance(value, kind) and not (kind is int and isinstance(value, bool))) or (
        kind is float and isinstance(value, int) and not isinstance(value, bool))
    if not ok_type:
        raise InputError(f"[{section}] {field.name}: expected {_TYPES[kind]}, got {value!r}")
    value = kind(value)
    if kind is str and "\0" in value:
        raise InputError(f"[{section}] {field.name}: expected text without NUL characters")
    if meta["choices"] and value not in meta["choices"]:
        choices = ", ".join(map(str, meta["choices"]))
        raise InputError(f"[{section}] {field.name}: expected one of {choices}, got {value!r}")
    # NaN compares false with everything, so the range test alone would let it through.
    if kind is float and not math.isfinite(value):
        raise InputError(f"[{section}] {field.name}: expected a finite number, got {value!r}")
    if (meta["low"] is not None and value < meta["low"]) or (
            meta["high"] is not None and value > meta["high"]):
        raise InputError(f"[{section}] {field.name}: expected {meta['low']}..{meta['high']} "
                         f"{meta['unit']}, got {value!r}".replace(" ,", ","))
    return value


def _unknown(kind: str, name: str, known: list[str]) -> str:
    guess = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean {guess[0]}? " if guess else ""
    return f"unknown {kind} {name} ({hint}expected one of {', '.join(known)})"


def _build(tables: dict[str, Any], source: str) -> Config:
    """The Config of `tables`, or one InputError listing every mistake in them."""
    sections = {f.name: f.type for f in dataclasses.fields(Config)}
    errors = [_unknown("section", f"[{name}]", [f"[{s}]" for s in sections])
              for name in tables if name not in sections]
    built = {}
    for name, cls_name in sections.items():
        cls = globals()[cls_name]
        table = tables.get(name, {})
        if not isinstance(table, dict):
            errors.append(f"{name} must be a [{name}] table")
            continue
        fields = {f.name: f for f in dataclasses.fields(cls)}
        values = {}
        for k, v in table.items():
            if k not in fields:
                errors.append(_unknown("key", f"[{name}] {k}", list(fields)))
                continue
            try:
                values[k] = _value(name, fields[k], v)
            except InputError as e:
                errors.append(str(e))
        built[name] = cls(**values)
    if not errors:
        errors = _combination_errors(Config(**built))
    if errors:
        raise InputError("\n".join(f"{source}: {e}" for e in errors))
    return Config(**built)


# Pose p99 + decision p99 per frame on the 2-core development VM (benchmarks/live_run.py:
# 14.2 + 1.5 ms); a Pi 5 core is slower: measure there and raise fixed_latency_ms.
POSE_AND_DECISION_MS = 16
FRAME_PERIOD_MS = 1000 / 30


def lookahead_latency_ms(lookahead_frames: int, grid: str = "fixed") -> float:
    """The smallest fixed latency that lets a decision wait for its lookahead frames: the last
    of its d samples lies d - 1 sample steps after the boundary (a frame period on the fixed
    grid; a k-th of the longest note on the tempo grid, whose samples are in warped time), its
    frame is in a frame period later, then pose and decision."""
    if lookahead_frames == 0:
        return POSE_AND_DECISION_MS
    step_ms = FRAME_PERIOD_MS if grid == "fixed" else 1000 * longest_note_s() / DEFAULT_K
    return (lookahead_frames - 1) * step_ms + FRAME_PERIOD_MS + POSE_AND_DECISION_MS


def _combination_errors(cfg: Config) -> list[str]:
    """Keys that are each valid but do not go together."""
    errors = []
    loop = cfg.loop
    d = loop.lookahead_frames
    needed_ms = lookahead_latency_ms(d, loop.grid)
    if loop.fixed_latency_ms < needed_ms:
        why = (f"{d} frame periods of {FRAME_PERIOD_MS:.1f} ms" if loop.grid == "fixed" else
               f"on the tempo grid the last of {d} warped samples lies up to {d - 1} x "
               f"{1000 * longest_note_s() / DEFAULT_K:.0f} ms after the boundary at the slowest "
               f"tempo, its frame a frame period of {FRAME_PERIOD_MS:.1f} ms later")
        errors.append(f"[loop] fixed_latency_ms = {loop.fixed_latency_ms} is too short for [loop] "
                      f"lookahead_frames = {d}: expected >= {needed_ms:.0f} ms ({why} + "
                      f"{POSE_AND_DECISION_MS} ms pose and decision time); lower "
                      f"lookahead_frames or raise fixed_latency_ms")
    h = cfg.health
    if h.page_on_lan and not h.token:
        errors.append("[health] page_on_lan = true needs a [health] token: the camera's view "
                      "of a living room is private")
    if h.page_on_lan and h.host in ("127.0.0.1", "::1", "localhost"):
        errors.append(f"[health] page_on_lan = true needs [health] host = \"0.0.0.0\" (or the "
                      f"LAN address), got {h.host!r}: the page would not be reachable")
    return errors


def load(path: Path | None) -> Config:
    """The configuration in `path`; None = the default file if it exists, else all defaults."""
    if path is None:
        try:  # a folder this user may not enter (0750) raises here, not in open()
            present = DEFAULT_CONFIG.exists()
        except OSError as e:
            raise InputError(f"{DEFAULT_CONFIG}: cannot read the configuration "
                             f"({e.strerror or e}); run as root or a member of its group, "
                             "or give --config") from None
        if not present:
            return Config()
        path = DEFAULT_CONFIG
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_CONFIG_BYTES + 1)
    except OSError as e:
        raise InputError(f"{path}: cannot read the configuration ({e.strerror or e})") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise InputError(f"{path}: larger than {MAX_CONFIG_BYTES} bytes; not a configuration")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text (byte {e.start}: {data[e.start:e.start + 1]!r})"
                         ) from None
    if "\0" in text:
        raise InputError(f"{path}: contains a NUL byte at offset {text.index(chr(0))}; "
                         "not a text file")
    try:
        tables = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{path}: not valid TOML ({e})") from None
    return _build(tables, str(path))
