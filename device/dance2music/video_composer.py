"""The offline approach as a tool: a dance video in, the same video with its own music out."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from dance2music.composition import OUTPUT_FORMATS, check_outputs, compose_sequence, write_outputs
from dance2music.config import AudioSettings
from dance2music.errors import InputError
from dance2music.files import all_or_nothing
from dance2music.media import mux
from dance2music.music.composer import DEFAULT_LOOKAHEAD_FRAMES
from dance2music.music.grid import GridKind
from dance2music.pose.features import DEFAULT_REPRESENTATION
from dance2music.pose.extract import extract_poses
from dance2music.pose.overlay import draw_skeleton
from dance2music.report.strip import draw_note_strip
from dance2music.sound.performance import SoundOptions, render_performance

ALL_FORMATS = OUTPUT_FORMATS + mux.VIDEO_FORMATS


@dataclasses.dataclass(frozen=True)
class ComposeOptions:
    composer: str = "beam"
    k: int = 6
    beam_width: int = 50
    seed: int = 0
    representation: str = DEFAULT_REPRESENTATION
    original_audio_level: float = 0.0  # > 0: mix the video's own sound in at this level
    overlay: bool = False  # draw the skeleton and the notes on the video
    sound: SoundOptions = SoundOptions()
    grid: GridKind = "fixed"  # or "tempo": notes on the dancer's beat
    lookahead_frames: int = DEFAULT_LOOKAHEAD_FRAMES  # causal composers, as the live loop


def compose_video(video: Path, outputs: list[Path], options: ComposeOptions = ComposeOptions(),
                  progress: bool = False, synth: AudioSettings = AudioSettings()
                  ) -> dict[str, float]:
    """Compose music for `video` and write every output; returns seconds per stage."""
    check_outputs(outputs, ALL_FORMATS, inputs=(video,))
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
                                           options.seed, options.representation, options.grid,
                                           options.lookahead_frames)
        except InputError as e:
            raise InputError(f"{video}: {e}") from None
        done("compose")
        stages.set_postfix_str("render")
        start_s, duration_s = mux.video_span_s(video)
        performance = composition.performed(options.sound)
        music = render_performance(performance, synth, duration_s)
        done("render")
        stages.set_postfix_str("write")
        with all_or_nothing():
            files = [o for o in outputs if o.suffix.lower() in OUTPUT_FORMATS]
            write_outputs(composition, files, synth, options.sound)
            videos = [o for o in outputs if o.suffix.lower() in mux.VIDEO_FORMATS]
            if videos:
                original = (mux.original_audio(video, synth.sample_rate_hz, len(music))
                            if options.original_audio_level > 0 else None)
                sound = mux.mix(music, original, options.original_audio_level)
                draw = (_overlay_drawer(poses, performance.melody(), start_s)
                        if options.overlay else None)
                for out in videos:
                    mux.write_video_with_music(video, out, sound, synth.sample_rate_hz, start_s,
                                               draw)
        done("mux")
    return seconds


def _overlay_drawer(poses, notes, start_s: float):
    """Draws, on the frame shown at a time, the pose estimated from that frame and the notes
    sounding around it (note times count from the first frame, `start_s`)."""
    times = poses.times()

    def draw(image: np.ndarray, time_s: float) -> np.ndarray:
        i = int(np.clip(np.searchsorted(times, time_s - start_s + 1e-4) - 1, 0, len(times) - 1))
        return draw_note_strip(draw_skeleton(image, poses.keypoints[i]), notes, time_s - start_s)

    return draw
