"""Composers by name, as the command line and the live modes choose them."""

from __future__ import annotations

from dance2music.artefacts import model_dir
from dance2music.errors import InputError
from dance2music.music.beam import BeamSearch
from dance2music.music.causal import (BaselineComposer, ConstantComposer, GreedyComposer,
                                      RandomComposer, load_baseline_threshold)
from dance2music.music.composer import DEFAULT_K, Composer
from dance2music.music.online import OnlineClassifier
from dance2music.pose.features import Representation

COMPOSER_NAMES = ("beam", "online", "greedy", "baseline", "random", "constant")
COMPOSER_HELP = {  # one line each, for --help
    "beam": "the paper's offline beam search: notes whose self-similarity best follows the "
            "whole dance's (needs the whole dance)",
    "online": "the live note classifier: the next note from the dance so far (INT8 ONNX, "
              "paper representation only)",
    "greedy": "causal: the note that best matches the last seconds of dance, assuming the "
              "last pose holds",
    "baseline": "the paper's causal reference: a random note when the pose changed more than "
                "a threshold learned on training dances, else the same note",
    "random": "reference: uniformly random notes (--seed)",
    "constant": "reference: one repeated note",
}
_PAPER_ONLY = ("online",)  # trained on the paper's pose vectors


def composers_help(names: tuple[str, ...] = COMPOSER_NAMES) -> str:
    return "; ".join(f"{name}: {COMPOSER_HELP[name]}" for name in names)


def composer_names(representation: Representation = "paper") -> tuple[str, ...]:
    """The composers that work on pose vectors of `representation`."""
    return tuple(n for n in COMPOSER_NAMES if representation == "paper" or n not in _PAPER_ONLY)


def make_composer(name: str, k: int = DEFAULT_K, seed: int = 0, beam_width: int = 50,
                  representation: Representation = "paper") -> Composer:
    if name == "beam":
        return BeamSearch(k=k, beam_width=beam_width)
    if name == "online":
        if representation != "paper":
            raise InputError(f"composer online: the note classifier was trained on the 'paper' "
                             f"pose representation, got {representation!r}")
        return OnlineClassifier.shipped(k=k)
    if name == "greedy":
        return GreedyComposer(k=k)
    if name == "baseline":
        threshold = load_baseline_threshold(model_dir() / "baseline.json", representation)
        return BaselineComposer(threshold, k=k, seed=seed)
    if name == "random":
        return RandomComposer(k=k, seed=seed)
    if name == "constant":
        return ConstantComposer(k=k)
    raise InputError(f"composer: expected one of {', '.join(COMPOSER_NAMES)}, got {name!r}")
