"""Composing music for a recorded dance, and writing it out in every supported format."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from dance2music.config import AudioSettings
from dance2music.errors import InputError
from dance2music import files
from dance2music.files import atomic_path
from dance2music.music.composer import check_dance
from dance2music.music.grid import GridKind, GridSettings, NoteTimes, make_grid, warp
from dance2music.music.measures import grid_correlation
from dance2music.music.registry import make_composer
from dance2music.pose.features import (DEFAULT_REPRESENTATION, MIN_CONFIDENCE, Representation,
                                       pose_vectors)
from dance2music.pose.sequence import TARGET_FPS, PoseSequence
from dance2music.sound.performance import Performance, SoundOptions, perform, render_performance
from dance2music.synth import midi, wav

OUTPUT_FORMATS = (".json", ".mid", ".wav", ".png")
MIN_JOINTS_FOR_PERSON = 4  # fewer confident joints than this: nobody in view


@dataclasses.dataclass(frozen=True)
class Composition:
    notes: np.ndarray  # (n,) note indices 0..4
    silent: np.ndarray  # (n,) bool: nobody in view for the whole step
    vectors: np.ndarray  # (T, 36) pose vectors at `fps`
    k: int
    fps: float
    composer: str
    grid: NoteTimes  # when each note starts (the composer saw k poses per note)
    grid_kind: GridKind = "fixed"

    @property
    def duration_s(self) -> float:
        return float(self.grid.boundaries_s[-1])

    def performed(self, sound: SoundOptions = SoundOptions()) -> Performance:
        """The composition in a sound world (the note indices stay the composers'), each note
        at its grid time, its movement read from the poses the composer saw."""
        return perform(self.notes, self.silent, warp(self.vectors, self.grid, self.k, self.fps),
                       self.k, self.fps, sound, self.grid.boundaries_s)

    def global_correlation(self) -> float:
        """Pearson(D, M) over the dance's frames, each frame with the note sounding at it."""
        return grid_correlation(self.vectors, self.notes,
                                self.grid.frame_notes(len(self.vectors), self.fps))


def person_visible(seq: PoseSequence) -> np.ndarray:
    """Per frame: whether a person is in view (enough confident joints)."""
    conf = np.nan_to_num(seq.keypoints[..., 2], nan=0.0)
    return (conf >= MIN_CONFIDENCE).sum(axis=1) >= MIN_JOINTS_FOR_PERSON


def compose_sequence(seq: PoseSequence, composer: str = "beam", k: int = 6, beam_width: int = 50,
                     seed: int = 0, representation: Representation = DEFAULT_REPRESENTATION,
                     grid: GridKind = "fixed", lookahead_frames: int = 0) -> Composition:
    """Notes for a dance; on the tempo grid the composer sees the poses in warped time (k per
    note, see music/grid.py); causal composers see `lookahead_frames` of each note's interval."""
    seq = seq.resampled(TARGET_FPS)
    visible = person_visible(seq)
    if not visible.any():
        raise InputError("no person visible anywhere in the dance")
    vectors = check_dance(pose_vectors(seq.keypoints, seq.image_size, representation), k)
    maker = make_composer(composer, k=k, seed=seed, beam_width=beam_width,
                          representation=representation, lookahead_frames=lookahead_frames)
    # The tracker reads image-normalised joints whatever the composer's representation: a
    # body-centred pose hides the whole body's bounce (80 BPM found on 56% of the clips, not 84%).
    note_grid = make_grid(grid, pose_vectors(seq.keypoints, seq.image_size, "paper"),
                          GridSettings(k=k, fps=seq.fps))
    notes = maker.compose(check_dance(warp(vectors, note_grid, k, seq.fps), k))
    frame_notes = note_grid.frame_notes(len(vectors), seq.fps)
    seen = np.zeros(len(notes), dtype=bool)
    seen[frame_notes[visible & (frame_notes >= 0)]] = True
    return Composition(notes, ~seen, vectors, k, seq.fps, composer, note_grid, grid)


def check_outputs(paths: list[Path], formats: tuple[str, ...] = OUTPUT_FORMATS,
                  inputs: tuple[Path, ...] = ()) -> None:
    """Fail before any work if an output has an unknown format, cannot be written, or would
    overwrite one of `inputs`."""
    for path in paths:
        if path.suffix.lower() not in formats:
            raise InputError(f"{path}: unknown output format '{path.suffix}' "
                             f"(expected one of {', '.join(formats)})")
    files.check_outputs(paths, inputs)


def to_json(c: Composition, performance: Performance) -> dict:
    world = performance.world
    return {
        "notes": c.notes.tolist(),
        "world": world.name,
        "midi": [world.melody_midi(n) for n in c.notes],
        "onsets_s": [round(float(t), 6) for t in c.grid.onsets_s],
        "silent": c.silent.tolist(),
        "fps": c.fps,
        "k": c.k,
        "composer": c.composer,
        "global_correlation": round(c.global_correlation(), 6),
        "grid": c.grid_kind,
        "tempo_bpm": None if c.grid.tempo_bpm is None else round(c.grid.tempo_bpm, 2),
    }


def write_outputs(c: Composition, paths: list[Path],
                  synth: AudioSettings = AudioSettings(),
                  sound: SoundOptions = SoundOptions()) -> None:
    check_outputs(paths)
    performance = c.performed(sound)
    with files.all_or_nothing():
        _write_each(c, performance, paths, synth)


def _write_each(c: Composition, performance: Performance, paths: list[Path],
                synth: AudioSettings) -> None:
    for path in paths:
        suffix = path.suffix.lower()
        if suffix == ".json":
            with atomic_path(path) as tmp:
                tmp.write_text(json.dumps(to_json(c, performance)) + "\n")
        elif suffix == ".mid":
            midi.write_midi(path, performance.notes, performance.programs,
                            midi.TempoMap(tuple(c.grid.tempo_changes())))
        elif suffix == ".wav":
            samples = render_performance(performance, synth)
            wav.write_wav(path, samples, synth.sample_rate_hz)
        elif suffix == ".png":
            from dance2music.report.figure import write_report_png  # matplotlib: extra `report`

            write_report_png(path, c, performance)
