"""Per-platform pose model files and what OpenVINO really runs them with.

x86-64 runs the INT8 models. On arm64 (a Raspberry Pi 5) OpenVINO's ARM plugin runs six of the
INT8 files' quantised 1x1 convolutions on a reference kernel (`ref_any_f16`, three quarters of
the emulated inference time) and none of the depthwise ones in INT8, and their accuracy moves
with the kernels; so aarch64 gets FP16 files (the FP32 graph with f16 weights), compiled with
an f16 inference hint: every convolution on ARM's optimised f16 kernels.

    python -m models.pose.build --only-fp16   # rebuild only the FP16 files and "platforms"
    python -m models.pose.platforms           # print this machine's kernel table

`kernel_table` is what the build records per platform: each convolution's runtime precision
and kernel; scripts/arm64-check.sh records the aarch64 one under emulation (--record)."""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

import numpy as np
import openvino as ov

from dance2music.artefacts import REPO_MODEL_DIR, sha256_of
from dance2music.files import atomic_path
from dance2music.pose.modelfiles import MANIFEST_NAME, compile_model, platform_models, read_manifest, verified_xml

FP16_NAMES = {"detector": "pose_detection_fp16", "landmark": "pose_landmark_full_fp16"}
PLATFORMS = {
    "x86_64": {"detector": "detector", "landmark": "landmark", "inference_precision": "f32"},
    "aarch64": {"detector": "detector_fp16", "landmark": "landmark_fp16", "inference_precision": "f16"},
}


def save_fp16(model: ov.Model, out_dir: Path, stem: str) -> dict[str, str]:
    """The FP32 graph saved with f16 weights (OpenVINO decompresses them on load)."""
    xml = out_dir / f"{stem}.xml"
    ov.save_model(model, str(xml), compress_to_fp16=True)
    return {p.name: sha256_of(p) for p in (xml, xml.with_suffix(".bin"))}


def kernel_table(compiled: ov.CompiledModel) -> dict:
    """Per convolution of the runtime graph: runtime precision and kernel; with counts and the
    ops (any type) that run a reference kernel."""
    convolutions, reference = {}, []
    for op in compiled.get_runtime_model().get_ordered_ops():
        rt = op.get_rt_info()
        kernel = rt["primitiveType"].astype(str)
        if "ref" in kernel:
            reference.append(f"{op.get_friendly_name()}: {kernel}")
        if rt["layerType"].astype(str) == "Convolution":  # group (depthwise) ones too
            convolutions[op.get_friendly_name()] = f"{rt['runtimePrecision'].astype(str)} {kernel}"
    by_precision = collections.Counter(v.split()[0] for v in convolutions.values())
    return {"convolutions": len(convolutions), "by_precision": dict(sorted(by_precision.items())),
            "reference_convolutions": sum("ref" in k for k in convolutions.values()),
            "reference_kernels": reference, "layers": convolutions}


def this_platform_kernels(model_dir: Path = REPO_MODEL_DIR) -> dict:
    """The kernel tables of the models this machine's architecture runs, compiled here."""
    manifest = read_manifest(model_dir)
    models = platform_models(model_dir, manifest)
    core = ov.Core()
    tables = {}
    for role, name in (("detector", models.detector), ("landmark", models.landmark)):
        compiled = compile_model(core, verified_xml(model_dir, manifest, name), models.inference_precision)
        tables[role] = {"model": name, **kernel_table(compiled)}
    return {"arch": models.arch, "inference_precision": models.inference_precision,
            "openvino": ov.__version__, "models": tables}


def summary(tables: dict) -> str:
    lines = [f"{tables['arch']} ({tables['inference_precision']} hint, OpenVINO {tables['openvino']}):"]
    for role, t in tables["models"].items():
        counts = ", ".join(f"{n} {p}" for p, n in t["by_precision"].items())
        conv_ref = t.get("reference_convolutions", 0)
        lines.append(f"  {role:8s} {t['model']:14s} {t['convolutions']} convolutions: {counts}; "
                     f"reference kernels: {conv_ref} convolutions, "
                     f"{len(t['reference_kernels']) - conv_ref} other ops")
    return "\n".join(lines)


def _write(model_dir: Path, manifest: dict) -> None:
    with atomic_path(Path(model_dir) / MANIFEST_NAME) as tmp:
        tmp.write_text(json.dumps(manifest, indent=2) + "\n")


def record(model_dir: Path, tables: dict) -> None:
    """Write a platform's kernel table into the manifest's "platforms" entry."""
    manifest = read_manifest(model_dir)
    for table in tables["models"].values():  # tables written before this count existed
        table.setdefault("reference_convolutions", sum("ref" in k for k in table["layers"].values()))
    entry = manifest.setdefault("platforms", {}).setdefault(tables["arch"], dict(PLATFORMS[tables["arch"]]))
    entry["runtime"] = {k: v for k, v in tables.items() if k != "arch"}
    _write(model_dir, manifest)


def write_fp16_platform(fp32: dict[str, ov.Model], out_dir: Path, lm_refs: list[dict],
                        sources: dict[str, dict]) -> None:
    """Save the FP16 files beside the INT8 ones, describe them in the manifest with their drift
    from FP32 on the held-out crops (weights rounded to f16; this x86 CPU computes in f32, the
    arm64 figure comes from scripts/arm64-check.sh), assign models to platforms, and record
    this machine's kernel table."""
    from models.pose.build import io_shapes, landmark_drift  # the build imports this module
    manifest = read_manifest(out_dir)
    for role, model in fp32.items():
        name = f"{role}_fp16"
        entry = {"xml": f"{FP16_NAMES[role]}.xml", "files": save_fp16(model, out_dir, FP16_NAMES[role]),
                 **sources[role],
                 "how_built": "the INT8 build's FP32 graph (FP16 weight Converts folded, constants "
                              "folded, landmark outputs pruned) saved with f16 weights, for an f16 "
                              "inference hint on aarch64", **io_shapes(model)}
        if role == "landmark":
            compiled = compile_model(ov.Core(), out_dir / entry["xml"])
            drift, present = landmark_drift(compiled, lm_refs)
            entry["fp16_weights_vs_fp32_x86"] = {
                "persons": len(drift), "mean": round(float(drift.mean()), 4),
                "median": round(float(np.median(drift)), 4), "max": round(float(drift.max()), 4),
                "also_present": round(float(present.mean()), 4)}
        manifest["models"][name] = entry
    platforms = manifest.setdefault("platforms", {})
    for arch, cfg in PLATFORMS.items():
        platforms.setdefault(arch, {}).update(cfg)  # a recorded kernel table stays
    _write(out_dir, manifest)
    record(out_dir, this_platform_kernels(out_dir))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="print (or record) this machine's pose kernel table")
    parser.add_argument("--models", type=Path, default=REPO_MODEL_DIR)
    parser.add_argument("--json", type=Path, help="also write the table as JSON here")
    parser.add_argument("--record-from", type=Path, metavar="JSON",
                        help="write a table made elsewhere (e.g. under arm64 emulation) into the manifest")
    args = parser.parse_args(argv)
    if args.record_from:
        tables = json.loads(args.record_from.read_text())
        record(args.models, tables)
        print(summary(tables))
        return 0
    tables = this_platform_kernels(args.models)
    print(summary(tables))
    if args.json:
        args.json.write_text(json.dumps(tables, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
