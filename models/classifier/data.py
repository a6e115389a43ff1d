"""Training windows for the note classifier: real AIST++ dance, augmented into new dancers and
new camera set-ups that keep it real motion, labelled by the offline beam search (on the greedy
composer's 16-note window) run on each augmented dance, two ways:

  the beam's own history  teacher forcing: each decision after the search's own notes;
  the composer's history  the greedy composer's free-running notes, each decision labelled with
                          the note the search would play next from there, looking 16 notes
                          ahead (DAgger: the states the live composer reaches, which the
                          search's own history never shows it; the model starts from greedy's
                          criterion and stays close to it).

Augmentations (all on COCO-18 pixel keypoints, before the pose vectors):
  mirror           left/right flip of the image with the joints' sides swapped (skeleton.MIRROR);
  limb proportions each body segment (torso, shoulders, hips, upper and lower arms and legs,
                   head) 0.85-1.15x its length, rebuilt outwards from the neck;
  camera height    the body foreshortened vertically (0.85-1.05x) with a keystone (+-15% width
                   change from top to bottom), as from a camera above or below the dancer;
  camera distance  zoom about the image centre by 0.7-1.3 and move by up to 10% of the frame;
  travel           the dancer drifts across the frame, up to 20% of its width over the clip;
  tempo change     replay at 0.8-1.25x, slowly varying by +-5% (linear interpolation; a joint
                   missing at either neighbour stays missing), from anywhere within the first
                   note interval (fractional frames);
  dropped joints   a few joints lost for short spans, as a pose model loses them.
Each decision is shown with a lookahead d drawn from the trained ones (one model serves all).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from dance2music.music.beam import BeamSearch
from dance2music.music.causal import GreedyComposer
from dance2music.music.composer import DEFAULT_K, GREEDY_WINDOW
from dance2music.music.online_features import teacher_forced_inputs
from dance2music.pose import features
from dance2music.pose.sequence import PoseSequence
from dance2music.pose.skeleton import MIRROR, NUM_JOINTS
from models import dance_data

# (parent, child, segment): COCO-18 bones outwards from the neck; a segment's joints scale alike.
_TREE = ((1, 0, "head"), (0, 14, "head"), (0, 15, "head"), (14, 16, "head"), (15, 17, "head"),
         (1, 2, "shoulders"), (1, 5, "shoulders"), (2, 3, "upper_arm"), (5, 6, "upper_arm"),
         (3, 4, "forearm"), (6, 7, "forearm"), (1, 8, "torso"), (1, 11, "torso"),
         (8, 9, "thigh"), (11, 12, "thigh"), (9, 10, "shin"), (12, 13, "shin"))
_SEGMENTS = sorted({s for _, _, s in _TREE})
# The search that labels the training decisions: the paper's, on the greedy composer's window
# (the model's prior); on the validation choreography it trained better models than the paper's
# 10 notes or 24 (docs/composer-study.md).
LABELLER = BeamSearch(window=GREEDY_WINDOW)
HORIZON_NOTES = GREEDY_WINDOW  # how far ahead LABELLER looks from the composer's own history


@dataclasses.dataclass
class Windows:
    """Decisions of many dances: images (N, 1, S, S) float32, histories (N, H), lookaheads
    (N, 1), priors (N, 5) float32, targets (N,)."""

    images: np.ndarray
    histories: np.ndarray
    lookaheads: np.ndarray
    priors: np.ndarray
    targets: np.ndarray

    @classmethod
    def concat(cls, parts: list[Windows]) -> Windows:
        return cls(*(np.concatenate([getattr(p, f.name) for p in parts])
                     for f in dataclasses.fields(cls)))

    def subset(self, pick: np.ndarray | slice) -> Windows:
        return Windows(*(getattr(self, f.name)[pick] for f in dataclasses.fields(self)))

    def feed(self) -> dict[str, np.ndarray]:
        """The model's inputs by their ONNX names."""
        return {"image": self.images, "history": self.histories, "lookahead": self.lookaheads,
                "prior": self.priors}

    def __len__(self) -> int:
        return len(self.targets)


def labelled_windows(vectors: np.ndarray, lookahead, beam: BeamSearch | None = None
                     ) -> Windows:
    """Every teacher-forced decision of one dance, labelled by `beam` (default: the paper's
    search, which the reported accuracy is measured against); `lookahead`: d for every
    decision, or one per decision."""
    beam = BeamSearch() if beam is None else beam
    return Windows(*teacher_forced_inputs(vectors, beam.compose(vectors), lookahead))


def corrected_windows(vectors: np.ndarray, lookahead: int) -> Windows:
    """Every decision of the greedy composer's own free-running notes, labelled with the note
    LABELLER would play next from that history, looking HORIZON_NOTES ahead."""
    played = GreedyComposer(lookahead_frames=lookahead).compose(vectors)
    best_next = [LABELLER.extend(vectors, played[:t], t + HORIZON_NOTES)[t]
                 for t in range(1, len(played))]
    *inputs, _ = teacher_forced_inputs(vectors, played, lookahead)
    return Windows(*inputs, np.array(best_next, dtype=np.int64))


def _proportions(kp: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    factor = dict(zip(_SEGMENTS, rng.uniform(0.85, 1.15, len(_SEGMENTS))))
    out = kp.copy()
    for parent, child, segment in _TREE:  # parents come before their children
        bone = kp[:, child, :2] - kp[:, parent, :2]
        moved = out[:, parent, :2] + factor[segment] * bone
        out[:, child, :2] = np.where(np.isfinite(moved), moved, kp[:, child, :2])
    return out


def _camera(kp: np.ndarray, rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    centre = np.array([w / 2, h / 2])
    xy = kp[..., :2] - centre
    xy[..., 1] *= rng.uniform(0.85, 1.05)  # height: vertical foreshortening
    xy[..., 0] *= 1 + rng.uniform(-0.15, 0.15) * xy[..., 1] / h  # keystone
    xy *= rng.uniform(0.7, 1.3)  # distance
    t = np.linspace(0, 1, len(kp))[:, None, None]
    travel = rng.uniform(-0.2, 0.2) * w * (t - 0.5)
    shift = rng.uniform(-0.1, 0.1, size=2) * (w, h)
    out = kp.copy()
    out[..., :2] = centre + xy + shift
    out[..., 0] += travel[..., 0]
    return out


def _tempo(keypoints: np.ndarray, rng: np.random.Generator, k: int) -> np.ndarray:
    n = len(keypoints)
    rate = rng.uniform(0.8, 1.25) * (1 + 0.05 * np.sin(
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
    """One random new dancer and camera for `seq` -> (T', 18, 3) pixel keypoints."""
    w, h = seq.image_size
    kp = seq.keypoints.astype(np.float64)
    if rng.random() < 0.5:
        kp = kp[:, MIRROR]
        kp[..., 0] = w - kp[..., 0]
    kp = _camera(_proportions(kp, rng), rng, w, h)
    kp = _tempo(kp, rng, k)
    for _ in range(rng.poisson(3)):
        start = rng.integers(len(kp))
        kp[start:start + rng.integers(3, 30), rng.integers(NUM_JOINTS), 2] = 0.0
    return kp


def real_windows(choreographies: tuple[str, ...], representation: features.Representation,
                 lookahead: int, views=dance_data.VIEWS) -> Windows:
    """The unaugmented dances, every camera view, all decisions at one lookahead."""
    return Windows.concat([labelled_windows(dance_data.clip_vectors(c, v, representation),
                                            lookahead)
                           for c in choreographies for v in views])


def augmented_windows(choreographies: tuple[str, ...], copies: int, seed: int,
                      representation: features.Representation, lookaheads: tuple[int, ...],
                      views=dance_data.VIEWS) -> Windows:
    """Each view of each choreography as recorded plus `copies` augmented variants, each dance
    both ways (the module's docstring): the beam's history with each decision at a lookahead
    drawn from `lookaheads`, the composer's at one drawn per dance."""
    rng = np.random.default_rng(seed)
    parts = []
    for c in choreographies:
        for v in views:
            seq = dance_data.load_clip(c, v)
            for kp in [seq.keypoints] + [augment(seq, rng) for _ in range(copies)]:
                vectors = features.pose_vectors(kp, seq.image_size, representation)
                d = rng.choice(lookaheads, size=len(vectors) // DEFAULT_K - 1)
                parts.append(labelled_windows(vectors, d, LABELLER))
                parts.append(corrected_windows(vectors, int(rng.choice(lookaheads))))
    return Windows.concat(parts)
