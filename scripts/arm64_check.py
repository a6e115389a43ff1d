#!/usr/bin/env python3
"""The Python half of scripts/arm64-check.sh (run on x86-64 and inside the emulated arm64
userland, from the repository root with PYTHONPATH=device):

    arm64_check.py compose OUT --python PY   # beam and online compose of the demo poses
    arm64_check.py same X86_DIR ARM64_DIR    # byte-identical outputs, same notes
    arm64_check.py pose [--kernels-json F]   # models load, checksums, kernels, drift

Emulation is ~1000x slower for inference: the pose check uses a few held-out still images and
prints kernel counts, never latencies."""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO_POSES = ROOT / "assets" / "demo" / "aistpp_ch01_front.npz"
COMPOSERS = ("beam", "online")  # online runs the note classifier (ONNX Runtime)
MAX_DRIFT_OF_BODY = 0.05


def compose(out: Path, python: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for composer in COMPOSERS:
        subprocess.run([python, "-m", "dance2music", "compose", str(DEMO_POSES), "--composer", composer,
                        "-o", str(out / f"{composer}.json"), "-o", str(out / f"{composer}.wav")],
                       check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def wav_difference(a: Path, b: Path) -> str:
    """Largest sample difference of two 16-bit WAVs of the same length, and how many differ."""
    import numpy as np

    from dance2music.synth import wav
    x, y = wav.read_wav(a)[0].astype(np.int32), wav.read_wav(b)[0].astype(np.int32)
    if x.shape != y.shape:
        return f"shapes {x.shape} / {y.shape}"
    diff = np.abs(x - y)
    return f"max {int(diff.max())} LSB, {int((diff > 0).sum())} of {diff.size} samples differ"


def same(x86: Path, arm64: Path) -> int:
    """JSON (the notes and their timing) must be byte-identical; WAVs are compared too and
    their difference printed."""
    failures = 0
    for composer in COMPOSERS:
        for ext in ("json", "wav"):
            a, b = (x86 / f"{composer}.{ext}").read_bytes(), (arm64 / f"{composer}.{ext}").read_bytes()
            digest = hashlib.sha256(a).hexdigest()[:16]
            verdict = "identical" if a == b else "DIFFERENT"
            if a != b and ext == "wav":
                verdict += f" ({wav_difference(x86 / f'{composer}.wav', arm64 / f'{composer}.wav')})"
            failures += a != b and ext == "json"
            print(f"compose {composer}.{ext}: {verdict} (x86 sha256 {digest}, {len(a)} B / {len(b)} B)")
        notes = [json.loads((d / f"{composer}.json").read_text()).get("notes") for d in (x86, arm64)]
        if composer == "online":
            print(f"note classifier: {'same' if notes[0] == notes[1] else 'DIFFERENT'} notes "
                  f"({len(notes[0] or [])} notes)")
    return 1 if failures else 0


def held_out_crops(count: int):
    """(crop, FP32 landmarks, body size) of the first `count` people FP32 calls present in the
    held-out still images (decoded identically on both architectures)."""
    import cv2

    from dance2music.pose import blazepose as bp
    fixture = json.loads((ROOT / "tests" / "fixtures" / "pose" / "int8_heldout.json").read_text())
    data = Path("/usr/share/doc/opencv-doc/examples/data")
    picked = [s for s in fixture["landmark"] if s["source"][0] == "opencv-doc" and s["fp32_presence"] >= 0.5]
    for s in picked[:count]:
        image = cv2.imread(str(data / s["source"][1]))
        if image is None:
            raise SystemExit(f"{data / s['source'][1]}: missing (apt package opencv-doc)")
        yield bp.Roi(*s["roi"]).crop(image), s["fp32_landmarks_crop_px"], s["body_size_crop_px"]


def pose(samples: int, kernels_json: Path | None) -> int:
    import numpy as np
    import openvino as ov

    sys.path.insert(0, str(ROOT))
    from dance2music.artefacts import REPO_MODEL_DIR
    from dance2music.pose import blazepose as bp
    from dance2music.pose.estimator import OpenVinoPose
    from dance2music.pose.modelfiles import compile_model, platform_models, read_manifest, verified_xml
    from models.pose.platforms import summary, this_platform_kernels

    with OpenVinoPose(smoothing=False):  # loads this platform's models, checking every sha256
        pass
    manifest = read_manifest(REPO_MODEL_DIR)
    models = platform_models(REPO_MODEL_DIR, manifest)
    print(f"pose models for {models.arch}: {models.detector}, {models.landmark} "
          f"({models.inference_precision} hint), checksums verified")
    tables = this_platform_kernels()
    print(summary(tables))
    if kernels_json:
        kernels_json.write_text(json.dumps(tables, indent=1) + "\n")
    # Convolutions are where the time goes (the INT8 files' six reference 1x1 convolutions took
    # three quarters of it): none may run a reference kernel. Other ops that do are listed.
    reference = [k for t in tables["models"].values() for k in t["reference_kernels"]]
    for kernel in reference:
        print(f"  reference kernel: {kernel}")
    reference_convs = sum(t["reference_convolutions"] for t in tables["models"].values())

    landmark = compile_model(ov.Core(), verified_xml(REPO_MODEL_DIR, manifest, models.landmark),
                             models.inference_precision)
    drift = []
    for crop, fp32_xy, body_size in held_out_crops(samples):
        xy = landmark(crop)[0].reshape(bp.NUM_LANDMARKS, 5)[:bp.SCALE_POINT + 1, :2]
        drift.append(float(np.linalg.norm(xy - np.asarray(fp32_xy), axis=1).mean() / body_size))
    print(f"landmark drift from FP32 on {len(drift)} held-out people: mean {np.mean(drift):.4f}, "
          f"max {np.max(drift):.4f} of body size (limit {MAX_DRIFT_OF_BODY})")
    ok = reference_convs == 0 and len(drift) >= 3 and np.mean(drift) <= MAX_DRIFT_OF_BODY
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("compose")
    p.add_argument("out", type=Path)
    p.add_argument("--python", default=sys.executable)
    p = sub.add_parser("same")
    p.add_argument("x86", type=Path)
    p.add_argument("arm64", type=Path)
    p = sub.add_parser("pose")
    p.add_argument("--samples", type=int, default=3)
    p.add_argument("--kernels-json", type=Path)
    args = parser.parse_args(argv)
    if args.command == "compose":
        compose(args.out, args.python)
        return 0
    if args.command == "same":
        return same(args.x86, args.arm64)
    return pose(args.samples, args.kernels_json)


if __name__ == "__main__":
    sys.exit(main())
