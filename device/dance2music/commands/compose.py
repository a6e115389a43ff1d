"""`dance2music compose`: music for a recorded dance (pose file, video, or folder of videos)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dance2music.composition import check_outputs, compose_sequence, write_outputs
from dance2music.errors import Dance2MusicError, InputError
from dance2music.media.mux import VIDEO_FORMATS
from dance2music.music.composer import DEFAULT_LOOKAHEAD_FRAMES
from dance2music.music.grid import GRID_KINDS
from dance2music.music.registry import COMPOSER_NAMES, composers_help
from dance2music.pose import sequence
from dance2music.pose.features import DEFAULT_REPRESENTATION, REPRESENTATIONS
from dance2music.sound.performance import SoundOptions
from dance2music.sound.worlds import DEFAULT_WORLD, WORLD_NAMES
from dance2music.video_composer import ALL_FORMATS, ComposeOptions, compose_video

POSE_SUFFIX = ".npz"
REPRESENTATION_HELP = ("pose vector: body = posture centred on the hips, independent of where "
                       "the dancer stands and where the camera is (default); paper = joints "
                       "normalised to the image, as in the paper")


def register(sub) -> None:
    p = sub.add_parser(
        "compose", help="compose music for a dance (pose file, video or folder of videos)",
        description="Compose piano music for a recorded dance. INPUT is a pose file (.npz), a "
                    "video, or a folder of videos. Outputs by extension: "
                    f"{', '.join(ALL_FORMATS)} (a video output is the input video with the "
                    "music as its sound). For a folder, -o names an output folder.")
    p.add_argument("input", type=Path, help="pose file, video file, or folder of videos")
    p.add_argument("-o", "--output", type=Path, action="append", required=True,
                   help="output file; repeat for several formats (a folder for folder input)")
    p.add_argument("--format", action="append", dest="formats", metavar="EXT",
                   help="folder input: output formats per video (default: the video's own)")
    p.add_argument("--composer", default="beam", choices=COMPOSER_NAMES,
                   help=f"which composer (default beam). {composers_help()}")
    p.add_argument("--lookahead", type=int, default=DEFAULT_LOOKAHEAD_FRAMES,
                   dest="lookahead_frames", metavar="D",
                   help="causal composers: frames of each note's own interval seen before "
                        f"deciding it, as the live loop does (default {DEFAULT_LOOKAHEAD_FRAMES})")
    p.add_argument("--k", type=int, default=6, help="frames per note at 30 fps (default 6 = 0.2 s)")
    p.add_argument("--grid", default="fixed", choices=GRID_KINDS,
                   help="fixed: one note per k frames (default); tempo: two notes per beat of "
                        "the dancer's tempo, on the beat, fixed while no pulse is found")
    p.add_argument("--beam", type=int, default=50, dest="beam_width", help="beam width (default 50)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random composers")
    p.add_argument("--representation", default=DEFAULT_REPRESENTATION, choices=REPRESENTATIONS,
                   help=REPRESENTATION_HELP)
    p.add_argument("--view", type=int, default=0, help="camera view of an AIST++ pose file")
    p.add_argument("--keep-original-audio", type=float, nargs="?", const=0.5, default=0.0,
                   metavar="LEVEL", help="mix the video's own sound under the music "
                                         "(level 0-1, default 0.5 when given; else replaced)")
    p.add_argument("--overlay", action="store_true", help="draw the skeleton on output videos")
    p.add_argument("--world", default=DEFAULT_WORLD, choices=WORLD_NAMES,
                   help=f"sound world: scale and instruments (default {DEFAULT_WORLD})")
    p.add_argument("--no-accompaniment", dest="accompaniment", action="store_false",
                   help="the melody alone, without bass and chords")
    p.set_defaults(func=run)


def _options(args) -> ComposeOptions:
    if not 0 <= args.keep_original_audio <= 1:
        raise InputError(f"--keep-original-audio: expected a level in 0..1, "
                         f"got {args.keep_original_audio}")
    return ComposeOptions(args.composer, args.k, args.beam_width, args.seed, args.representation,
                          args.keep_original_audio, args.overlay, _sound(args), args.grid,
                          args.lookahead_frames)


def _sound(args) -> SoundOptions:
    return SoundOptions(world=args.world, accompaniment=args.accompaniment)


def run(args: argparse.Namespace) -> int:
    if args.input.is_dir():
        return _run_folder(args)
    if args.input.suffix.lower() == POSE_SUFFIX:
        return _run_pose_file(args)
    compose_video(args.input, args.output, _options(args), progress=sys.stderr.isatty())
    for path in args.output:
        print(f"wrote {path}")
    return 0


def _run_pose_file(args) -> int:
    check_outputs(args.output, inputs=(args.input,))
    seq = sequence.load(args.input, view=args.view)
    try:
        composition = compose_sequence(seq, args.composer, args.k, args.beam_width, args.seed,
                                       args.representation, args.grid, args.lookahead_frames)
    except InputError as e:
        raise InputError(f"{args.input}: {e}") from None
    write_outputs(composition, args.output, sound=_sound(args))
    for path in args.output:
        print(f"wrote {path}")
    return 0


def _run_folder(args) -> int:
    if len(args.output) != 1 or not args.output[0].is_dir():
        raise InputError(f"{args.input} is a folder: give one existing output folder with -o")
    out_dir = args.output[0]
    formats = [f if f.startswith(".") else f".{f}" for f in (args.formats or [])]
    videos = sorted(p for p in args.input.iterdir()
                    if p.is_file() and not p.name.startswith(".")
                    and p.suffix.lower() not in (POSE_SUFFIX, ".txt", ".md", ".json"))
    if not videos:
        raise InputError(f"{args.input}: no video files in this folder")
    options = _options(args)
    failed = []
    for video in videos:
        own = video.suffix.lower() if video.suffix.lower() in VIDEO_FORMATS else ".mp4"
        outputs = [out_dir / (video.stem + ext) for ext in (formats or [own])]
        try:
            compose_video(video, outputs, options, progress=sys.stderr.isatty())
            for path in outputs:
                print(f"wrote {path}")
        except Dance2MusicError as e:
            print(f"dance2music compose: error: {e}", file=sys.stderr)
            failed.append(video)
    if failed:
        print(f"dance2music compose: {len(failed)} of {len(videos)} videos failed",
              file=sys.stderr)
        return 1
    return 0
