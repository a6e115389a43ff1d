"""The paper's online approach on the device: the note classifier (trained to imitate the beam
search from the past alone, models/classifier) run by ONNX Runtime on one CPU thread."""

from __future__ import annotations

import abc
from pathlib import Path

import numpy as np
import onnxruntime as ort

from dance2music.artefacts import REPO_MODEL_DIR, load_manifest, verified
from dance2music.errors import InputError, ModelError
from dance2music.music.causal import GreedyComposer
from dance2music.music.composer import DEFAULT_K, CausalComposer, check_lookahead
from dance2music.music.online_features import HISTORY, SIZE, decision_inputs
from dance2music.music.scale import NUM_NOTES

MANIFEST = "note_classifier.json"
VARIANTS = ("int8", "fp32")
# name -> (element type, shape without the batch axis)
INPUTS = {"image": ("tensor(float)", (1, SIZE, SIZE)), "history": ("tensor(int64)", (HISTORY,)),
          "lookahead": ("tensor(int64)", (1,)), "prior": ("tensor(float)", (NUM_NOTES,))}


def cpu_session(path: Path) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    try:
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as e:  # ORT raises its own exception types for unreadable models
        raise ModelError(f"{path}: ONNX Runtime cannot load it ({e})") from None


def _check_inputs(session: ort.InferenceSession, path: Path) -> None:
    found = {i.name: (i.type, tuple(i.shape)) for i in session.get_inputs()}
    if set(found) != set(INPUTS):
        raise ModelError(f"{path}: expected inputs {sorted(INPUTS)}, found {sorted(found)}")
    for name, (dtype, shape) in INPUTS.items():
        got_type, got_shape = found[name]
        if got_type != dtype or got_shape[1:] != shape or len(got_shape) != len(shape) + 1:
            raise ModelError(f"{path}: input '{name}' expected {dtype} of shape "
                             f"(batch, {', '.join(map(str, shape))}), found {got_type} of "
                             f"shape {got_shape}")


def trained_for(directory: Path | None = None) -> dict:
    """What the shipped model was trained for: {"lookahead_frames": [d, ...], "representation"}."""
    path = (REPO_MODEL_DIR if directory is None else Path(directory)) / MANIFEST
    return _trained_for(load_manifest(path), path)


def _trained_for(manifest: dict, path: Path) -> dict:
    try:
        found = manifest["trained_for"]
        return {"lookahead_frames": [int(d) for d in found["lookahead_frames"]],
                "representation": str(found["representation"])}
    except (KeyError, TypeError, ValueError):
        raise ModelError(f"{path}: expected trained_for.lookahead_frames (a list of integers) and "
                         f"trained_for.representation") from None


class ClassifierComposer(CausalComposer):
    """Decides each note from the last 10 notes, the similarity of the last 60 frames and the
    greedy composer's criterion over its window (see online_features), `lookahead_frames` of
    the frames from the note's own interval; `logits` runs the network."""

    name = "online"

    def __init__(self, k: int = DEFAULT_K, lookahead_frames: int = 0):
        if k != DEFAULT_K:
            raise InputError(f"k: the note classifier was trained for k={DEFAULT_K} frames per "
                             f"note, got {k}")
        self.k = k
        self.lookahead_frames = check_lookahead(lookahead_frames, k)
        self._lookahead = np.array([[self.lookahead_frames]], dtype=np.int64)
        self._prior = GreedyComposer(k, lookahead_frames=self.lookahead_frames)
        self.history_notes = max(HISTORY, self._prior.history_notes)

    @abc.abstractmethod
    def logits(self, images: np.ndarray, histories: np.ndarray, lookaheads: np.ndarray,
               priors: np.ndarray) -> np.ndarray:
        """A batch of decisions: (B, 1, S, S) float32, (B, H) int64, (B, 1) int64 and (B, 5)
        float32 -> (B, 5)."""

    def decide(self, recent: np.ndarray, notes: np.ndarray) -> int:
        image, history, prior = decision_inputs(recent, notes, self._prior)
        return int(np.argmax(self.logits(image[None], history[None], self._lookahead,
                                         prior[None])[0]))


class OnlineClassifier(ClassifierComposer):
    """The note classifier run by ONNX Runtime from a verified file."""

    def __init__(self, path: str | Path, sha256: str, k: int = DEFAULT_K,
                 lookahead_frames: int = 0):
        super().__init__(k, lookahead_frames)
        self.path = verified(Path(path), sha256)
        self._session = cpu_session(self.path)
        _check_inputs(self._session, self.path)

    @classmethod
    def shipped(cls, variant: str = "int8", directory: Path | None = None, k: int = DEFAULT_K,
                lookahead_frames: int = 0, representation: str | None = None
                ) -> OnlineClassifier:
        """The committed model of `variant`, checked against the manifest beside it; a lookahead
        or pose representation it was not trained for is refused."""
        path = (REPO_MODEL_DIR if directory is None else Path(directory)) / MANIFEST
        manifest = load_manifest(path)
        try:
            entry = manifest["files"][variant]
            file, sha256 = entry["file"], entry["sha256"]
        except (KeyError, TypeError):
            raise ModelError(f"{path}: no files.{variant}.file/sha256 entry "
                             f"(variants: {', '.join(VARIANTS)})") from None
        made_for = _trained_for(manifest, path)
        if lookahead_frames not in made_for["lookahead_frames"]:
            raise InputError(f"lookahead_frames: the note classifier ({path}) was trained for "
                             f"{made_for['lookahead_frames']}, got {lookahead_frames}")
        if representation is not None and representation != made_for["representation"]:
            raise InputError(f"representation: the note classifier ({path}) was trained on "
                             f"{made_for['representation']!r} pose vectors, got "
                             f"{representation!r}")
        return cls(path.parent / file, sha256, k, lookahead_frames)

    def logits(self, images: np.ndarray, histories: np.ndarray, lookaheads: np.ndarray,
               priors: np.ndarray) -> np.ndarray:
        return self._session.run(None, {"image": images, "history": histories,
                                        "lookahead": lookaheads, "prior": priors})[0]
