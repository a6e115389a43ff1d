"""`dance2music poses VIDEO -o POSES.npz [--overlay OUT.mp4]`: extract a pose sequence."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dance2music.files import all_or_nothing, check_outputs
from dance2music.pose.estimator import OpenVinoPose
from dance2music.pose.extract import extract_poses
from dance2music.pose.sequence import save
from dance2music.pose.skeleton import NECK


def register(subparsers) -> None:
    p = subparsers.add_parser("poses", help="extract the dancer's poses from a video file",
                              description=__doc__)
    p.add_argument("video", type=Path, help="video file (anything FFmpeg decodes)")
    p.add_argument("-o", "--output", type=Path, required=True, help="pose sequence to write (.npz)")
    p.add_argument("--overlay", type=Path, help="also write the video with the skeleton drawn (.mp4)")
    p.add_argument("--no-smoothing", action="store_true", help="raw per-frame keypoints")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    check_outputs([p for p in (args.output, args.overlay) if p is not None], inputs=(args.video,))
    with OpenVinoPose(smoothing=not args.no_smoothing) as estimator, all_or_nothing():
        seq = extract_poses(args.video, estimator, progress=sys.stderr.isatty(),
                            overlay_path=args.overlay)
        save(seq, args.output)
    seen = float((seq.keypoints[:, NECK, 2] > 0).mean())
    print(f"{args.output}: {len(seq)} frames, {seq.times()[-1]:.2f} s, {seq.image_size[0]}x"
          f"{seq.image_size[1]}, person found in {seen:.0%} of frames")
    return 0
