"""FluidSynth set-up shared by offline rendering and the live sink, and offline rendering.

Notes are scheduled through FluidSynth's sequencer on the rendered-sample clock
(use_system_timer=False, one tick per sample), so onsets are sample-exact; docs/audio.md has
the FluidSynth facts worked around here.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from dance2music.config import AudioSettings
from dance2music.errors import Dance2MusicError
from dance2music.synth.score import TimedNote

PIANO_CHANNEL = 0
# Frames per get_samples request, offline and in the file output alike. FluidSynth 2.3 renders
# requests of up to 1,024 frames exactly as 64-frame blocks; larger ones can differ (up to 20
# LSB for a second, when a key is struck again as its previous voice's release ends), so an
# offline rendering in bigger requests is not the live audio sample for sample (docs/audio.md).
RENDER_BLOCK_FRAMES = 512


class AudioError(Dance2MusicError, RuntimeError):
    """FluidSynth, its SoundFont or the audio output cannot be used."""


def _import_fluidsynth():
    try:
        import fluidsynth
    except ImportError as e:  # pyfluidsynth raises ImportError when libfluidsynth is missing
        raise AudioError(f"FluidSynth is not available ({e}); install libfluidsynth3") from None
    return fluidsynth


def open_synth(settings: AudioSettings, programs: Mapping[int, int] | None = None,
               **driver_settings):
    """A FluidSynth synth with GM `programs` per channel (default: the grand piano on channel
    0), and its sequencer on the rendered-sample clock. Returns (synth, sequencer, synth
    destination id)."""
    fluidsynth = _import_fluidsynth()
    if not Path(settings.soundfont).is_file():
        raise AudioError(f"{settings.soundfont}: SoundFont missing (Debian: fluid-soundfont-gm)")
    synth = fluidsynth.Synth(
        gain=settings.gain,
        samplerate=float(settings.sample_rate_hz),
        **{"synth.polyphony": int(settings.polyphony),  # ints: float values are ignored
           "synth.dynamic-sample-loading": 1,  # load only the piano's samples: ~20 ms, +17 MiB
           "synth.lock-memory": 0,  # mlock fails for an unprivileged service
           "synth.chorus.active": 0,
           "synth.reverb.active": int(settings.reverb),
           "synth.cpu-cores": 1,
           **driver_settings},
    )
    sfid = synth.sfload(settings.soundfont)
    if sfid == -1:
        synth.delete()
        raise AudioError(f"{settings.soundfont}: FluidSynth cannot load this SoundFont")
    for channel, program in (programs or {PIANO_CHANNEL: 0}).items():
        synth.program_select(channel, sfid, 0, program)
    seq = fluidsynth.Sequencer(time_scale=settings.sample_rate_hz, use_system_timer=False)
    dest = seq.register_fluidsynth(synth)  # without it scheduled notes are silently dropped
    return synth, seq, dest


def render(notes: list[TimedNote], settings: AudioSettings = AudioSettings(),
           duration_s: float | None = None, tail_s: float = 1.0,
           programs: Mapping[int, int] | None = None) -> np.ndarray:
    """Render notes offline to int16 stereo samples (frames, 2), onsets sample-exact, each
    note on its channel playing `programs[channel]` (default: the piano on channel 0)."""
    last_end_s = max((n.end_s for n in notes), default=0.0)
    end_s = duration_s if duration_s is not None else last_end_s + tail_s
    total = int(round(end_s * settings.sample_rate_hz))
    synth, seq, dest = open_synth(settings, programs)
    try:
        origin = seq.get_tick()
        tick = lambda s: origin + int(round(s * settings.sample_rate_hz))  # noqa: E731
        for note in notes:  # offs first: a pitch struck again as it ends must sound again
            seq.note_off(tick(note.end_s), note.channel, note.midi, dest=dest)
        for note in notes:
            seq.note_on(tick(note.start_s), note.channel, note.midi, note.velocity, dest=dest)
        out = np.empty((total, 2), dtype=np.int16)
        for pos in range(0, total, RENDER_BLOCK_FRAMES):
            n = min(RENDER_BLOCK_FRAMES, total - pos)
            out[pos:pos + n] = np.asarray(synth.get_samples(n), dtype=np.int16).reshape(n, 2)
        return out
    finally:
        seq.delete()
        synth.delete()
