"""Pose sequences from video files: every decoded frame through a pose estimator."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
from tqdm import tqdm

from dance2music.files import atomic_path
from dance2music.media.video import VideoReader, VideoWriter
from dance2music.pose.estimator import OpenVinoPose, PoseEstimator
from dance2music.pose.overlay import draw_skeleton
from dance2music.pose.sequence import PoseSequence


def extract_poses(video_path: str | Path, estimator: PoseEstimator | None = None,
                  progress: bool = False, overlay_path: str | Path | None = None) -> PoseSequence:
    """The pose of the tracked person in every frame of `video_path`, at the video's own
    timestamps (call .resampled(30) for the music engine). With `overlay_path`, also writes
    an H.264 video of the frames with the skeleton drawn (atomically, only on success)."""
    with contextlib.ExitStack() as stack:
        video = stack.enter_context(VideoReader(video_path))
        if estimator is None:
            estimator = OpenVinoPose()
            stack.callback(estimator.close)
        estimator.reset()
        writer = None
        if overlay_path is not None:
            tmp = stack.enter_context(atomic_path(overlay_path))
            writer = stack.enter_context(VideoWriter(tmp, video.info.fps, video.info.size))
        keypoints, times = [], []
        for frame in tqdm(video, total=video.info.frame_count or None, disable=not progress,
                          unit="frame", desc=Path(video_path).name):
            result = estimator.estimate(frame.image, frame.timestamp_s)
            keypoints.append(result.keypoints)
            times.append(frame.timestamp_s)
            if writer:
                writer.write(draw_skeleton(frame.image, result.keypoints))
    return PoseSequence(np.stack(keypoints).astype(np.float32), video.info.fps, video.info.size,
                        np.asarray(times, dtype=np.float64))
