"""Training windows for the note classifier: real AIST++ dance, augmented in ways that keep it
real motion, labelled by the offline beam search run on each augmented dance.

Augmentations (all on COCO-18 pixel keypoints, before the paper's pose vectors):
  mirror        left/right flip of the image with the joints' sides swapped (skeleton.MIRROR);
  scale/shift   zoom about the image centre by 0.8-1.2 and move by up to 10% of the frame;
  time warp     replay at a slowly varying speed of 0.9-1.1x (linear interpolation; a joint
                missing at either neighbour stays missing);
  start offset  begin anywhere within the first note interval (fractional frames);
  dropped joints a few joints lost for short spans, as a pose model loses them.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from dance2music.music.beam import BeamSearch
from dance2music.music.composer import DEFAULT_K
from dance2music.music.online_features import teacher_forced_inputs
from dance2music.pose import features
from dance2music.pose.sequence import PoseSequence
from dance2music.pose.skeleton import MIRROR, NUM_JOINTS
from models import dance_data


@dataclasses.dataclass
class Windows:
    """Decisions of many dances: images (N, 1, S, S) float32, histories (N, H), targets (N,)."""

    images: np.ndarray
    histories: np.ndarray
    targets: np.ndarray

    @classmethod
    def concat(cls, parts: list[Windows]) -> Windows:
        return cls(*(np.concatenate([getattr(p, f.name) for p in parts])
                     for f in dataclasses.fields(cls)))

    def __len__(self) -> int:
        return len(self.targets)


def labelled_windows(vectors: np.ndarray, k: int = DEFAULT_K) -> Windows:
    """Every teacher-forced decision of one dance, labelled by the beam search."""
    return Windows(*teacher_forced_inputs(vectors, BeamSearch(k=k).compose(vectors), k))


def _time_warp(keypoints: np.ndarray, rng: np.random.Generator, k: int) -> np.ndarray:
    n = len(keypoints)
    rate = rng.uniform(0.9, 1.1) * (1 + 0.05 * np.sin(
        2 * np.pi * np.arange(n) / rng.uniform(60, 240) + rng.uniform(0, 2 * np.pi)))
    src = rng.uniform(0, k) + np.concatenate([[0.0], np.cumsum(rate[:-1])])
    src = src[src <= n - 1]
    lo = np.floor(src).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    frac = (src - lo)[:, None, None]
    out = keypoints[lo] * (1 - frac) + keypoints[hi] * frac  # NaN x, y stay NaN
    out[..., 2] = np.minimum(keypoints[lo, :, 2], keypoints[hi, :, 2])
    return out


def augment(seq: PoseSequence, rng: np.random.Generator, k: int = DEFAULT_K) -> np.ndarray:
    """One random real-motion variant of `seq` -> (T', 36) paper pose vectors."""
    w, h = seq.image_size
    kp = seq.keypoints.astype(np.float64)
    if rng.random() < 0.5:
        kp = kp[:, MIRROR]
        kp[..., 0] = w - kp[..., 0]
    centre = np.array([w / 2, h / 2])
    shift = rng.uniform(-0.1, 0.1, size=2) * (w, h)
    kp[..., :2] = centre + rng.uniform(0.8, 1.2) * (kp[..., :2] - centre) + shift
    kp = _time_warp(kp, rng, k)
    for _ in range(rng.poisson(3)):
        start = rng.integers(len(kp))
        kp[start:start + rng.integers(3, 30), rng.integers(NUM_JOINTS), 2] = 0.0
    return features.paper_vectors(kp, seq.image_size)


def real_windows(choreographies: tuple[str, ...], views=dance_data.VIEWS) -> Windows:
    """The unaugmented dances, every camera view."""
    return Windows.concat([labelled_windows(dance_data.clip_vectors(c, v))
                           for c in choreographies for v in views])


def augmented_windows(choreographies: tuple[str, ...], copies: int, seed: int,
                      views=dance_data.VIEWS) -> Windows:
    """Each view of each choreography as recorded plus `copies` augmented variants."""
    rng = np.random.default_rng(seed)
    parts = []
    for c in choreographies:
        for v in views:
            seq = dance_data.load_clip(c, v)
            parts.append(labelled_windows(features.paper_vectors(seq.keypoints, seq.image_size)))
            parts += [labelled_windows(augment(seq, rng)) for _ in range(copies)]
    return Windows.concat(parts)
