"""The offline approach as a tool: a dance video in, the same video with its own music out."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from dance2music.composition import OUTPUT_FORMATS, check_outputs, compose_sequence, write_outputs
from dance2music.errors import InputError
from dance2music.media import mux
from dance2music.music.composer import DEFAULT_LOOKAHEAD_FRAMES
from dance2music.pose.features import DEFAULT_REPRESENTATION
from dance2music.pose.extract import extract_poses
from dance2music.pose.overlay import draw_skeleton
from dance2music.synth import fluid

ALL_FORMATS = OUTPUT_FORMATS + mux.VIDEO_FORMATS


@dataclasses.dataclass(frozen=True)
class ComposeOptions:
    composer: str = "beam"
    k: int = 6
    beam_width: int = 50
    seed: int = 0
    representation: str = DEFAULT_REPRESENTATION
    original_audio_level: float = 0.0  # > 0: mix the video's own sound in at this level
    overlay: bool = False  # draw the skeleton on the video
    lookahead_frames: int = DEFAULT_LOOKAHEAD_FRAMES  # causal composers, as the live loop


def compose_video(video: Path, outputs: list[Path], options: ComposeOptions = ComposeOptions(),
                  progress: bool = False, synth: fluid.SynthSettings = fluid.SynthSettings()
                  ) -> dict[str, float]:
    """Compose music for `video` and write every output; returns seconds per stage."""
    check_outputs(outputs, ALL_FORMATS, source=video)
    seconds: dict[str, float] = {}
    stages = tqdm(total=4, disable=not progress, desc=video.name, unit="stage",
                  bar_format="{desc}: {n}/{total} stages {postfix}")
    clock = time.perf_counter()

    def done(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[stage] = now - clock
        clock = now
        stages.update()

    with stages:
        stages.set_postfix_str("poses")
        poses = extract_poses(video, progress=progress)
        done("poses")
        stages.set_postfix_str("compose")
        try:
            composition = compose_sequence(poses, options.composer, options.k, options.beam_width,
                                           options.seed, options.representation,
                                           options.lookahead_frames)
        except InputError as e:
            raise InputError(f"{video}: {e}") from None
        done("compose")
        stages.set_postfix_str("render")
        start_s, duration_s = mux.video_span_s(video)
        music = fluid.render(composition.timed_notes(), synth, duration_s=duration_s)
        done("render")
        stages.set_postfix_str("write")
        files = [o for o in outputs if o.suffix.lower() in OUTPUT_FORMATS]
        write_outputs(composition, files, synth)
        videos = [o for o in outputs if o.suffix.lower() in mux.VIDEO_FORMATS]
        if videos:
            original = (mux.original_audio(video, synth.sample_rate_hz, len(music))
                        if options.original_audio_level > 0 else None)
            sound = mux.mix(music, original, options.original_audio_level)
            draw = _skeleton_drawer(poses, start_s) if options.overlay else None
            for out in videos:
                mux.write_video_with_music(video, out, sound, synth.sample_rate_hz, start_s, draw)
        done("mux")
    return seconds


def _skeleton_drawer(poses, start_s: float):
    """Draws, on the frame shown at a time, the pose estimated from that frame."""
    times = poses.times()

    def draw(image: np.ndarray, time_s: float) -> np.ndarray:
        i = int(np.clip(np.searchsorted(times, time_s - start_s + 1e-4) - 1, 0, len(times) - 1))
        return draw_skeleton(image, poses.keypoints[i])

    return draw
