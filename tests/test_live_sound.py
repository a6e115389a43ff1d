"""The live loop playing sound worlds (fakes, manual clock): the composer's notes in the
world's pitches with velocities from the dance and a clash-free accompaniment; world and
volume changed live by commands; the events reaching MIDI/OSC outputs."""

import json

import numpy as np
from conftest import DEMO_POSES

from dance2music.music.causal import GreedyComposer
from dance2music.sound.accompaniment import clashes
from dance2music.sound.live import LiveSound
from dance2music.sound.outputs import OutputObserver
from dance2music.sound.volume import VolumeStore
from dance2music.sound.worlds import BASS_CHANNEL, CHORD_CHANNEL, MELODY_CHANNEL, WORLDS
from dance2music.testing import FakeRig


class Recording(GreedyComposer):
    def __init__(self):
        super().__init__()
        self.decisions = []

    def decide(self, recent, notes):
        note = super().decide(recent, notes)
        self.decisions.append(note)
        return note


def rig_with(sound, observers=()):
    composers = {}
    rig = FakeRig(DEMO_POSES, lambda name: composers.setdefault(name, Recording()),
                  observers=observers, sound=sound, fixed_latency_ms=100, absent_s=60)
    rig.composers = composers
    return rig.start()


def sounding_at(events, tick, channels):
    """(midi, channel) of notes on `channels` sounding just after `tick` (sink events)."""
    on = set()
    for e in sorted(events, key=lambda e: (e.tick, e.kind == "on")):
        if e.tick > tick:
            break
        if e.channel in channels and e.kind in ("on", "off"):
            (on.add if e.kind == "on" else on.discard)((e.midi, e.channel))
    return on


def test_a_world_plays_the_composers_notes_with_dynamics_and_chords():
    world = WORLDS["night"]
    rig = rig_with(LiveSound("night"))
    rig.run_for(8.0)
    notes = rig.notes()
    assert len(notes) >= 30
    index_of = {world.melody_midi(i): i for i in range(5)}
    assert [index_of[e.midi] for e in notes[1:]] == rig.composers["greedy"].decisions
    melody = rig.sink.notes_on(MELODY_CHANNEL)
    assert {e.midi for e in melody} <= set(index_of)
    assert len({e.velocity for e in melody}) > 3  # velocity follows the dance
    assert rig.sink.notes_on(BASS_CHANNEL) and rig.sink.notes_on(CHORD_CHANNEL)
    for m in melody:  # nothing a semitone from the melody where it strikes
        assert not [p for p, _ in sounding_at(rig.sink.events, m.tick, (BASS_CHANNEL,
                                                                        CHORD_CHANNEL))
                    if clashes(p, m.midi)]
    programs = {(e.channel, e.midi) for e in rig.sink.events if e.kind == "program"}
    assert programs >= set(world.channel_programs.items())


def test_world_and_volume_change_live(tmp_path):
    store = VolumeStore(tmp_path / "volume.json")
    rig = rig_with(LiveSound("piano", volume_store=store))
    rig.run_for(3.0)
    rig.commands.submit("world mallets")
    rig.commands.submit("volume down")
    rig.run_for(4.0)
    mallets = WORLDS["mallets"]
    cue = [e for e in rig.events if e.kind == "cue"]
    assert [e.midi for e in cue] == [mallets.melody_midi(i) for i in mallets.cue]
    assert {e.channel for e in cue} == {MELODY_CHANNEL}
    after = [e for e in rig.notes() if e.onset > cue[-1].onset]
    assert after and {e.midi for e in after} <= {mallets.melody_midi(i) for i in range(5)}
    assert all(e.onset >= cue[-1].onset + 1 for e in after)  # no note under the cue
    assert (MELODY_CHANNEL, mallets.program) in {(e.channel, e.midi) for e in rig.sink.events
                                                 if e.kind == "program"}
    assert rig.stats.snapshot()["sound"] == {"world": "mallets", "worlds": list(WORLDS),
                                             "volume_db": -3.0}
    assert json.loads((tmp_path / "volume.json").read_text()) == {"volume_db": -3.0}
    assert LiveSound("piano", volume_store=VolumeStore(tmp_path / "volume.json")).volume_db == -3


def test_outputs_get_every_voice_when_it_sounds():
    class Recorder:
        def __init__(self):
            self.calls = []

        def note_on(self, due_ns, midi, velocity, channel):
            self.calls.append(("on", due_ns, midi, channel))

        def note_off(self, due_ns, midi, channel):
            self.calls.append(("off", due_ns, midi, channel))

    out = Recorder()
    rig = None
    observer = OutputObserver([out], lambda tick: rig.loop.audio.mono_at(tick))
    rig = rig_with(LiveSound("dream"), observers=[observer])
    rig.run_for(5.0)
    sent = [(e.kind, e.midi, e.channel) for e in rig.sink.events if e.kind in ("on", "off")]
    assert [(k, m, c) for k, _, m, c in out.calls] == sent
    ticks = np.array([e.tick for e in rig.sink.events if e.kind in ("on", "off")])
    due_s = np.array([d for _, d, _, _ in out.calls]) / 1e9
    np.testing.assert_allclose(due_s - due_s[0], (ticks - ticks[0]) / rig.sink.ticks_per_s,
                               atol=1e-3)
