"""Standard MIDI files of a composition (piano, one track), written atomically."""

from __future__ import annotations

from pathlib import Path

import mido

from dance2music.files import atomic_path
from dance2music.synth.score import TimedNote

TICKS_PER_BEAT = 480
TEMPO_US_PER_BEAT = 500_000  # 120 bpm: one tick = 1/960 s


def _tick(seconds: float) -> int:
    return round(mido.second2tick(seconds, TICKS_PER_BEAT, TEMPO_US_PER_BEAT))


def write_midi(path: str | Path, notes: list[TimedNote]) -> None:
    events = sorted([(_tick(n.start_s), 1, mido.Message("note_on", note=n.midi, velocity=n.velocity))
                     for n in notes]
                    + [(_tick(n.end_s), 0, mido.Message("note_off", note=n.midi, velocity=0))
                       for n in notes], key=lambda e: (e[0], e[1]))  # offs before ons
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=TEMPO_US_PER_BEAT),
                            mido.Message("program_change", program=0, time=0)])
    now = 0
    for tick, _, msg in events:
        track.append(msg.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    song = mido.MidiFile(ticks_per_beat=TICKS_PER_BEAT, tracks=[track])
    with atomic_path(path) as tmp:
        song.save(tmp)


def read_midi(path: str | Path) -> list[TimedNote]:
    """The notes of a MIDI file written by write_midi (or any single-voice piano line)."""
    out, sounding, now = [], {}, 0.0
    for msg in mido.MidiFile(path):
        now += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            sounding[msg.note] = (now, msg.velocity)
        elif msg.type in ("note_off", "note_on") and msg.note in sounding:
            start, velocity = sounding.pop(msg.note)
            out.append(TimedNote(start, now, msg.note, velocity))
    return sorted(out, key=lambda n: n.start_s)
