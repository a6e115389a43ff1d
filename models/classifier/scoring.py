"""The classifier in training scored as the device plays it: free-running on whole dances,
each decision from its own earlier notes (not the beam search's)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from dance2music.music import measures
from dance2music.music.composer import DEFAULT_K
from dance2music.music.online import ClassifierComposer
from models.classifier.network import NoteClassifier


class TorchComposer(ClassifierComposer):
    """The online composer on a torch network in eval mode (a model in training: no ONNX file
    yet)."""

    def __init__(self, model: NoteClassifier, lookahead_frames: int):
        super().__init__(DEFAULT_K, lookahead_frames)
        self.model = model

    def logits(self, images: np.ndarray, histories: np.ndarray, lookaheads: np.ndarray,
               priors: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return self.model(*(torch.from_numpy(x) for x in
                                (images, histories, lookaheads, priors))).numpy()


def free_running_correlation(dances: list[np.ndarray], lookahead_frames: int
                             ) -> Callable[[NoteClassifier], float]:
    """model -> the mean global correlation of the notes it composes for `dances` (pose
    vectors) at one lookahead: the measure the product is judged by."""
    def score(model: NoteClassifier) -> float:
        composer = TorchComposer(model, lookahead_frames)
        return float(np.mean([measures.global_correlation(v, composer.compose(v), DEFAULT_K)
                              for v in dances]))
    return score
