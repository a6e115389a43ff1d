"""Live loudness calibration: the gain that brings each world to TARGET_LUFS at volume 0 dB.

Live music cannot be normalised after the fact, so each world's level is measured once, on a
reference performance (the bundled demo dance, composed greedily, with accompaniment and
dynamics) rendered at the synth's default gain, and kept in LEVEL_DB below. Re-measure after
changing a world, the dynamics or the SoundFont: `python -m dance2music.sound.calibration`
prints the table (tests/test_calibration.py fails when it is stale)."""

from __future__ import annotations

import sys
from pathlib import Path

from dance2music.sound.worlds import WORLD_NAMES, get_world

REFERENCE_DANCE = Path(__file__).resolve().parents[3] / "assets" / "demo" / "aistpp_ch01_front.npz"

# Gain (dB) from the synth's default output to TARGET_LUFS; measured by measure_db().
LEVEL_DB: dict[str, float] = {
    "piano": 15.58,
    "mallets": 15.41,
    "night": 13.24,
    "blues": 16.73,
    "koto": 15.99,
    "dream": 14.60,
}


def gain_db(world: str) -> float:
    """Live gain for `world` at volume 0 dB."""
    return LEVEL_DB[get_world(world).name]


def measure_db(world: str, dance: Path = REFERENCE_DANCE) -> float:
    # The whole engine and scipy (seconds to import on a Pi): only to measure, never live.
    from dance2music.composition import compose_sequence
    from dance2music.pose import sequence
    from dance2music.sound.performance import SoundOptions
    from dance2music.synth import fluid, loudness

    composition = compose_sequence(sequence.load(dance), "greedy")
    performance = composition.performed(SoundOptions(world))
    settings = fluid.SynthSettings()
    raw = fluid.render(performance.notes, settings, programs=performance.programs)
    return loudness.TARGET_LUFS - loudness.integrated_lufs(raw, settings.sample_rate_hz)


def main() -> int:
    print("LEVEL_DB: dict[str, float] = {")
    for world in WORLD_NAMES:
        print(f'    "{world}": {measure_db(world):.2f},')
    print("}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
