"""Rebuilds the INT8 BlazePose models in models/int8/ from mediapipe 0.10.14's wheel:

    nice python -m models.pose.build          # from the repository root, `train` extra installed

1. `pip download --no-deps` the pinned wheel into .cache/models/ and check its sha256;
2. read pose_detection.tflite and pose_landmark_full.tflite out of it with zipfile;
3. convert with OpenVINO, fold the FP16 weight Converts into f32 constants (NNCF would keep
   FP16-sized weights otherwise), constant-fold what then hangs off them (the depthwise
   kernels' layout Transposes: NNCF only quantises weights it sees as constants, and the 28
   depthwise convolutions of each model otherwise run in f32, a third of its time) and prune
   the landmark model to the landmarks + presence outputs (segmentation and heatmaps cost 40%
   of its latency and are unused);
4. quantise to INT8 with NNCF on augmented real frames of people: the detector one-shot with
   full bias correction, the landmark model with accuracy control (layers whose INT8 error
   moves the landmarks stay f32);
5. measure INT8-vs-FP32 drift on held-out frames and latency, write IR, licence, manifest and
   the held-out test fixture;
6. save the FP32 graph with f16 weights for aarch64 and assign models to platforms in the
   manifest, with this machine's per-convolution kernel table (models/pose/platforms.py;
   `--only-fp16` does just this step).
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import openvino as ov
import openvino.opset13 as ops
from openvino import passes

from dance2music.files import atomic_path
from dance2music.pose import blazepose as bp
from dance2music.pose.estimator import PRESENCE_THRESHOLD, OpenVinoPose
from dance2music.artefacts import sha256_of
from dance2music.pose.modelfiles import COMPILE_CONFIG, MANIFEST_NAME
from models.pose import frames as fr
from models.pose.platforms import write_fp16_platform

ROOT = Path(__file__).resolve().parents[2]
PACKAGE, VERSION = "mediapipe", "0.10.14"
WHEEL = "mediapipe-0.10.14-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
WHEEL_SHA256 = "a807328339e7356fda0bb14df12fedbf1d33bdf81649c5f8666b0026b1cc30b4"
LICENCE_MEMBER = "mediapipe-0.10.14.dist-info/LICENSE"
LICENCE_FILE = "LICENSE-mediapipe-Apache-2.0.txt"
MEMBERS = {
    "detector": "mediapipe/modules/pose_detection/pose_detection.tflite",
    "landmark": "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
}
IR_NAMES = {"detector": "pose_detection_int8", "landmark": "pose_landmark_full_int8"}
LANDMARK_OUTPUTS = ("Identity", "Identity_1")  # 39 x (x, y, z, visibility, presence); pose flag
FIXTURE = ROOT / "tests" / "fixtures" / "pose" / "int8_heldout.json"
# Accuracy control scores a candidate by tracking the tune sequences with it (each crop placed
# by its own previous output, as at run time: off-centre crops and feedback are where INT8
# goes wrong) against FP32 tracking: mean keypoint error in body sizes, a frame on a different
# person or with a lost track counting as TRACK_ERROR_CAP. At most MAX_DROP worse than FP32
# (0), reverting at most MAX_REVERTS more layers to float. In both models the head convolutions
# (the last HEAD_CONVS before each output) stay float from the start.
TRACK_ERROR_CAP = 0.25
MAX_DROP = 0.015
MAX_REVERTS = 20
HEAD_CONVS = 4
TUNE_CHUNK_FRAMES = 12
# The detector gets full bias correction (per layer, on the calibration data), not NNCF's fast
# one: with its depthwise convolutions quantised too, the fast one let it miss 14 of the tune
# frames' marginal people (FP32 score < 0.65) against 4, at the same speed. The landmark model
# keeps the fast one: full correction moved its presence on loose crops far from FP32's (0.81
# against 0.09 on an oversized first-frame crop), which starts tracks FP32 would not.
DETECTOR_FAST_BIAS_CORRECTION = False
SEED = 20260425


def fetch_wheel(cache: Path) -> Path:
    wheel = cache / WHEEL
    if not wheel.exists():
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                        "--python-version", "3.11", "--platform", "manylinux_2_17_x86_64",
                        "-d", str(cache), f"{PACKAGE}=={VERSION}"], check=True)
    actual = sha256_of(wheel)
    if actual != WHEEL_SHA256:
        raise SystemExit(f"{wheel}: sha256 {actual}, expected {WHEEL_SHA256}: refusing to build")
    return wheel


def extract(wheel: Path, member: str, cache: Path) -> Path:
    out = cache / Path(member).name
    with zipfile.ZipFile(wheel) as z:
        out.write_bytes(z.read(member))
    return out


def fold_fp16_weights(model: ov.Model) -> int:
    """Replace every Constant(f16) -> Convert(f32) pair by an f32 Constant; returns the count."""
    folded = 0
    for node in model.get_ordered_ops():
        if node.get_type_name() != "Convert" or node.get_output_element_type(0) != ov.Type.f32:
            continue
        source = node.input_value(0).get_node()
        if source.get_type_name() == "Constant" and source.get_output_element_type(0) == ov.Type.f16:
            node.output(0).replace(ops.constant(source.get_data().astype(np.float32)).output(0))
            folded += 1
    return folded


def fp32_model(tflite: Path, keep_outputs: tuple[str, ...] | None) -> ov.Model:
    model = ov.convert_model(str(tflite))
    fold_fp16_weights(model)
    folding = passes.Manager()
    folding.register_pass(passes.ConstantFolding())
    folding.run_passes(model)
    if keep_outputs:
        outputs = [model.output(name) for name in keep_outputs]
        model = ov.Model(outputs, model.get_parameters(), model.friendly_name)
    return model


def compiled(model: ov.Model) -> ov.CompiledModel:
    return ov.Core().compile_model(model, "CPU", COMPILE_CONFIG)


# ---- data -------------------------------------------------------------------------------

def detect(det: ov.CompiledModel, image: np.ndarray) -> list[bp.Detection]:
    tensor, lb = bp.letterbox(image)
    out = det(tensor)
    return bp.decode_detections(out[0], out[1], lb)


def refined_roi(lm: ov.CompiledModel, image: np.ndarray, d: bp.Detection) -> bp.Roi:
    """The detection's ROI moved once by the landmark model, as tracking places it."""
    roi = bp.Roi.from_points(d.keypoints[0], d.keypoints[1])
    xy, _ = bp.decode_landmarks(lm(roi.crop(image))[0], roi)
    return bp.Roi.from_points(xy[bp.HIP_CENTRE], xy[bp.SCALE_POINT])


def jittered(roi: bp.Roi, rng: np.random.Generator) -> bp.Roi:
    return bp.Roi(roi.cx + rng.normal(0, 0.04) * roi.size, roi.cy + rng.normal(0, 0.04) * roi.size,
                  roi.size * rng.uniform(0.9, 1.15), roi.rotation + rng.normal(0, 0.2))


def maybe_flipped(tensor: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return np.ascontiguousarray(tensor[:, :, ::-1]) if rng.random() < 0.5 else tensor


def calibration_data(det, lm, rng) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Augmented detector inputs and landmark crops from the calibration sources."""
    det_inputs, crops = [], []
    for source in fr.CALIBRATION:
        for _, image in fr.frames(source):
            for _ in range(2):
                det_inputs.append(maybe_flipped(bp.letterbox(fr.photometric(image, rng))[0], rng))
            for d in detect(det, image):
                roi = refined_roi(lm, image, d)
                for _ in range(2):
                    crops.append(maybe_flipped(jittered(roi, rng).crop(fr.photometric(image, rng)), rng))
    return det_inputs, crops


def source_id(path: Path) -> list[str]:
    return ["opencv-doc", path.name] if path.parent == fr.OPENCV_DATA else ["shared-video", path.name]


def held_out_data(det, lm) -> tuple[list[dict], list[dict]]:
    """FP32 references on held-out frames: detector outputs and landmark outputs per person."""
    det_refs, lm_refs = [], []
    for source in fr.HELD_OUT:
        for index, image in fr.frames(source):
            ref = {"source": source_id(source.path), "frame": index}
            found = detect(det, image)
            det_refs.append({**ref, "detections": [
                {"score": d.score, "keypoints": d.keypoints[:2].tolist()} for d in found]})
            for d in found:
                roi = refined_roi(lm, image, d)
                crop = roi.crop(image)
                out = lm(crop)
                xy = out[0].reshape(bp.NUM_LANDMARKS, 5)[:bp.SCALE_POINT + 1, :2]
                lm_refs.append({**ref, "roi": [roi.cx, roi.cy, roi.size, roi.rotation],
                                "fp32_landmarks_crop_px": xy.tolist(),
                                "fp32_presence": float(out[1].ravel()[0]),
                                "body_size_crop_px": body_size(xy), "crop": crop})
    return det_refs, lm_refs


def tracked(det, lm, images: list[np.ndarray]) -> list[np.ndarray | None]:
    """COCO-18 keypoints of the runtime pipeline (no smoothing) over a sequence."""
    est = OpenVinoPose.from_compiled(det, lm, smoothing=False)
    results = [est.estimate(image, i / 30) for i, image in enumerate(images)]
    return [r.keypoints if r.presence >= PRESENCE_THRESHOLD else None for r in results]


def tracking_errors(got: list, refs: list) -> np.ndarray:
    """Per frame: mean joint distance from FP32's in FP32 body sizes (confident joints),
    capped; a person found by only one of the two counts as the cap."""
    errors = []
    for kp, ref in zip(got, refs):
        if kp is None and ref is None:
            continue
        if kp is None or ref is None:
            errors.append(TRACK_ERROR_CAP)
            continue
        sure = ref[:, 2] >= 0.5
        size = np.max(ref[sure, :2].max(0) - ref[sure, :2].min(0))
        err = np.linalg.norm(kp[sure, :2] - ref[sure, :2], axis=1).mean() / size
        errors.append(min(TRACK_ERROR_CAP, float(err)))
    return np.asarray(errors)


def tracking_sequences(det, lm, sources, chunk: int | None = None) -> list[dict]:
    """Video frames of `sources` (in chunks, each tracked from a fresh detection) with FP32's
    tracked keypoints, and one FP32 crop per chunk for NNCF's output-based ranking."""
    out = []
    for source in filter(fr.is_video, sources):
        images = [image for _, image in fr.frames(source)]
        step = chunk or len(images)
        for start in range(0, len(images), step):
            part = images[start:start + step]
            first = detect(det, part[0])
            roi = refined_roi(lm, part[0], first[0]) if first else bp.Roi(128, 128, 256, 0)
            out.append({"name": f"{source.name}[{start}:{start + len(part)}]", "images": part,
                        "refs": tracked(det, lm, part), "crop": roi.crop(part[0])})
    return out


def body_size(xy_crop: np.ndarray) -> float:
    """Larger side of the bounding box of the 33 body landmarks."""
    body = np.asarray(xy_crop)[:33]
    return float(np.max(body.max(0) - body.min(0)))


def landmark_drift(model: ov.CompiledModel, refs: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Per person FP32 calls present: mean distance of landmarks 0..34 from FP32's as a
    fraction of body size, and whether INT8 also calls the person present."""
    drift, agree = [], []
    for r in refs:
        if r["fp32_presence"] < PRESENCE_THRESHOLD:
            continue
        out = model(r["crop"])
        xy = out[0].reshape(bp.NUM_LANDMARKS, 5)[:bp.SCALE_POINT + 1, :2]
        err = np.linalg.norm(xy - np.asarray(r["fp32_landmarks_crop_px"]), axis=1)
        drift.append(err.mean() / r["body_size_crop_px"])
        agree.append(float(out[1].ravel()[0]) >= PRESENCE_THRESHOLD)
    return np.asarray(drift), np.asarray(agree)


CLEAR_DETECTION = 0.65  # FP32 scores below this are marginal: INT8 may tip them under 0.5


def detector_drift(model: ov.CompiledModel, refs: list[dict], images: dict) -> dict:
    """Hip-centre/scale-point shift of matched detections (fraction of ROI size), and the
    people FP32 found that INT8 misses (clear ones, and marginal ones near the threshold)."""
    shifts, missed_clear, missed_marginal, clear = [], 0, 0, 0
    for r in refs:
        got = detect(model, images[(tuple(r["source"]), r["frame"])])
        for ref in r["detections"]:
            kp = np.asarray(ref["keypoints"])
            size = 2 * bp.ROI_SCALE * np.linalg.norm(kp[1] - kp[0])
            shift = min((np.linalg.norm(d.keypoints[:2] - kp, axis=1).mean() / size for d in got),
                        default=np.inf)
            is_clear = ref["score"] >= CLEAR_DETECTION
            clear += is_clear
            if shift > 0.1:
                missed_clear += is_clear
                missed_marginal += not is_clear
            else:
                shifts.append(shift)
    return {"keypoint_shift_mean_of_roi_size": round(float(np.mean(shifts)), 4),
            "keypoint_shift_max_of_roi_size": round(float(np.max(shifts)), 4),
            "persons": sum(len(r["detections"]) for r in refs),
            f"clear_persons_fp32_score_ge_{CLEAR_DETECTION}": clear, "clear_missed": missed_clear,
            "marginal_missed": missed_marginal}


def latency_ms(model: ov.CompiledModel, tensor: np.ndarray, runs: int = 200) -> dict:
    request = model.create_infer_request()
    for _ in range(20):
        request.infer(tensor)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        request.infer(tensor)
        times.append((time.perf_counter() - t) * 1e3)
    return {"median": round(float(np.median(times)), 2), "p99": round(float(np.percentile(times, 99)), 2)}


# ---- quantisation -----------------------------------------------------------------------

def quantize_detector(model: ov.Model, inputs: list[np.ndarray]) -> ov.Model:
    import nncf
    return nncf.quantize(model, nncf.Dataset(inputs), subset_size=len(inputs),
                         fast_bias_correction=DETECTOR_FAST_BIAS_CORRECTION,
                         ignored_scope=nncf.IgnoredScope(names=head_convs(model, HEAD_CONVS)))


def head_convs(model: ov.Model, per_output: int) -> list[str]:
    """Names of the last `per_output` convolutions before each output (breadth-first)."""
    names: list[str] = []
    for output in model.outputs:
        seen, frontier, found = set(), [output.get_node()], 0
        while frontier and found < per_output:
            upstream = []
            for node in frontier:
                for value in node.input_values():
                    parent = value.get_node()
                    if parent.get_friendly_name() in seen:
                        continue
                    seen.add(parent.get_friendly_name())
                    upstream.append(parent)
                    if parent.get_type_name() in ("Convolution", "GroupConvolution"):
                        found += 1
                        if parent.get_friendly_name() not in names:
                            names.append(parent.get_friendly_name())
            frontier = upstream
    return names


def quantize_landmark(model: ov.Model, crops: list[np.ndarray], det32, tune: list[dict]) -> ov.Model:
    import nncf
    from nncf.quantization.advanced_parameters import AdvancedAccuracyRestorerParameters

    def accuracy(compiled_model, items) -> float:
        errors = [tracking_errors(tracked(det32, compiled_model, it["images"]), it["refs"]) for it in items]
        return 1.0 - float(np.concatenate(errors).mean())

    return nncf.quantize_with_accuracy_control(
        model, nncf.Dataset(crops), nncf.Dataset(tune, lambda item: item["crop"]), accuracy,
        max_drop=MAX_DROP, drop_type=nncf.DropType.ABSOLUTE, subset_size=len(crops),
        ignored_scope=nncf.IgnoredScope(names=head_convs(model, HEAD_CONVS)),
        advanced_accuracy_restorer_parameters=AdvancedAccuracyRestorerParameters(
            ranking_subset_size=len(tune), max_num_iterations=MAX_REVERTS))


def count_float_convs(model: ov.Model) -> tuple[int, int]:
    """(convolutions whose input is not fake-quantised, all convolutions)."""
    convs = [n for n in model.get_ordered_ops() if n.get_type_name() in ("Convolution", "GroupConvolution")]
    quantised = sum(n.input_value(0).get_node().get_type_name() == "FakeQuantize" for n in convs)
    return len(convs) - quantised, len(convs)


# ---- output -----------------------------------------------------------------------------

def io_shapes(model: ov.Model) -> dict:
    def desc(ports):
        return {p.get_any_name(): {"shape": [int(d) for d in p.get_shape()], "type": p.get_element_type().get_type_name()}
                for p in ports}
    return {"inputs": desc(model.inputs), "outputs": desc(model.outputs)}


def save_ir(model: ov.Model, out_dir: Path, stem: str) -> dict[str, str]:
    xml = out_dir / f"{stem}.xml"
    ov.save_model(model, str(xml), compress_to_fp16=False)
    return {p.name: sha256_of(p) for p in (xml, xml.with_suffix(".bin"))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=ROOT / ".cache" / "models")
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "int8")
    parser.add_argument("--only-fp16", action="store_true",
                        help="rebuild only the FP16 (aarch64) files and the manifest's platforms")
    args = parser.parse_args(argv)

    args.cache.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    wheel = fetch_wheel(args.cache)
    tflite = {name: extract(wheel, member, args.cache) for name, member in MEMBERS.items()}
    fp32 = {"detector": fp32_model(tflite["detector"], None),
            "landmark": fp32_model(tflite["landmark"], LANDMARK_OUTPUTS)}
    det32, lm32 = compiled(fp32["detector"]), compiled(fp32["landmark"])
    sources = {name: {"source_member": MEMBERS[name], "source_member_sha256": sha256_of(tflite[name])}
               for name in MEMBERS}
    if args.only_fp16:
        write_fp16_platform(fp32, args.out, held_out_data(det32, lm32)[1], sources)
        print(f"wrote the FP16 models and platforms into {args.out}")
        return 0
    import nncf  # build-only dependency (`train` extra)

    print("collecting calibration, tune and held-out frames ...", flush=True)
    det_inputs, crops = calibration_data(det32, lm32, rng)
    tune = tracking_sequences(det32, lm32, fr.TUNE, TUNE_CHUNK_FRAMES)
    det_refs, lm_refs = held_out_data(det32, lm32)
    held_out_sequences = tracking_sequences(det32, lm32, fr.HELD_OUT)
    print(f"calibration: {len(det_inputs)} detector inputs, {len(crops)} landmark crops; tune: "
          f"{sum(len(t['images']) for t in tune)} tracked frames; held out: {len(det_refs)} frames, "
          f"{len(lm_refs)} persons", flush=True)

    int8 = {"detector": quantize_detector(fp32["detector"], det_inputs),
            "landmark": quantize_landmark(fp32["landmark"], crops, det32, tune)}
    det8, lm8 = compiled(int8["detector"]), compiled(int8["landmark"])

    images = {}
    for source in fr.HELD_OUT:
        for index, image in fr.frames(source):
            images[(tuple(source_id(source.path)), index)] = image
    drift, presence_agrees = landmark_drift(lm8, lm_refs)
    track_errors = {s["name"]: tracking_errors(tracked(det8, lm8, s["images"]), s["refs"])
                    for s in held_out_sequences}
    landmark_eval = {
        "per_crop": {
            "what": "landmark model alone on FP32's crop of each held-out person FP32 calls present "
                    "(presence >= 0.5): mean distance of landmarks 0..34 from FP32's over the larger "
                    "side of FP32's 33-landmark box",
            "persons": len(drift), "int8_also_present": round(float(presence_agrees.mean()), 4),
            "mean": round(float(drift.mean()), 4), "median": round(float(np.median(drift)), 4),
            "p95": round(float(np.percentile(drift, 95)), 4), "max": round(float(drift.max()), 4)},
        "tracked": {
            "what": "whole pipeline (INT8 detector + landmarks, tracking, no smoothing) vs FP32's "
                    "on held-out video: per frame mean COCO-18 joint distance over FP32's body box "
                    f"side, capped at {TRACK_ERROR_CAP} (a frame on another person or lost)",
            **{name: {"frames": len(e), "mean": round(float(e.mean()), 4),
                      "median": round(float(np.median(e)), 4),
                      "frames_at_cap": int((e >= TRACK_ERROR_CAP).sum())}
               for name, e in track_errors.items()}},
    }
    detector_eval = detector_drift(det8, det_refs, images)
    float_convs, all_convs = count_float_convs(int8["landmark"])
    latency = {"detector": {"fp32": latency_ms(det32, det_inputs[0]), "int8": latency_ms(det8, det_inputs[0])},
               "landmark": {"fp32": latency_ms(lm32, crops[0]), "int8": latency_ms(lm8, crops[0])}}
    print(json.dumps({"landmark": landmark_eval, "detector": detector_eval, "latency_ms": latency,
                      "landmark_convs_in_float": [float_convs, all_convs]}, indent=1), flush=True)

    licence = args.out / LICENCE_FILE
    with zipfile.ZipFile(wheel) as z:
        licence.write_bytes(z.read(LICENCE_MEMBER))
    converted = ("OpenVINO convert_model(tflite); FP16 weight Converts folded to f32, then constant "
                 "folding (so the depthwise kernels are quantised too)")
    how = {
        "detector": f"{converted}; NNCF quantize (INT8, full bias correction) on "
                    f"{len(det_inputs)} augmented letterboxed frames, last {HEAD_CONVS} "
                    "convolutions before each output kept float",
        "landmark": f"{converted}; pruned to outputs {', '.join(LANDMARK_OUTPUTS)}; NNCF "
                    f"quantize_with_accuracy_control on {len(crops)} augmented body crops, last "
                    f"{HEAD_CONVS} convolutions before each output "
                    f"kept float, max drop {MAX_DROP} of tracked keypoint error (body sizes) on "
                    f"{sum(len(t['images']) for t in tune)} tune video frames; {float_convs} of "
                    f"{all_convs} convolutions left in float",
    }
    models = {}
    for name in ("detector", "landmark"):
        files = save_ir(int8[name], args.out, IR_NAMES[name])
        models[name] = {
            "xml": f"{IR_NAMES[name]}.xml", "files": files,
            "source_member": MEMBERS[name], "source_member_sha256": sha256_of(tflite[name]),
            "how_built": how[name], **io_shapes(int8[name]),
            "int8_vs_fp32": landmark_eval if name == "landmark" else detector_eval,
            "latency_ms_1_thread": latency[name],
        }
    manifest = {
        "source": {"package": PACKAGE, "version": VERSION, "wheel": WHEEL, "wheel_sha256": WHEEL_SHA256,
                   "licence": "Apache-2.0", "licence_file": LICENCE_FILE,
                   "licence_file_sha256": sha256_of(licence)},
        "built": {"recipe": "python -m models.pose.build", "date": datetime.date.today().isoformat(),
                  "openvino": ov.__version__, "nncf": nncf.__version__,
                  "latency_machine": "2-core x86 VM shared with other jobs, OpenVINO CPU, 1 thread, f32 hint"},
        "models": models,
    }
    with atomic_path(args.out / MANIFEST_NAME) as tmp:
        tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    fixture = {"note": "FP32 references on held-out frames, written by models/pose/build.py",
               "landmark": [{k: v for k, v in r.items() if k != "crop"} for r in lm_refs],
               "detector": det_refs}
    with atomic_path(FIXTURE) as tmp:
        tmp.write_text(json.dumps(fixture) + "\n")
    write_fp16_platform(fp32, args.out, lm_refs, sources)
    print(f"wrote {args.out} and {FIXTURE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
