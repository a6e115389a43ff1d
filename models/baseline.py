"""Builds models/int8/baseline.json: the paper baseline's similarity threshold, the 80th
percentile of the cosine similarity between the poses at the two ends of every note interval
over the training dances (all camera views), for each pose representation.

    python -m models.baseline
"""

from __future__ import annotations

import json

import numpy as np

from dance2music.artefacts import REPO_MODEL_DIR
from dance2music.files import atomic_path
from dance2music.music.causal import interval_similarity
from dance2music.music.composer import DEFAULT_K
from dance2music.pose.features import REPRESENTATIONS
from models import dance_data

PERCENTILE = 80


def thresholds() -> dict[str, float]:
    out = {}
    for rep in REPRESENTATIONS:
        sims = [interval_similarity(dance_data.clip_vectors(ch, view, rep), DEFAULT_K)
                for ch in dance_data.TRAIN_CHOREOGRAPHIES for view in dance_data.VIEWS]
        out[rep] = round(float(np.percentile(np.concatenate(sims), PERCENTILE)), 6)
    return out


def main() -> None:
    record = {
        "thresholds": thresholds(),
        "percentile": PERCENTILE,
        "k": DEFAULT_K,
        "data": {"source": "AIST++ 2D keypoints, choreographies "
                           + " ".join(dance_data.TRAIN_CHOREOGRAPHIES) + ", all 9 views",
                 "licence": "CC BY 4.0 (Google LLC)"},
        "recipe": "python -m models.baseline",
    }
    path = REPO_MODEL_DIR / "baseline.json"
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {path}: {record['thresholds']}")


if __name__ == "__main__":
    main()
