"""Composing music for a recorded dance, and writing it out in every supported format."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from dance2music.errors import InputError
from dance2music.files import atomic_path
from dance2music.music.composer import check_dance
from dance2music.music.measures import global_correlation
from dance2music.music.registry import make_composer
from dance2music.music.scale import MIDI_NOTES
from dance2music.pose.features import (DEFAULT_REPRESENTATION, MIN_CONFIDENCE, Representation,
                                       pose_vectors)
from dance2music.pose.sequence import TARGET_FPS, PoseSequence
from dance2music.report.matrices import write_matrices_png
from dance2music.synth import fluid, midi, wav
from dance2music.synth.score import TimedNote, timed_notes

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

    @property
    def duration_s(self) -> float:
        return len(self.notes) * self.k / self.fps

    def timed_notes(self) -> list[TimedNote]:
        return timed_notes(self.notes, self.k, self.fps, self.silent)


def person_visible(seq: PoseSequence) -> np.ndarray:
    """Per frame: whether a person is in view (enough confident joints)."""
    conf = np.nan_to_num(seq.keypoints[..., 2], nan=0.0)
    return (conf >= MIN_CONFIDENCE).sum(axis=1) >= MIN_JOINTS_FOR_PERSON


def compose_sequence(seq: PoseSequence, composer: str = "beam", k: int = 6, beam_width: int = 50,
                     seed: int = 0, representation: Representation = DEFAULT_REPRESENTATION,
                     lookahead_frames: int = 0) -> Composition:
    seq = seq.resampled(TARGET_FPS)
    visible = person_visible(seq)
    if not visible.any():
        raise InputError("no person visible anywhere in the dance")
    vectors = check_dance(pose_vectors(seq.keypoints, seq.image_size, representation), k)
    maker = make_composer(composer, k=k, seed=seed, beam_width=beam_width,
                          representation=representation, lookahead_frames=lookahead_frames)
    notes = maker.compose(vectors)
    silent = ~visible[: len(notes) * k].reshape(len(notes), k).any(axis=1)
    return Composition(notes, silent, vectors, k, seq.fps, composer)


def check_outputs(paths: list[Path], formats: tuple[str, ...] = OUTPUT_FORMATS,
                  source: Path | None = None) -> None:
    """Fail before any work if an output cannot be written, or would overwrite `source`."""
    for path in paths:
        if path.suffix.lower() not in formats:
            raise InputError(f"{path}: unknown output format '{path.suffix}' "
                             f"(expected one of {', '.join(formats)})")
        if source is not None and path.exists() and path.resolve() == source.resolve():
            raise InputError(f"{path}: is the input; refusing to overwrite it")
        if not path.parent.is_dir():
            raise InputError(f"{path}: output folder {path.parent} does not exist")


def to_json(c: Composition) -> dict:
    return {
        "notes": c.notes.tolist(),
        "midi": [MIDI_NOTES[n] for n in c.notes],
        "onsets_s": [round(t * c.k / c.fps, 6) for t in range(len(c.notes))],
        "silent": c.silent.tolist(),
        "fps": c.fps,
        "k": c.k,
        "composer": c.composer,
        "global_correlation": round(global_correlation(c.vectors, c.notes, c.k), 6),
    }


def write_outputs(c: Composition, paths: list[Path],
                  synth: fluid.SynthSettings = fluid.SynthSettings()) -> None:
    check_outputs(paths)
    for path in paths:
        suffix = path.suffix.lower()
        if suffix == ".json":
            with atomic_path(path) as tmp:
                tmp.write_text(json.dumps(to_json(c)) + "\n")
        elif suffix == ".mid":
            midi.write_midi(path, c.timed_notes())
        elif suffix == ".wav":
            samples = fluid.render(c.timed_notes(), synth)
            wav.write_wav(path, samples, synth.sample_rate_hz)
        elif suffix == ".png":
            write_matrices_png(path, c.vectors, c.notes, c.k, c.fps, c.composer)
