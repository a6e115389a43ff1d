"""The composition report (.png): dance over time, piano roll, matrices, correlation."""

from __future__ import annotations

import builtins

import cv2
import numpy as np
import pytest
from conftest import DEMO_POSES

from dance2music.cli import main
from dance2music.errors import InputError
from dance2music.music.scale import MIDI_NOTES
from dance2music.pose.skeleton import COCO18_NAMES
from dance2music.report.figure import BODY_PARTS, DPI, FIGURE_SIZE_IN, body_part_speeds
from dance2music.report.roll import BAR_HEIGHT, draw_piano_roll
from dance2music.synth.score import TimedNote

pytest.importorskip("matplotlib", reason="the report extra (matplotlib) is not installed")


def test_body_part_speeds_follow_the_moving_part():
    fps, frames = 30.0, 60
    vectors = np.zeros((frames, len(COCO18_NAMES) * 2))
    for joint in ("l_elbow", "l_wrist"):  # the left arm sweeps right at 0.5 units/s
        vectors[:, COCO18_NAMES.index(joint) * 2] = np.arange(frames) * 0.5 / fps
    speeds = body_part_speeds(vectors, fps)
    assert speeds.shape == (len(BODY_PARTS), frames)
    arm = list(BODY_PARTS).index("left arm")
    assert np.allclose(speeds[arm], 0.5)
    assert np.allclose(np.delete(speeds, arm, axis=0), 0.0)


def test_piano_roll_bars_sit_on_their_notes_and_rests_are_shaded():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    notes = [TimedNote(0.0, 0.4, MIDI_NOTES[2]), TimedNote(1.0, 1.2, MIDI_NOTES[4])]
    fig, ax = plt.subplots()
    draw_piano_roll(ax, notes, duration_s=2.0)
    bars = sorted((path.get_extents().x0, path.get_extents().y0)
                  for collection in ax.collections for path in collection.get_paths())
    assert np.allclose(bars, [(0.0, 0 - BAR_HEIGHT / 2), (1.0, 1 - BAR_HEIGHT / 2)])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["E4", "A4"]
    shaded = sorted((p.get_x(), p.get_x() + p.get_width()) for p in ax.patches)
    assert np.allclose(shaded, [(0.4, 1.0), (1.2, 2.0)])
    plt.close(fig)


def test_compose_writes_the_report(tmp_path):
    out = tmp_path / "report.png"
    assert main(["compose", str(DEMO_POSES), "--composer", "greedy", "-o", str(out)]) == 0
    image = cv2.imread(str(out))
    assert image.shape[:2] == (round(FIGURE_SIZE_IN[1] * DPI), round(FIGURE_SIZE_IN[0] * DPI))
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 200  # a picture, not a blank page


def test_without_matplotlib_a_png_is_a_clear_error(tmp_path, monkeypatch):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    from dance2music.report.figure import _pyplot

    with pytest.raises(InputError, match=r"dance2music\[report\]"):
        _pyplot()


def test_the_video_strip_lights_the_sounding_note():
    from dance2music.report.strip import NOW_AT, WINDOW_S, _DIM, _LIT, draw_note_strip

    image = np.full((480, 640, 3), 200, np.uint8)
    notes = [TimedNote(0.0, 1.0, MIDI_NOTES[2]), TimedNote(1.0, 2.0, MIDI_NOTES[4])]
    out = draw_note_strip(image, notes, time_s=0.5)
    strip_px = 480 // 6
    row_y = lambda row: 480 - strip_px + int((row + 0.5) * strip_px / 2)  # noqa: E731
    x_at = lambda t: int((t - (0.5 - NOW_AT * WINDOW_S)) / WINDOW_S * 640)  # noqa: E731
    e4_row, a4_row = 1, 0  # the two pitches played, high on top
    assert tuple(out[row_y(e4_row), x_at(0.3)]) == _LIT  # E4 sounds now
    assert tuple(out[row_y(a4_row), x_at(1.2)]) == _DIM  # A4 comes next
    assert tuple(out[row_y(a4_row), x_at(0.3)]) == (90, 90, 90)  # darkened background
    assert (out[: 480 - strip_px - 40] == 200).all()  # the dance above is untouched
