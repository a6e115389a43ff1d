"""Live loudness calibration: the gain that brings each world to TARGET_LUFS at volume 0 dB.

Live music cannot be normalised after the fact, so each world's level is measured once, on a
reference performance (the shared AIST++ dances, front view, end to end: 84 s of 7
choreographies, composed greedily, with accompaniment and dynamics) rendered at the synth's
default gain, and kept in LEVEL_DB below; the loudness follower (synth.leveller) corrects what
a particular dancer changes. Re-measure after changing a world, the dynamics or the SoundFont:
`python -m dance2music.sound.calibration [AISTPP_DIR]` prints the table
(tests/test_calibration.py fails when it is stale)."""

from __future__ import annotations

import sys
from pathlib import Path

from dance2music.sound.worlds import WORLD_NAMES, get_world

REFERENCE_DANCES = Path(__file__).resolve().parents[4] / "shared" / "data" / "aistpp_break"

# Gain (dB) from the synth's default output to TARGET_LUFS; measured by measure_db().
LEVEL_DB: dict[str, float] = {
    "piano": 9.83,
    "mallets": 9.03,
    "night": 7.20,
    "blues": 7.13,
    "koto": 9.46,
    "dream": 7.28,
}


def gain_db(world: str) -> float:
    """Live gain for `world` at volume 0 dB."""
    return LEVEL_DB[get_world(world).name]


def reference_dance(folder: Path = REFERENCE_DANCES):
    """The AIST++ clips in `folder` (front view, 30 fps) end to end, as one pose sequence."""
    import numpy as np

    from dance2music.pose import sequence

    clips = [sequence.load(path).resampled(30) for path in sorted(folder.glob("*.npz"))]
    if not clips:
        raise FileNotFoundError(f"{folder}: no AIST++ clips (../shared/data/aistpp_break)")
    return sequence.PoseSequence(np.concatenate([c.keypoints for c in clips]), clips[0].fps,
                                 clips[0].image_size)


def measure_db(world: str, folder: Path = REFERENCE_DANCES) -> float:
    # The whole engine and scipy (seconds to import on a Pi): only to measure, never live.
    from dance2music.composition import compose_sequence
    from dance2music.config import AudioSettings
    from dance2music.sound.performance import SoundOptions
    from dance2music.synth import fluid, loudness

    composition = compose_sequence(reference_dance(folder), "greedy")
    performance = composition.performed(SoundOptions(world))
    settings = AudioSettings()
    raw = fluid.render(performance.notes, settings, programs=performance.programs)
    return loudness.TARGET_LUFS - loudness.integrated_lufs(raw, settings.sample_rate_hz)


def main() -> int:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else REFERENCE_DANCES
    print("LEVEL_DB: dict[str, float] = {")
    for world in WORLD_NAMES:
        print(f'    "{world}": {measure_db(world, folder):.2f},')
    print("}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
