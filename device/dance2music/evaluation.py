"""The evaluation table: every composer on the same dances, by the paper's measures."""

from __future__ import annotations

import numpy as np

from dance2music.music import measures
from dance2music.music.composer import CausalComposer
from dance2music.music.registry import COMPOSER_NAMES, make_composer
from dance2music.pose.features import DEFAULT_REPRESENTATION, Representation, pose_vectors
from dance2music.pose.sequence import TARGET_FPS, PoseSequence

MEASURES = ("global_corr", "local_corr", "beat_align", "next_note_acc")


def evaluate(dances: list[PoseSequence], composers: tuple[str, ...] = COMPOSER_NAMES, k: int = 6,
             seed: int = 0, representation: Representation = DEFAULT_REPRESENTATION,
             lookahead_frames: int = 0) -> dict[str, dict[str, float]]:
    """Mean of each measure over the dances, per composer. Next-note accuracy is against the
    beam search under teacher forcing (causal composers only, each seeing `lookahead_frames`
    of the note's own interval)."""
    rows: dict[str, dict[str, list[float]]] = {c: {m: [] for m in MEASURES} for c in composers}
    beam = make_composer("beam", k=k)
    # Made once (the online model is loaded and verified once); causal ones reset per dance.
    made = {name: beam if name == "beam" else
            make_composer(name, k=k, seed=seed, representation=representation,
                          lookahead_frames=lookahead_frames)
            for name in composers}
    for seq in dances:
        seq = seq.resampled(TARGET_FPS)
        vectors = pose_vectors(seq.keypoints, seq.image_size, representation)
        reference = beam.compose(vectors)
        for name, composer in made.items():
            notes = reference if name == "beam" else composer.compose(vectors)
            row = rows[name]
            row["global_corr"].append(measures.global_correlation(vectors, notes, k))
            row["local_corr"].append(measures.local_correlation(vectors, notes, k))
            row["beat_align"].append(measures.beat_align_score(vectors, notes, k, seq.fps))
            if isinstance(composer, CausalComposer):
                row["next_note_acc"].append(measures.next_note_accuracy(composer, vectors, reference))
    return {c: {m: (float(np.mean(v)) if v else float("nan")) for m, v in row.items()}
            for c, row in rows.items()}


def format_table(table: dict[str, dict[str, float]]) -> str:
    lines = ["| composer | " + " | ".join(MEASURES) + " |", "|---" * (len(MEASURES) + 1) + "|"]
    for name, row in table.items():
        cells = ["-" if np.isnan(row[m]) else f"{row[m]:.3f}" for m in MEASURES]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
