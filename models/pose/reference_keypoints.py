"""Regenerates tests/fixtures/pose/reference_keypoints.json: COCO-18 keypoints from the FP32
BlazePose models (the unquantised conversion of the same wheel), run through the runtime's
own tracking pipeline without smoothing, plus overlay PNGs in --review for a person to check
before committing the JSON.

    python -m models.pose.reference_keypoints --review /tmp/review
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from dance2music.media.video import VideoReader
from dance2music.pose.estimator import OpenVinoPose
from dance2music.pose.overlay import draw_skeleton
from models.pose import build
from models.pose import frames as fr

OUT = build.ROOT / "tests" / "fixtures" / "pose" / "reference_keypoints.json"
IMAGES = ("messi5.jpg", "basketball1.png")
# Frames where the tracked person is clearly visible (sports2d frame 0 is a backlit, tiny
# person the detector misses; from ~170 on the track may pass to the second person).
VIDEO_FRAMES = {"pose2sim_cam01.mp4": (0, 40, 80, 99), "sports2d_demo.mp4": (60, 120)}


def fp32_model_dir(cache: Path) -> Path:
    """FP32 IR of both models with a manifest, so OpenVinoPose can load them."""
    out = cache / "fp32"
    out.mkdir(parents=True, exist_ok=True)
    wheel = build.fetch_wheel(cache)
    models = {}
    for name, member in build.MEMBERS.items():
        keep = build.LANDMARK_OUTPUTS if name == "landmark" else None
        model = build.fp32_model(build.extract(wheel, member, cache), keep)
        models[name] = {"xml": f"{name}_fp32.xml", "files": build.save_ir(model, out, f"{name}_fp32")}
    (out / "manifest.json").write_text(json.dumps({"models": models}))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=build.ROOT / ".cache" / "models")
    parser.add_argument("--review", type=Path, required=True, help="folder for overlay PNGs")
    args = parser.parse_args()
    args.review.mkdir(parents=True, exist_ok=True)
    refs = []
    with OpenVinoPose(fp32_model_dir(args.cache), smoothing=False) as est:
        def record(kind, name, index, image, result):
            refs.append({"source": [kind, name], "frame": index, "presence": round(result.presence, 4),
                         "keypoints": np.round(result.keypoints.astype(float), 2).tolist()})
            cv2.imwrite(str(args.review / f"{name}_{index}.png"), draw_skeleton(image, result.keypoints))

        for name in IMAGES:
            image = cv2.imread(str(fr.OPENCV_DATA / name))
            est.reset()
            est.estimate(image, 0.0)  # detector; the second call runs on the tracked crop
            record("opencv-doc", name, 0, image, est.estimate(image, 1 / 30))
        for name, picks in VIDEO_FRAMES.items():
            est.reset()
            with VideoReader(fr.SHARED_VIDEO / name) as video:
                for frame in video:
                    result = est.estimate(frame.image, frame.timestamp_s)
                    if frame.index in picks:
                        record("shared-video", name, frame.index, frame.image, result)
    lines = ",\n".join(json.dumps(r) for r in refs)
    OUT.write_text('{"note": "COCO-18 keypoints from the FP32 models (python -m '
                   'models.pose.reference_keypoints), reviewed by eye on overlays",\n'
                   f'"references": [\n{lines}\n]}}\n')
    print(f"wrote {OUT}; review the overlays in {args.review}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
