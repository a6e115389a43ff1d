"""The notes drawn into video frames (OpenCV): a strip along the bottom, a piano roll that
scrolls past a 'now' line, the sounding note lit and named. Used by `compose --overlay`."""

from __future__ import annotations

import cv2
import numpy as np

from dance2music.report.roll import pitch_name, pitch_rows
from dance2music.synth.score import TimedNote

WINDOW_S = 4.0  # seconds of notes across the frame
NOW_AT = 0.75  # the 'now' line at three quarters of the width: the past and 1 s ahead
_LIT, _DIM, _LINE = (80, 80, 255), (60, 60, 140), (255, 255, 255)  # BGR


def draw_note_strip(image: np.ndarray, notes: list[TimedNote], time_s: float) -> np.ndarray:
    """`image` (BGR, changed in place and returned) with the strip of the melody `notes` (one
    row per pitch among them) for `time_s`."""
    height, width = image.shape[:2]
    strip_px = max(40, height // 6)
    top = height - strip_px
    region = image[top:]
    region[:] = (region * 0.45).astype(np.uint8)  # darkened, the dance still faintly visible
    pitches = pitch_rows(notes)[::-1]  # high notes on top
    row_px = strip_px / max(len(pitches), 1)
    start_s = time_s - NOW_AT * WINDOW_S
    now_x = round(NOW_AT * width)
    sounding = None
    for note in notes:
        if note.end_s < start_s or note.start_s > start_s + WINDOW_S:
            continue
        row = pitches.index(note.midi)
        x0 = round((note.start_s - start_s) / WINDOW_S * width)
        x1 = round((note.end_s - start_s) / WINDOW_S * width)
        y0 = top + round(row * row_px) + 1
        y1 = top + round((row + 1) * row_px) - 1
        lit = note.start_s <= time_s < note.end_s
        sounding = note if lit else sounding
        cv2.rectangle(image, (x0, y0), (max(x0, x1 - 1), y1), _LIT if lit else _DIM, -1)
    cv2.line(image, (now_x, top), (now_x, height - 1), _LINE, 1)
    if sounding is not None:
        cv2.putText(image, pitch_name(sounding.midi), (8, top - 8), cv2.FONT_HERSHEY_SIMPLEX,
                    max(0.5, height / 600), _LINE, max(1, height // 400), cv2.LINE_AA)
    return image
