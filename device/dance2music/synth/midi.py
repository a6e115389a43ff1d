"""Standard MIDI files of a composition, on a musical grid, written atomically.

A TempoMap says how seconds become beats: by default 150 BPM, so the 0.2 s note grid falls on
eighth notes and a DAW's grid lines up with the music. A tempo that follows the dancer is a
list of (time_s, bpm) changes. Type-1 files: a tempo track, then one track per channel with
its General MIDI program."""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Mapping
from pathlib import Path

import mido

from dance2music.errors import InputError
from dance2music.files import atomic_path
from dance2music.synth.score import TimedNote

TICKS_PER_BEAT = 480
DEFAULT_BPM = 150.0  # 0.2 s notes are eighths


@dataclasses.dataclass(frozen=True)
class TempoMap:
    """Tempo changes [(time_s, bpm), ...], the first at 0 s, times increasing."""

    changes: tuple[tuple[float, float], ...] = ((0.0, DEFAULT_BPM),)

    def __post_init__(self) -> None:
        times = [t for t, _ in self.changes]
        if not self.changes or times[0] != 0.0 or any(b <= a for a, b in zip(times, times[1:])):
            raise InputError(f"tempo map: expected changes from 0 s at increasing times, got "
                             f"{list(self.changes)}")
        if any(not 1 <= bpm <= 1000 for _, bpm in self.changes):
            raise InputError(f"tempo map: expected tempos in 1..1000 BPM, got {list(self.changes)}")

    @classmethod
    def for_step(cls, step_s: float, steps_per_beat: int = 2) -> TempoMap:
        """A constant tempo on which a grid step of `step_s` is 1/steps_per_beat of a beat."""
        return cls(((0.0, 60.0 / (step_s * steps_per_beat)),))

    def _beats_at_changes(self) -> list[float]:
        beats = [0.0]
        for (t0, bpm), (t1, _) in zip(self.changes, self.changes[1:]):
            beats.append(beats[-1] + (t1 - t0) * bpm / 60.0)
        return beats

    def beats(self, time_s: float) -> float:
        i = bisect.bisect_right([t for t, _ in self.changes], time_s) - 1
        t0, bpm = self.changes[max(i, 0)]
        return self._beats_at_changes()[max(i, 0)] + (time_s - t0) * bpm / 60.0

    def tick(self, time_s: float) -> int:
        return round(self.beats(time_s) * TICKS_PER_BEAT)

    def tempo_events(self) -> list[tuple[int, mido.MetaMessage]]:
        return [(self.tick(t), mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm)))
                for t, bpm in self.changes]


def _track(events: list[tuple[int, int, mido.Message]], head: list) -> mido.MidiTrack:
    """Absolute (tick, order, message) events as a track of delta times."""
    track = mido.MidiTrack(head)
    now = 0
    for tick, _, msg in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(msg.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track


def write_midi(path: str | Path, notes: list[TimedNote], programs: Mapping[int, int] | None = None,
               tempo: TempoMap = TempoMap()) -> None:
    """A type-1 file: tempo track, then one track per channel (program from `programs`,
    default the piano)."""
    programs = programs or {}
    tempo_track = _track([(t, 0, m) for t, m in tempo.tempo_events()], [])
    tracks = [tempo_track]
    for channel in sorted({n.channel for n in notes} | set(programs)):
        own = [n for n in notes if n.channel == channel]
        events = ([(tempo.tick(n.start_s), 1, mido.Message(
            "note_on", channel=channel, note=n.midi, velocity=n.velocity)) for n in own]
            + [(tempo.tick(n.end_s), 0, mido.Message(  # offs before ons
                "note_off", channel=channel, note=n.midi, velocity=0)) for n in own])
        head = [mido.Message("program_change", channel=channel,
                             program=programs.get(channel, 0), time=0)]
        tracks.append(_track(events, head))
    song = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT, tracks=tracks)
    with atomic_path(path) as tmp:
        song.save(tmp)


def read_midi(path: str | Path) -> list[TimedNote]:
    """The notes of a MIDI file (any type; times in seconds through its tempo changes)."""
    out, sounding, now = [], {}, 0.0
    for msg in mido.MidiFile(path):
        now += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            sounding[(msg.channel, msg.note)] = (now, msg.velocity)
        elif msg.type in ("note_off", "note_on") and (msg.channel, msg.note) in sounding:
            start, velocity = sounding.pop((msg.channel, msg.note))
            out.append(TimedNote(start, now, msg.note, velocity, msg.channel))
    return sorted(out, key=lambda n: (n.start_s, n.channel, n.midi))


def programs_of(path: str | Path) -> dict[int, int]:
    """The program each channel of a MIDI file starts with."""
    out: dict[int, int] = {}
    for track in mido.MidiFile(path).tracks:
        for msg in track:
            if msg.type == "program_change":
                out.setdefault(msg.channel, msg.program)
    return out
