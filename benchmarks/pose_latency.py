"""Pose estimation speed and agreement, measured in one run on the same videos:

1. per-frame latency of the INT8 pipeline (OpenVINO CPU, 1 inference thread): tracked frames
   (rotated crop + landmark model) and detector frames (detector + crop + landmark model),
   median and p99, against the targets (tracked <= 5 ms, detector <= 10 ms);
2. side by side with mediapipe 0.10.14's own pose solution (same "full" landmark model) run
   by a separate interpreter from a throwaway venv: frames per second of each (decoding
   excluded) and keypoint agreement, as the median distance between the two pipelines'
   COCO-18 joints in % of torso length (goal: >= 1.5x mediapipe's speed, < 5 %);
3. whole-video extraction speed including decoding (extract_poses).

    python benchmarks/pose_latency.py [--mediapipe-python /tmp/mp-venv/bin/python]
The mediapipe venv: python3.11 -m venv /tmp/mp-venv &&
    /tmp/mp-venv/bin/pip install "numpy<2" mediapipe==0.10.14 av
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from dance2music.media.video import VideoReader
from dance2music.pose import blazepose as bp
from dance2music.pose.estimator import PRESENCE_THRESHOLD, OpenVinoPose
from dance2music.pose.extract import extract_poses
from dance2music.pose.skeleton import L_HIP, NECK, R_HIP

ROOT = Path(__file__).resolve().parents[1]
VIDEOS = [ROOT.parent / "shared" / "data" / "video" / name
          for name in ("pose2sim_cam01.mp4", "sports2d_demo.mp4")]
RUNNER = Path(__file__).with_name("mediapipe_pose_runner.py")
TARGET_TRACKED_MS, TARGET_DETECTOR_MS = 5.0, 10.0
GOAL_SPEEDUP, GOAL_DISAGREEMENT_PCT = 1.5, 5.0


def decoded(path: Path) -> list:
    with VideoReader(path) as video:
        return list(video)


def per_frame_ms(frames: list) -> tuple[list[float], list[float], np.ndarray]:
    """Our pipeline over the frames, tracking as live: (tracked ms, detector ms, keypoints)."""
    tracked, detector, keypoints = [], [], []
    with OpenVinoPose() as est:
        for f in frames[:5]:  # warm-up
            est.estimate(f.image, f.timestamp_s)
        est.reset()
        for f in frames:
            t = time.perf_counter()
            r = est.estimate(f.image, f.timestamp_s)
            ms = (time.perf_counter() - t) * 1e3
            (detector if r.ran_detector else tracked).append(ms)
            keypoints.append(r.keypoints if r.presence >= PRESENCE_THRESHOLD else np.full((18, 3), np.nan))
    return tracked, detector, np.asarray(keypoints)


def forced_detector_ms(frames: list, limit: int = 60) -> list[float]:
    """Frames where the detector runs because the track was forgotten (person in view)."""
    out = []
    with OpenVinoPose() as est:
        for f in frames[:limit]:
            est.reset()
            t = time.perf_counter()
            r = est.estimate(f.image, f.timestamp_s)
            if r.presence >= PRESENCE_THRESHOLD:
                out.append((time.perf_counter() - t) * 1e3)
    return out


def run_mediapipe(python: str, video: Path) -> tuple[np.ndarray, np.ndarray] | None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "mp.npz"
        proc = subprocess.run([python, str(RUNNER), str(video), str(out)], capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"  mediapipe failed on {video.name}: {proc.stderr.strip().splitlines()[-1:]}")
            return None
        data = np.load(out)
        return data["landmarks"], data["ms"]


def mediapipe_coco18(landmarks: np.ndarray) -> np.ndarray:
    out = []
    for lm in landmarks:
        if lm[0, 3] == 0:
            out.append(np.full((18, 3), np.nan))
            continue
        xy = np.zeros((bp.NUM_LANDMARKS, 2), dtype=np.float32)
        vis = np.zeros(bp.NUM_LANDMARKS, dtype=np.float32)
        xy[:33], vis[:33] = lm[:, :2], lm[:, 2]
        out.append(bp.to_coco18(xy, vis))
    return np.asarray(out)


def disagreement_pct(ours: np.ndarray, theirs: np.ndarray) -> tuple[float, int]:
    """Median joint distance in % of torso length (mediapipe's neck to hip centre), over the
    joints both call visible (confidence >= 0.5) in frames where both found the person."""
    hip = (theirs[:, R_HIP, :2] + theirs[:, L_HIP, :2]) / 2
    torso = np.linalg.norm(theirs[:, NECK, :2] - hip, axis=1)
    dist = np.linalg.norm(ours[:, :, :2] - theirs[:, :, :2], axis=2) / torso[:, None]
    both = (ours[:, :, 2] >= 0.5) & (theirs[:, :, 2] >= 0.5) & np.isfinite(dist)
    return float(np.median(dist[both]) * 100), int(both.any(axis=1).sum())


def stats(ms) -> str:
    return f"{np.median(ms):6.2f} {np.percentile(ms, 99):6.2f} {len(ms):5d}" if len(ms) else "   n/a"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mediapipe-python", default="/tmp/mp-venv/bin/python")
    args = parser.parse_args()
    have_mp = Path(args.mediapipe_python).exists()
    if not have_mp:
        print(f"mediapipe interpreter {args.mediapipe_python} not found: comparison skipped")
    all_tracked, all_detector, rows = [], [], []
    for video in VIDEOS:
        frames = decoded(video)
        tracked, detector, ours = per_frame_ms(frames)
        ours_fps = len(frames) / (sum(tracked) + sum(detector)) * 1e3
        all_tracked += tracked
        all_detector += detector + forced_detector_ms(frames)
        row = {"video": video.name, "frames": len(frames), "ours_fps": ours_fps}
        if have_mp and (mp := run_mediapipe(args.mediapipe_python, video)):
            landmarks, mp_ms = mp
            row["mp_fps"] = len(frames) / mp_ms.sum() * 1e3
            row["disagreement"], row["compared"] = disagreement_pct(ours, mediapipe_coco18(landmarks))
        t = time.perf_counter()
        extract_poses(video)
        row["extract_fps"] = len(frames) / (time.perf_counter() - t)
        rows.append(row)

    print("\nper-frame latency, INT8 OpenVINO CPU, 1 inference thread (ms)")
    print(f"{'frame kind':<16}{'median':>7}{'p99':>7}{'n':>6}  target")
    print(f"{'tracked':<16}{stats(all_tracked)}  median <= {TARGET_TRACKED_MS} ms: "
          f"{'PASS' if np.median(all_tracked) <= TARGET_TRACKED_MS else 'FAIL'}")
    print(f"{'detector':<16}{stats(all_detector)}  median <= {TARGET_DETECTOR_MS} ms: "
          f"{'PASS' if np.median(all_detector) <= TARGET_DETECTOR_MS else 'FAIL'}")
    print("\nwhole videos (pose fps excludes decoding; extraction fps includes it)")
    print(f"{'video':<22}{'frames':>7}{'ours fps':>10}{'mediapipe fps':>15}{'speed-up':>10}"
          f"{'disagree %torso':>17}{'extract fps':>13}")
    for r in rows:
        mp_fps = r.get("mp_fps")
        speedup = f"{r['ours_fps'] / mp_fps:9.2f}x" if mp_fps else "       n/a"
        disagree = f"{r['disagreement']:9.2f} ({r['compared']} fr)" if mp_fps else "n/a".rjust(17)
        print(f"{r['video']:<22}{r['frames']:>7}{r['ours_fps']:>10.1f}"
              f"{(f'{mp_fps:.1f}' if mp_fps else 'n/a'):>15}{speedup:>10}{disagree:>17}{r['extract_fps']:>13.1f}")
    if have_mp and all("mp_fps" in r for r in rows):
        ok_speed = all(r["ours_fps"] >= GOAL_SPEEDUP * r["mp_fps"] for r in rows)
        ok_agree = all(r["disagreement"] < GOAL_DISAGREEMENT_PCT for r in rows)
        print(f"\ngoal >= {GOAL_SPEEDUP}x mediapipe's fps: {'PASS' if ok_speed else 'FAIL'}; "
              f"median disagreement < {GOAL_DISAGREEMENT_PCT}% of torso: {'PASS' if ok_agree else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
