"""Sound benchmark (issue 15): loudness and true peak per world (composed and live path),
velocity against movement energy, velocity range with stillness, accompaniment clashes, and
what the worlds' voices cost FluidSynth, each beside a reference measured in the same run.

    .venv/bin/python benchmarks/sound.py [--views 9] [--json out.json]

Data: the shared AIST++ clips (../shared/data/aistpp_break, or DANCE2MUSIC_AISTPP_DIR)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from dance2music.composition import compose_sequence  # noqa: E402
from dance2music.config import AudioSettings  # noqa: E402
from dance2music.pose import sequence  # noqa: E402
from dance2music.sound import calibration  # noqa: E402
from dance2music.sound.accompaniment import clashes  # noqa: E402
from dance2music.sound.dynamics import Dynamics  # noqa: E402
from dance2music.sound.movement import dance_motion  # noqa: E402
from dance2music.sound.performance import SoundOptions, render_performance  # noqa: E402
from dance2music.sound.worlds import LAYER_CHANNELS, MELODY_CHANNEL, WORLD_NAMES  # noqa: E402
from dance2music.synth import fluid, loudness  # noqa: E402
from dance2music.synth.output import LimitedRenderer  # noqa: E402
from models import dance_data  # noqa: E402

RATE = 48000
BLOCK = 512


def count_clashes(notes) -> tuple[int, int]:
    """(clashing pairs, melody onsets): accompaniment a semitone from a melody note at its onset."""
    melody = [n for n in notes if n.channel == MELODY_CHANNEL]
    others = [n for n in notes if n.channel not in (MELODY_CHANNEL, *LAYER_CHANNELS)]
    bad = sum(1 for m in melody for o in others
              if o.start_s <= m.start_s + 1e-9 < o.end_s and clashes(m.midi, o.midi))
    return bad, len(melody)


def live_render(performance, world: str) -> tuple[np.ndarray, float]:
    """The performance through the live path (float render, calibrated gain, limiter) in
    BLOCK-frame blocks as the paced output renders them; (audio, CPU seconds)."""
    fs = fluid._import_fluidsynth()
    settings = AudioSettings()
    synth, seq, dest = fluid.open_synth(settings, performance.programs)
    try:
        renderer = LimitedRenderer(fs, synth, RATE, level_db=calibration.gain_db(world))
        origin = seq.get_tick()
        for n in performance.notes:
            seq.note_off(origin + round(n.end_s * RATE), n.channel, n.midi, dest=dest)
        for n in performance.notes:
            seq.note_on(origin + round(n.start_s * RATE), n.channel, n.midi, n.velocity, dest=dest)
        total = round((max(n.end_s for n in performance.notes) + 1.0) * RATE)
        start = time.process_time()
        audio = np.concatenate([renderer.render(BLOCK) for _ in range(0, total, BLOCK)])
        return audio, time.process_time() - start
    finally:
        seq.delete()
        synth.delete()


def velocity_with_stillness(vectors: np.ndarray) -> int:
    """Velocity range on the dance with 4 s of held pose in its middle."""
    mid = len(vectors) // 2
    still = np.repeat(vectors[mid:mid + 1], 120, axis=0)
    dyn = Dynamics()
    vel = [dyn.velocity(m) for m in dance_motion(np.concatenate([vectors[:mid], still,
                                                                  vectors[mid:]]), 6, 30.0)]
    return max(vel) - min(vel)


def end_to_end(dances: list[sequence.PoseSequence]) -> sequence.PoseSequence:
    return sequence.PoseSequence(np.concatenate([d.keypoints for d in dances]), dances[0].fps,
                                 dances[0].image_size)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--views", type=int, default=9, help="camera views per clip (1-9)")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    clips = [(ch, view) for ch in sorted(dance_data.TRAIN_CHOREOGRAPHIES
                                         + dance_data.TEST_CHOREOGRAPHIES)
             for view in range(args.views)]
    compositions = {c: compose_sequence(sequence.load(dance_data.clip_path(c[0]), view=c[1]),
                                        "greedy") for c in clips}
    figures: dict = {"clips": len(clips)}
    long_dance = compose_sequence(end_to_end([sequence.load(dance_data.clip_path(ch)).resampled(30)
                                              for ch, view in clips if view == 0]), "greedy")

    print(f"## Dynamics ({len(clips)} AIST++ dances: 7 choreographies x {args.views} views)")
    rs, ranges = {}, []
    for (ch, _), comp in compositions.items():
        motions = dance_motion(comp.vectors, comp.k, comp.fps)
        dyn = Dynamics()
        vel = np.array([dyn.velocity(m) for m in motions])
        energy = np.array([m.energy for m in motions])
        rs.setdefault(ch in dance_data.TEST_CHOREOGRAPHIES, []).append(
            np.corrcoef(vel, energy)[0, 1])
        ranges.append(velocity_with_stillness(comp.vectors))
    for held_out, name in ((False, "training choreographies (parameters chosen on these)"),
                           (True, "held-out choreographies")):
        r = rs[held_out]
        figures[f"velocity_energy_r_{'held_out' if held_out else 'train'}"] = [
            float(np.min(r)), float(np.mean(r)), float(np.max(r))]
        print(f"velocity vs interval energy, Pearson r, {name}: min {np.min(r):.2f} mean "
              f"{np.mean(r):.2f} max {np.max(r):.2f} over {len(r)} dances (goal >= 0.6; "
              "before: constant velocity 100, no correlation)")
    figures["velocity_range_with_stillness"] = [int(min(ranges)), int(max(ranges))]
    print(f"velocity range with 4 s of stillness inserted: {min(ranges)}..{max(ranges)} MIDI "
          "steps (goal >= 40; before: 0)\n")

    print("## Per world: every dance's clashes; a long dance (the 7 choreographies end to end, "
          "84 s) as a normalised WAV and through the live path (calibrated level, loudness "
          "follower, limiter)")
    print("| world | clashes / melody onsets | composed LUFS | composed dBTP | live LUFS, whole "
          "| live LUFS, 2nd half | live max dBTP | live render CPU % of real time |")
    print("|---|---|---|---|---|---|---|---|")
    per_world = {}
    for world in WORLD_NAMES:
        bad = onsets = 0
        for comp in compositions.values():
            b, o = count_clashes(comp.performed(SoundOptions(world)).notes)
            bad, onsets = bad + b, onsets + o
        perf = long_dance.performed(SoundOptions(world))
        wav = render_performance(perf)
        audio, took = live_render(perf, world)
        half = audio[len(audio) // 2:]
        row = {"clashes": bad, "melody_onsets": onsets,
               "composed_lufs": loudness.integrated_lufs(wav, RATE),
               "composed_dbtp": loudness.true_peak_dbtp(wav),
               "live_lufs": loudness.integrated_lufs(audio, RATE),
               "live_lufs_second_half": loudness.integrated_lufs(half, RATE),
               "live_dbtp": loudness.true_peak_dbtp(audio),
               "live_cpu_percent": 100 * took / (len(audio) / RATE)}
        per_world[world] = row
        print(f"| {world} | {bad} / {onsets} | {row['composed_lufs']:.2f} | "
              f"{row['composed_dbtp']:.2f} | {row['live_lufs']:.2f} | "
              f"{row['live_lufs_second_half']:.2f} | {row['live_dbtp']:.2f} | "
              f"{row['live_cpu_percent']:.1f} |")
    figures["worlds"] = per_world
    # Reference in the same run: the paper's music (piano melody alone) through the same path.
    audio, took = live_render(long_dance.performed(SoundOptions("piano", accompaniment=False)),
                              "piano")
    ref = 100 * took / (len(audio) / RATE)
    figures["reference_piano_melody_cpu_percent"] = ref
    print(f"\nreference: piano melody alone (the paper's music) costs {ref:.1f} % of real time "
          "on the same path; goals: -16 +-1 LUFS, <= -1 dBTP, 0 clashes")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
