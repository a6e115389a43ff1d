"""What the sound layer reads from the dance, per note interval and causally: movement energy
(mean joint speed), whether a kinematic beat fell in it, and the body's height in the frame.

All three come from the pose vectors the composers see (36-dim, joints at (-1, -1) when
missing), so the same function serves offline composing and the live loop."""

from __future__ import annotations

import dataclasses

import numpy as np

from dance2music.pose.features import MISSING

# A kinematic beat is a local minimum of joint speed (a stop or turn of the movement) at
# most this fraction of the fastest speed within BEAT_REACH_FRAMES either side.
BEAT_DIP_RATIO = 0.6
BEAT_REACH_FRAMES = 3
# Frames a beat needs after it before it is known: the interval at whose end it is known
# counts it (causal: the live loop has no later frames).
BEAT_DELAY_FRAMES = BEAT_REACH_FRAMES


@dataclasses.dataclass(frozen=True)
class IntervalMotion:
    energy: float  # mean joint speed over the interval, image half-widths per second
    beat: bool  # a kinematic beat became known in the interval
    height: float  # how high the body sits in the image: 1 top .. -1 bottom; nan: nobody


def joint_speeds(vectors: np.ndarray, fps: float) -> np.ndarray:
    """(T, 36) -> (T,): mean speed of the joints found in a frame and the one before it
    (frame 0, or a frame sharing no joint with its predecessor: 0)."""
    xy = np.asarray(vectors, dtype=np.float64).reshape(len(vectors), -1, 2)
    found = (xy != MISSING).any(axis=-1)
    both = found[1:] & found[:-1]
    step = np.linalg.norm(xy[1:] - xy[:-1], axis=-1) * fps
    count = both.sum(axis=1)
    mean = np.where(count > 0, (step * both).sum(axis=1) / np.maximum(count, 1), 0.0)
    return np.r_[0.0, mean]


def beat_frames(speeds: np.ndarray) -> np.ndarray:
    """Frames that are kinematic beats: local minima of (3-frame smoothed) joint speed, deep
    relative to the fastest movement within BEAT_REACH_FRAMES either side."""
    smooth = np.convolve(np.pad(speeds, 1, mode="edge"), np.ones(3) / 3, mode="valid")
    r = BEAT_REACH_FRAMES
    out = []
    for f in range(r, len(smooth) - r):
        around = smooth[f - r:f + r + 1]
        if smooth[f] == around.min() and smooth[f] <= BEAT_DIP_RATIO * around.max():
            out.append(f)
    return np.asarray(out, dtype=int)


def body_height(vectors: np.ndarray) -> float:
    """1 = at the top of the image, -1 = at the bottom: minus the mean y of the found joints of
    the interval's frames (image y grows downwards); nan when nobody was found."""
    xy = np.asarray(vectors, dtype=np.float64).reshape(len(vectors), -1, 2)
    found = (xy != MISSING).any(axis=-1)
    return float(-xy[..., 1][found].mean()) if found.any() else float("nan")


def interval_motion(vectors: np.ndarray, start: int, end: int, fps: float) -> IntervalMotion:
    """The motion of frames [start, end) of `vectors`, using only frames before `end`."""
    lo = max(0, start - 1 - 2 * BEAT_REACH_FRAMES)
    speeds = joint_speeds(vectors[lo:end], fps)
    own = speeds[start - lo:] if start > 0 else speeds[1:]
    beats = beat_frames(speeds) + lo + BEAT_DELAY_FRAMES  # when each beat becomes known
    return IntervalMotion(energy=float(own.mean()) if len(own) else 0.0,
                          beat=bool(((beats >= start) & (beats < end)).any()),
                          height=body_height(vectors[start:end]))


def dance_motion(vectors: np.ndarray, k: int, fps: float) -> list[IntervalMotion]:
    """The motion of every note interval of a whole dance (step i = frames [i*k, (i+1)*k))."""
    return [interval_motion(vectors, i * k, (i + 1) * k, fps) for i in range(len(vectors) // k)]


def motion_before(slots, frames_needed: int, k: int, fps: float) -> IntervalMotion | None:
    """Live: the movement of the k pose slots before a note's decision point (`slots`: the
    timeline's live.history.PoseGrid, with the frames before them for speeds and beats);
    None before two slots are in."""
    recent = slots.window(min(frames_needed, slots.filled), k + 1 + 2 * BEAT_DELAY_FRAMES)
    if len(recent) < 2:
        return None
    return interval_motion(recent, max(0, len(recent) - k), len(recent), fps)
