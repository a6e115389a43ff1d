"""The paper's online approach on the device: the note classifier (trained to imitate the beam
search from the past alone, models/classifier) run by ONNX Runtime on one CPU thread."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

from dance2music.artefacts import load_manifest, model_dir, verified
from dance2music.errors import InputError, ModelError
from dance2music.music.composer import DEFAULT_K, CausalComposer
from dance2music.music.online_features import HISTORY, SIZE, note_history, similarity_image

MANIFEST = "note_classifier.json"
VARIANTS = ("int8", "fp32")
# name -> (element type, shape without the batch axis)
INPUTS = {"image": ("tensor(float)", (1, SIZE, SIZE)), "history": ("tensor(int64)", (HISTORY,))}


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


class OnlineClassifier(CausalComposer):
    """Decides each note from the last 60 poses and the last 10 notes (see online_features)."""

    name = "online"
    history_notes = HISTORY

    def __init__(self, path: str | Path, sha256: str, k: int = DEFAULT_K):
        if k != DEFAULT_K:
            raise InputError(f"k: the note classifier was trained for k={DEFAULT_K} frames per "
                             f"note, got {k}")
        self.k = k
        self.path = verified(Path(path), sha256)
        self._session = cpu_session(self.path)
        _check_inputs(self._session, self.path)

    @classmethod
    def shipped(cls, variant: str = "int8", directory: Path | None = None,
                k: int = DEFAULT_K) -> OnlineClassifier:
        """The committed model of `variant`, checked against the manifest beside it."""
        directory = model_dir() if directory is None else Path(directory)
        manifest = load_manifest(directory / MANIFEST)
        try:
            entry = manifest["files"][variant]
            file, sha256 = entry["file"], entry["sha256"]
        except (KeyError, TypeError):
            raise ModelError(f"{directory / MANIFEST}: no files.{variant}.file/sha256 entry "
                             f"(variants: {', '.join(VARIANTS)})") from None
        return cls(directory / file, sha256, k)

    def logits(self, images: np.ndarray, histories: np.ndarray) -> np.ndarray:
        """A batch of decisions: (B, 1, S, S) float32 and (B, H) int64 -> (B, 5)."""
        return self._session.run(None, {"image": images, "history": histories})[0]

    def decide(self, recent: np.ndarray, notes: np.ndarray) -> int:
        return int(np.argmax(self.logits(similarity_image(recent)[None],
                                         note_history(notes)[None])[0]))
