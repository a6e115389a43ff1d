"""Online note classifier on the held-out AIST++ choreographies (never seen in training, in any
view): the paper's measures for every composer, INT8 vs FP32, and the latency of one decision
on one thread against the full-width paper network in FP32, in the same run.

    nice .venv/bin/python benchmarks/note_classifier.py     # needs the train extra (torch)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from dance2music.artefacts import load_manifest, model_dir  # noqa: E402
from dance2music.evaluation import evaluate, format_table  # noqa: E402
from dance2music.music.beam import BeamSearch  # noqa: E402
from dance2music.music.online import MANIFEST, OnlineClassifier, cpu_session  # noqa: E402
from dance2music.music.online_features import note_history, similarity_image  # noqa: E402
from models import dance_data  # noqa: E402

COMPOSERS = ("beam", "online", "greedy", "baseline", "random", "constant")
LATENCY_DECISIONS = 2000


def teacher_forced(views) -> dict[str, float]:
    """FP32 and INT8 accuracy against the beam search, and how often the two decide alike."""
    models = {v: OnlineClassifier.shipped(v) for v in ("int8", "fp32")}
    hits = {v: [] for v in models}
    agree = []
    for ch in dance_data.TEST_CHOREOGRAPHIES:
        for view in views:
            vectors = dance_data.clip_vectors(ch, view)
            ref = BeamSearch().compose(vectors)
            got = {v: m.follow(vectors, forced=ref)[1:] for v, m in models.items()}
            for v in models:
                hits[v].append(got[v] == ref[1:])
            agree.append(got["int8"] == got["fp32"])
    return {"acc_fp32": float(np.mean(np.concatenate(hits["fp32"]))),
            "acc_int8": float(np.mean(np.concatenate(hits["int8"]))),
            "agreement": float(np.mean(np.concatenate(agree)))}


def latency_ms(run, inputs) -> tuple[float, float]:
    times = []
    for feed in inputs:
        start = time.perf_counter_ns()
        run(feed)
        times.append((time.perf_counter_ns() - start) / 1e6)
    return float(np.median(times)), float(np.percentile(times, 99))


def main() -> None:
    for title, views in (("front view (camera c01)", (0,)), ("all 9 views", dance_data.VIEWS)):
        dances = [dance_data.load_clip(ch, v) for ch in dance_data.TEST_CHOREOGRAPHIES
                  for v in views]
        print(f"## Held-out choreographies {' '.join(dance_data.TEST_CHOREOGRAPHIES)}, {title}: "
              f"{len(dances)} clips of 12 s")
        print("next_note_acc: teacher forcing against the beam search; the other measures on "
              "each composer's own free-running notes.\n")
        print(format_table(evaluate(dances, COMPOSERS)))
        tf = teacher_forced(views)
        print(f"\nonline teacher-forced accuracy: INT8 {tf['acc_int8']:.4f}, FP32 "
              f"{tf['acc_fp32']:.4f} (drop {100 * (tf['acc_fp32'] - tf['acc_int8']):.2f} points, "
              f"goal <= 1); INT8/FP32 decision agreement {tf['agreement']:.4f} (goal >= 0.98); "
              f"paper 0.735\n")

    import torch  # build-time only: the full-width paper network for the latency reference

    from models.classifier.export import export_fp32
    from models.classifier.network import NoteClassifier, count_macs
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    vectors = dance_data.clip_vectors(dance_data.TEST_CHOREOGRAPHIES[0])
    recents = [vectors[t - 60:t] for t in rng.integers(60, len(vectors), LATENCY_DECISIONS)]
    histories = [rng.integers(0, 5, 10) for _ in recents]
    feeds = [{"image": similarity_image(r)[None], "history": note_history(h)[None]}
             for r, h in zip(recents, histories)]
    int8 = OnlineClassifier.shipped("int8")
    shipped_macs = load_manifest(model_dir() / MANIFEST)["architecture"]["macs_per_decision"]
    paper = NoteClassifier(1.0).eval()
    torch.set_num_threads(1)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        export_fp32(paper, Path(tmp) / "paper.onnx")
        paper_ort = cpu_session(Path(tmp) / "paper.onnx")
        rows.append(("shipped INT8, ONNX Runtime (features + model)", shipped_macs,
                     latency_ms(lambda f: int8.decide(*f), zip(recents, histories))))
        rows.append(("shipped INT8, ONNX Runtime (model only)", shipped_macs,
                     latency_ms(lambda f: int8.logits(f["image"], f["history"]), feeds)))
        rows.append(("paper full width FP32, ONNX Runtime", count_macs(paper),
                     latency_ms(lambda f: paper_ort.run(None, f), feeds[:500])))
        with torch.inference_mode():
            rows.append(("paper full width FP32, torch", count_macs(paper), latency_ms(
                lambda f: paper(torch.from_numpy(f["image"]), torch.from_numpy(f["history"])),
                feeds[:500])))
    print("## Latency of one decision, 1 thread, this machine")
    print("| network | MMAC | median ms | p99 ms |\n|---|---|---|---|")
    for name, macs, (median, p99) in rows:
        print(f"| {name} | {macs / 1e6:.1f} | {median:.3f} | {p99:.3f} |")
    print(f"\nspeed-up of the shipped INT8 model over the paper network (ONNX Runtime, model "
          f"only, median): {rows[2][2][0] / rows[1][2][0]:.1f}x")


if __name__ == "__main__":
    main()
