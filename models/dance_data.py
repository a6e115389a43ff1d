"""The real dance the models are built from: AIST++ break-dance keypoints (CC BY 4.0, Google
LLC; Li et al., ICCV 2021; AIST Dance Video Database, Tsuchida et al., ISMIR 2019), split by
choreography so no test dance is ever seen in training, in any camera view."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from dance2music.pose import features, sequence

AISTPP_DIR = Path(os.environ.get("DANCE2MUSIC_AISTPP_DIR",
                                 Path(__file__).resolve().parents[1].parent / "shared/data/aistpp_break"))
VIEWS = range(9)
# One standing and one floor-work choreography are held out for testing.
TRAIN_CHOREOGRAPHIES = ("ch01", "ch02", "ch04", "ch07", "ch08")
TEST_CHOREOGRAPHIES = ("ch05", "ch10")


def clip_path(choreography: str) -> Path:
    return AISTPP_DIR / f"gBR_sBM_cAll_d04_mBR0_{choreography}.npz"


def load_clip(choreography: str, view: int = 0) -> sequence.PoseSequence:
    return sequence.load(clip_path(choreography), view=view)


def clip_vectors(choreography: str, view: int = 0,
                 representation: features.Representation = "paper") -> np.ndarray:
    seq = load_clip(choreography, view)
    return features.pose_vectors(seq.keypoints, seq.image_size, representation)
