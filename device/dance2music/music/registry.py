"""Composers by name, as the command line and the live modes choose them."""

from __future__ import annotations

from pathlib import Path

from dance2music.artefacts import REPO_MODEL_DIR
from dance2music.errors import InputError
from dance2music.music.beam import BeamSearch
from dance2music.music.causal import (BaselineComposer, ConstantComposer, GreedyComposer,
                                      RandomComposer, load_baseline_threshold)
from dance2music.music.composer import DEFAULT_K, Composer
from dance2music.music.online import OnlineClassifier, trained_for
from dance2music.pose.features import DEFAULT_REPRESENTATION, Representation

COMPOSER_NAMES = ("beam", "online", "greedy", "baseline", "random", "constant")
COMPOSER_HELP = {  # one line each, for --help
    "beam": "the paper's offline beam search: notes whose self-similarity best follows the "
            "whole dance's (needs the whole dance)",
    "online": "the live note classifier: the next note from the dance so far and the first "
              "--lookahead frames of the note's own interval (INT8 ONNX, trained on body "
              "pose vectors)",
    "greedy": "causal: the note that best matches the last 3 s of dance, its coming "
              "interval the frames of it seen (--lookahead), the last of them held",
    "baseline": "the paper's causal reference: a random note when the pose changed more than "
                "a threshold learned on training dances, else the same note",
    "random": "reference: uniformly random notes (--seed)",
    "constant": "reference: one repeated note",
}


def composers_help(names: tuple[str, ...] = COMPOSER_NAMES) -> str:
    return "; ".join(f"{name}: {COMPOSER_HELP[name]}" for name in names)


def composer_names(representation: Representation = DEFAULT_REPRESENTATION) -> tuple[str, ...]:
    """The composers that work on pose vectors of `representation` (the note classifier only on
    the one it was trained on)."""
    return tuple(n for n in COMPOSER_NAMES
                 if n != "online" or trained_for()["representation"] == representation)


def make_composer(name: str, k: int = DEFAULT_K, seed: int = 0, beam_width: int = 50,
                  representation: Representation = DEFAULT_REPRESENTATION,
                  lookahead_frames: int = 0, models: Path | None = None) -> Composer:
    """`lookahead_frames`: frames of each note's own interval the causal composers that look at
    the dance see before deciding (random and constant ignore the dance). `models`: the folder
    of the note classifier and the baseline's threshold (default: the repository's)."""
    models = REPO_MODEL_DIR if models is None else Path(models)
    if name == "beam":
        return BeamSearch(k=k, beam_width=beam_width)
    if name == "online":
        return OnlineClassifier.shipped(directory=models, k=k, lookahead_frames=lookahead_frames,
                                        representation=representation)
    if name == "greedy":
        return GreedyComposer(k=k, lookahead_frames=lookahead_frames)
    if name == "baseline":
        threshold = load_baseline_threshold(models / "baseline.json", representation)
        return BaselineComposer(threshold, k=k, seed=seed, lookahead_frames=lookahead_frames)
    if name == "random":
        return RandomComposer(k=k, seed=seed)
    if name == "constant":
        return ConstantComposer(k=k)
    raise InputError(f"composer: expected one of {', '.join(COMPOSER_NAMES)}, got {name!r}")
