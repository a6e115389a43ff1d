"""`dance2music audio list | test`: find the sound card and hear it.

`list` shows the playback devices ALSA knows, whether FluidSynth can open each right now, and
which one the configuration uses (*). `test` plays a short phrase in the configured sound world
through the configured output, as the service would (stop the service first if it holds the
device: `sudo systemctl stop dance2music`)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from dance2music import config as configuration
from dance2music.commands.output import print_json
from dance2music.music.scale import NUM_NOTES
from dance2music.sound.worlds import MELODY_CHANNEL, WORLDS, get_world
from dance2music.synth.devices import alsa_playback_devices, try_open
from dance2music.synth.fluid import AudioError

PHRASE_NOTE_S = 0.25
PHRASE_VELOCITY = 90
PHRASE = (*range(NUM_NOTES), *range(NUM_NOTES - 2, -1, -1))  # note indices: up and down again


def register(subparsers) -> None:
    p = subparsers.add_parser("audio", help="list the sound outputs, or play a test phrase",
                              description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="the playback devices and which one is configured")
    listing.add_argument("--json", action="store_true", help="print the list as JSON")
    test = actions.add_parser("test", help="play a short phrase through the configured output")
    test.add_argument("--device", help="try this ALSA device instead of [audio] device")
    test.add_argument("--world", choices=tuple(WORLDS),
                      help="play in this sound world instead of [sound] world")
    test.add_argument("--audio-file", type=Path,
                      help="write the phrase to this WAV file (in real time) instead")
    for action in (listing, test):
        action.add_argument("--config", type=Path, metavar="FILE",
                            help=f"TOML configuration (default {configuration.DEFAULT_CONFIG} "
                                 f"if present)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    cfg = configuration.load(args.config)
    return list_outputs(cfg.audio, args.json) if args.action == "list" else play_phrase(cfg, args)


def list_outputs(audio: configuration.AudioSettings, as_json: bool) -> int:
    devices = alsa_playback_devices()
    names = [d.name for d in devices]
    rows = [{"name": d.name, "description": d.description} for d in devices]
    if audio.driver == "alsa" and audio.device not in names:
        rows.insert(0, {"name": audio.device, "description": "not among ALSA's device hints"})
    for row in rows:
        row["configured"] = audio.driver == "alsa" and row["name"] == audio.device
        row["error"] = try_open("alsa", row["name"], audio.sample_rate_hz, audio.period_size,
                                audio.periods)
        row["opens"] = row["error"] is None
    if as_json:
        print_json({"driver": audio.driver, "device": audio.device, "outputs": rows})
        return 0
    if audio.driver != "alsa":
        print(f"configured: [audio] driver = {audio.driver!r} (below: the ALSA devices)")
    for row in rows:
        state = "opens" if row["opens"] else f"does not open: {row['error']}"
        print(f"{'*' if row['configured'] else ' '} {row['name']}\n"
              f"      {row['description']}\n      {state}")
    print("\n* = [audio] device in the configuration; set it to a name above "
          "(`dance2music config defaults` shows the [audio] keys)")
    return 0


def play_phrase(cfg: configuration.Config, args: argparse.Namespace) -> int:
    from dance2music.live.appliance import make_sink

    audio = {}
    if args.device:
        audio |= {"driver": "alsa", "device": args.device}
    if args.audio_file:
        audio |= {"driver": "file", "audio_file": str(args.audio_file)}
    cfg = cfg.with_overrides(audio=audio)
    world = get_world(args.world or cfg.sound.world)
    sink = make_sink(cfg)
    try:
        sink.open()
    except AudioError as e:
        raise AudioError(f"{e} (`dance2music audio list` shows the devices that open)") from None
    try:
        sink.program(MELODY_CHANNEL, world.program)
        note_ticks = int(PHRASE_NOTE_S * sink.ticks_per_s)
        start = sink.now() + note_ticks  # a little headroom before the first onset
        for i, note in enumerate(PHRASE):
            midi = world.melody_midi(note)
            sink.note_on(start + i * note_ticks, midi, PHRASE_VELOCITY, MELODY_CHANNEL)
            sink.note_off(start + (i + 1) * note_ticks, midi, MELODY_CHANNEL)
        end = start + (len(PHRASE) + 2) * note_ticks  # let the last note ring
        while sink.now() < end:
            time.sleep(0.05)
    finally:
        sink.close()
    a = cfg.audio
    where = a.audio_file if a.driver == "file" else f"{a.driver} {a.device}"
    print(f"played {len(PHRASE)} notes ({len(PHRASE) * PHRASE_NOTE_S:.1f} s) of the "
          f"{world.name} world through {where}")
    return 0
