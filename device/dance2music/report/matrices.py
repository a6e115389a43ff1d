"""The dance and music similarity matrices side by side (the paper's figures 2 and 5)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from dance2music.files import atomic_path
from dance2music.music.similarity import dance_similarity, music_affinity

_PANEL_PX = 480
_MARGIN_PX = 40


def _panel(matrix: np.ndarray, title: str, duration_s: float) -> np.ndarray:
    lo, hi = float(matrix.min()), float(matrix.max())
    scaled = np.zeros_like(matrix) if hi <= lo else (matrix - lo) / (hi - lo)
    img = cv2.applyColorMap((scaled * 255).astype(np.uint8), cv2.COLORMAP_VIRIDIS)
    img = cv2.resize(img, (_PANEL_PX, _PANEL_PX), interpolation=cv2.INTER_NEAREST)
    canvas = np.full((_PANEL_PX + 2 * _MARGIN_PX, _PANEL_PX + 2 * _MARGIN_PX, 3), 255, np.uint8)
    canvas[_MARGIN_PX:_MARGIN_PX + _PANEL_PX, _MARGIN_PX:_MARGIN_PX + _PANEL_PX] = img
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(canvas, title, (_MARGIN_PX, 26), font, 0.6, (0, 0, 0), 1, cv2.LINE_AA)
    for frac in (0.0, 0.5, 1.0):  # time axis labels in seconds
        label = f"{frac * duration_s:.1f}s"
        x = _MARGIN_PX + int(frac * (_PANEL_PX - 1))
        cv2.putText(canvas, label, (max(0, x - 16), _PANEL_PX + _MARGIN_PX + 24), font, 0.4,
                    (0, 0, 0), 1, cv2.LINE_AA)
    return canvas


def write_matrices_png(path: str | Path, vectors: np.ndarray, notes: np.ndarray, k: int,
                       fps: float, composer: str, frame_notes: np.ndarray | None = None) -> None:
    """`frame_notes`: the note of each frame on a tempo grid (-1 after the last); by default
    the fixed grid's nearest-neighbour resize, frame i belongs to note i // k."""
    if frame_notes is None:
        frame_notes = np.arange(len(notes) * k) // k
    idx = frame_notes[frame_notes >= 0]
    frames = len(idx)
    dance = dance_similarity(vectors[:frames])
    music = music_affinity(np.asarray(notes))[np.ix_(idx, idx)]
    duration_s = frames / fps
    image = np.hstack([_panel(dance, "dance similarity", duration_s),
                       _panel(music, f"music similarity ({composer})", duration_s)])
    ok, encoded = cv2.imencode(".png", image)
    if not ok:
        raise RuntimeError("PNG encoding failed")
    with atomic_path(path) as tmp:
        tmp.write_bytes(encoded.tobytes())
