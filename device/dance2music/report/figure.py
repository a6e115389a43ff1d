"""The composition report (`compose -o report.png`): the dance over time (how fast each joint
moves) with the notes as a piano roll under it on the same time axis, and the dance and music
self-similarity matrices whose correlation the composer maximises, each with a colour bar.

matplotlib is the optional extra `report` (pip install 'dance2music[report]'): a person's
machine draws reports, the appliance never needs it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dance2music.errors import InputError
from dance2music.files import atomic_path
from dance2music.music.grid import warp
from dance2music.music.measures import local_correlation
from dance2music.music.similarity import dance_similarity, music_affinity
from dance2music.pose.skeleton import COCO18_NAMES
from dance2music.report.roll import draw_piano_roll

FIGURE_SIZE_IN = (13.0, 6.5)
DPI = 110


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: no display on a server or a Pi
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError("a .png report needs matplotlib: pip install 'dance2music[report]'"
                         ) from None
    return plt


# Body parts as rows: a part's speed is the median of its joints', so one joint the pose model
# lost for a frame (a jump to nowhere and back) does not paint a stripe.
BODY_PARTS = {
    "head": ("nose", "r_eye", "l_eye", "r_ear", "l_ear"),
    "torso": ("neck", "r_shoulder", "l_shoulder", "r_hip", "l_hip"),
    "right arm": ("r_elbow", "r_wrist"),
    "left arm": ("l_elbow", "l_wrist"),
    "right leg": ("r_knee", "r_ankle"),
    "left leg": ("l_knee", "l_ankle"),
}
SMOOTHING_FRAMES = 5  # a running median over 1/6 s at 30 fps


def body_part_speeds(vectors: np.ndarray, fps: float) -> np.ndarray:
    """(body parts, frames): how fast each part moves, in pose-vector units per second."""
    from scipy.ndimage import median_filter

    joints = np.asarray(vectors, dtype=np.float64).reshape(len(vectors), -1, 2)
    if len(joints) < 2:
        return np.zeros((len(BODY_PARTS), len(joints)))
    speed = np.linalg.norm(np.gradient(joints, axis=0), axis=-1) * fps  # (frames, joints)
    index = {name: i for i, name in enumerate(COCO18_NAMES)}
    parts = np.stack([np.median(speed[:, [index[j] for j in members]], axis=1)
                      for members in BODY_PARTS.values()])
    return median_filter(parts, size=(1, SMOOTHING_FRAMES), mode="nearest")


def write_report_png(path: str | Path, composition, performance) -> None:
    """The report of a Composition (notes, silent steps, pose vectors, k, fps, composer) as
    performed in its sound world (the melody's pitches)."""
    plt = _pyplot()
    c = composition
    frame_notes = c.grid.frame_notes(len(c.vectors), c.fps)  # the note sounding at each frame
    step = frame_notes[frame_notes >= 0]
    frames = len(step)
    vectors = c.vectors[:frames]
    duration_s = c.duration_s
    speeds = body_part_speeds(vectors, c.fps)
    correlation = c.global_correlation()
    # what the composer maximised: windows of notes, over the poses it saw (k per note)
    local = local_correlation(warp(c.vectors, c.grid, c.k, c.fps), c.notes, c.k)
    timing = (f"one note per {c.k / c.fps:.2f} s" if c.grid.tempo_bpm is None else
              f"two notes per beat at ~{c.grid.tempo_bpm:.0f} BPM once locked")

    fig = plt.figure(figsize=FIGURE_SIZE_IN, dpi=DPI, layout="constrained")
    over_time, matrices = fig.subfigures(1, 2, width_ratios=(1.5, 1), wspace=0.04)
    dance_ax, roll_ax = over_time.subplots(2, 1, sharex=True, height_ratios=(1, 1.1))
    image = dance_ax.imshow(speeds, aspect="auto", origin="upper", cmap="magma",
                            extent=(0, duration_s, len(BODY_PARTS) - 0.5, -0.5),
                            vmin=0, vmax=float(np.percentile(speeds, 98)) or None,
                            interpolation="nearest")
    dance_ax.set_yticks(range(len(BODY_PARTS)), list(BODY_PARTS))
    dance_ax.set_title("the dance: how fast each body part moves")
    over_time.colorbar(image, ax=dance_ax, label="speed (pose units / s)", pad=0.01)
    draw_piano_roll(roll_ax, performance.melody(), duration_s)
    roll_ax.set_title(f"the melody: {c.composer} composer, {performance.world.name} world, "
                      f"{timing} (grey: silent)")
    over_time.colorbar(image, ax=roll_ax, pad=0.01).remove()  # keeps the time axes aligned

    top, bottom = matrices.subfigures(2, 1, height_ratios=(1.6, 1))
    for ax, matrix, title, label in zip(
            top.subplots(1, 2),
            (dance_similarity(vectors), music_affinity(np.asarray(c.notes))[np.ix_(step, step)]),
            ("dance self-similarity", "music self-similarity"),
            ("cosine similarity of poses", "affinity of notes")):
        shown = ax.imshow(matrix, cmap="viridis", extent=(0, duration_s, duration_s, 0))
        ax.set_title(title)
        ax.set_xlabel("time (s)")
        top.colorbar(shown, ax=ax, orientation="horizontal", label=label)
    text_ax = bottom.subplots()
    text_ax.axis("off")
    text_ax.text(0.0, 1.0, f"global correlation  {correlation:.3f}\n"
                           f"local correlation   {local:.3f}\n\n"
                           f"Pearson correlation of the two matrices:\n"
                           f"1 = the music repeats exactly when the dance does\n"
                           f"(local: over windows of 10 notes).\n"
                           f"{len(c.notes)} notes, {duration_s:.1f} s",
                 va="top", family="monospace", fontsize=10)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
