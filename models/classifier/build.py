"""Builds the shipped note classifier from scratch: data, training, ONNX export, INT8
quantisation, held-out figures and the manifest (models/int8/note_classifier.json).

    nice python -m models.classifier.build            # the shipped model (seed 0)

Validation (best epoch: the free-running global correlation at the shipped lookahead) uses one
training choreography held out of the training windows; the test choreographies are only touched
for the figures recorded in the manifest.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np

from dance2music.artefacts import REPO_MODEL_DIR, sha256_of
from dance2music.files import atomic_path
from dance2music.music.composer import DEFAULT_LOOKAHEAD_FRAMES
from dance2music.music.online import MANIFEST, OnlineClassifier
from models import dance_data
from models.classifier import data, export
from models.classifier.scoring import free_running_correlation
from models.classifier.network import NoteClassifier, count_macs
from models.classifier.train import TrainConfig, train

VALIDATION = "ch08"
COPIES = 6  # augmented variants of each recorded training view
REPRESENTATION = "body"
LOOKAHEADS = (0, 1, 2, 3)  # frames of the coming interval seen; one model serves them all
FILES = {"int8": "note_classifier.onnx", "fp32": "note_classifier_fp32.onnx"}
REFERENCE_CLIP = ("ch05", 0)  # held-out clip whose accuracy the tests reproduce
CALIBRATION_WINDOWS = 1024
RECIPE = "nice python -m models.classifier.build"


def accuracy(model: OnlineClassifier, windows: data.Windows) -> tuple[float, np.ndarray]:
    decisions = np.argmax(model.logits(*windows.feed().values()), axis=1)
    return float(np.mean(decisions == windows.targets)), decisions


def held_out_metrics(directory: Path, manifest: dict, representation: str) -> dict:
    """Teacher-forced accuracy against the beam search on the test choreographies, per
    lookahead."""
    models = {v: OnlineClassifier(directory / e["file"], e["sha256"])
              for v, e in manifest["files"].items()}
    out: dict = {}
    for d in manifest["trained_for"]["lookahead_frames"]:
        windows = data.real_windows(dance_data.TEST_CHOREOGRAPHIES, representation, d)
        acc = {v: accuracy(m, windows) for v, m in models.items()}
        out[f"lookahead_{d}"] = {
            "decisions": len(windows), "accuracy_fp32": round(acc["fp32"][0], 4),
            "accuracy_int8": round(acc["int8"][0], 4),
            "int8_fp32_agreement": round(float(np.mean(acc["int8"][1] == acc["fp32"][1])), 4),
            "hold_previous_note": round(float(np.mean(
                windows.histories[:, -1] == windows.targets)), 4)}
    clip = data.labelled_windows(dance_data.clip_vectors(*REFERENCE_CLIP, representation),
                                 DEFAULT_LOOKAHEAD_FRAMES)
    out["reference_clip"] = {"choreography": REFERENCE_CLIP[0], "view": REFERENCE_CLIP[1],
                             "lookahead_frames": DEFAULT_LOOKAHEAD_FRAMES,
                             "accuracy_int8": round(accuracy(models["int8"], clip)[0], 4)}
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    defaults = TrainConfig()
    p.add_argument("--width", type=float, default=defaults.width)
    p.add_argument("--epochs", type=int, default=defaults.epochs)
    p.add_argument("--copies", type=int, default=COPIES, help="augmented variants per recorded view")
    p.add_argument("--seed", type=int, default=defaults.seed)
    p.add_argument("--threads", type=int, default=defaults.threads)
    p.add_argument("--representation", default=REPRESENTATION, choices=("paper", "body"))
    p.add_argument("--lookaheads", type=int, nargs="+", default=LOOKAHEADS)
    p.add_argument("--out", type=Path, default=REPO_MODEL_DIR)
    args = p.parse_args()
    started = time.monotonic()
    cfg = dataclasses.replace(defaults, width=args.width, epochs=args.epochs, seed=args.seed,
                              threads=args.threads)
    train_choreographies = tuple(c for c in dance_data.TRAIN_CHOREOGRAPHIES if c != VALIDATION)
    lookaheads = tuple(args.lookaheads)
    train_set = data.augmented_windows(train_choreographies, args.copies, args.seed,
                                       args.representation, lookaheads)
    validate = free_running_correlation(
        [dance_data.clip_vectors(VALIDATION, v, args.representation) for v in dance_data.VIEWS],
        DEFAULT_LOOKAHEAD_FRAMES)
    print(f"{len(train_set)} training windows ({' '.join(train_choreographies)}, 9 views, "
          f"{args.copies} augmented copies each); validation: {VALIDATION}, 9 views, free-running "
          f"at d = {DEFAULT_LOOKAHEAD_FRAMES}", flush=True)
    model, history = train(train_set, validate, cfg, log=lambda s: print(s, flush=True))
    train_seconds = time.monotonic() - started

    args.out.mkdir(parents=True, exist_ok=True)
    with atomic_path(args.out / FILES["fp32"]) as tmp:
        export.export_fp32(model, tmp)
    with atomic_path(args.out / FILES["int8"]) as tmp:
        export.quantise_int8(args.out / FILES["fp32"], tmp, export.calibration_windows(
            train_set, CALIBRATION_WINDOWS, args.seed))
    manifest = {
        "files": {v: {"file": f, "sha256": sha256_of(args.out / f)} for v, f in FILES.items()},
        "trained_for": {"lookahead_frames": list(lookaheads),
                        "representation": args.representation},
        "inputs": {"image": "float32 (batch, 1, 60, 60): cosine similarity of the 54 poses "
                            "before the note and the d seen of its interval, the last held for "
                            "the rest, bottom-right aligned, zero-padded",
                   "history": "int64 (batch, 10): the last 10 notes, left-padded with 5",
                   "lookahead": "int64 (batch, 1): d, frames of the note's interval seen",
                   "prior": "float32 (batch, 5): the greedy composer's window correlation of "
                            "each candidate over its last 16 notes (music.causal)"},
        "output": "logits (batch, 5) over C4 D4 E4 G4 A4; k = 6 frames per note at 30 fps",
        "architecture": {"width": cfg.width, "note_planes": cfg.note_planes,
                         "macs_per_decision": count_macs(model),
                         "paper_network_macs": count_macs(NoteClassifier(1.0)),
                         "parameters": sum(p.numel() for p in model.parameters())},
        "training": {
            "data": "AIST++ 2D keypoints, break dance d04, choreographies "
                    f"{' '.join(train_choreographies)} (train), {VALIDATION} (validation), all "
                    "9 camera views; augmented (mirror, limb proportions, camera height and "
                    "distance, "
                    "travel across the frame, tempo change, start offset, dropped joints); "
                    f"{args.representation} pose vectors; labels: beam search (width 50, "
                    f"window {data.LABELLER.window} notes) on each augmented dance, after its "
                    f"own notes (each decision at a lookahead drawn from {list(lookaheads)}) and "
                    f"after the greedy composer's (one lookahead per dance, the search looking "
                    f"{data.HORIZON_NOTES} notes ahead of each decision)",
            "licence": "CC BY 4.0 (Google LLC)",
            "attribution": "Li, Yang, Ross, Kanazawa, AI Choreographer: Music Conditioned 3D "
                           "Dance Generation with AIST++, ICCV 2021; AIST Dance Video Database, "
                           "Tsuchida et al., ISMIR 2019",
            "recipe": RECIPE, "config": dataclasses.asdict(cfg), "copies": args.copies,
            "windows": len(train_set), "seconds": round(train_seconds),
            "epochs": [{k: (round(v, 4) if isinstance(v, float) else v)
                        for k, v in h.items() if k != "losses"} for h in history],
        },
        "quantisation": {"tool": "onnxruntime.quantization.quantize_static, QDQ, per-channel "
                                 "INT8 weights, UINT8 activations (MinMax), Conv/Gemm/MatMul",
                         "calibration_windows": CALIBRATION_WINDOWS, "opset": export.OPSET},
    }
    manifest["test"] = held_out_metrics(args.out, manifest, args.representation)
    with atomic_path(args.out / MANIFEST) as tmp:
        tmp.write_text(json.dumps(manifest, indent=1) + "\n")
    print(json.dumps(manifest["test"], indent=1))
    print(f"wrote {args.out / MANIFEST} ({time.monotonic() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
