"""Runs mediapipe 0.10.14's own pose solution (full model) over a video, for
benchmarks/pose_latency.py. Executed by a separate interpreter that has mediapipe installed
(a throwaway venv: mediapipe is never part of the device install).

    python mediapipe_pose_runner.py VIDEO OUT.npz
writes: landmarks float32 (T, 33, 4) x, y in pixels, visibility, found flag; ms float64 (T,)
(wall time of each Pose.process call, decoding excluded)."""

import sys
import time

import av
import mediapipe as mp
import numpy as np


def main(video: str, out: str) -> None:
    with av.open(video) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    h, w = frames[0].shape[:2]
    landmarks = np.zeros((len(frames), 33, 4), dtype=np.float32)
    ms = np.zeros(len(frames))
    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1, smooth_landmarks=True,
                                enable_segmentation=False) as pose:
        for i, rgb in enumerate(frames):
            t = time.perf_counter()
            result = pose.process(rgb)
            ms[i] = (time.perf_counter() - t) * 1e3
            if result.pose_landmarks:
                for j, lm in enumerate(result.pose_landmarks.landmark):
                    landmarks[i, j] = (lm.x * w, lm.y * h, lm.visibility, 1.0)
    np.savez(out, landmarks=landmarks, ms=ms)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
