"""Tempo tracking and the tempo grid, measured (issue 16).

    python benchmarks/tempo.py [--no-video]

- Tempo on the 63 shared AIST++ clips (7 choreographies x 9 views, danced to 80 BPM): the
  last estimate within +-4%, at half or double tempo, locked at the end, seconds to lock.
  ch01 ch02 ch04 ch07 were looked at while designing the tracker; ch05 ch08 ch10 were not.
- Synthetic pulses at known tempi; dances without pulse (synthetic, and the shared parkour
  video through the pose model) must never lock.
- Beat alignment and correlation, beam search on the fixed grid vs the tempo grid vs random
  notes: share of grid onsets and of sounding onsets within 50 ms of a kinematic beat, Beat
  Align Score, global correlation over the dance's frames.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "device"))
sys.path.insert(0, str(ROOT / "tests"))

from tempo_data import free_dance, pulse_dance  # noqa: E402

from dance2music.composition import compose_sequence  # noqa: E402
from dance2music.music import measures  # noqa: E402
from dance2music.music.tempo import TempoTracker  # noqa: E402
from dance2music.pose import sequence  # noqa: E402
from dance2music.pose.features import pose_vectors  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
TRUE_BPM = 80.0
DESIGN_CHOREOGRAPHIES = ("ch01", "ch02", "ch04", "ch07")


def track(vectors: np.ndarray) -> tuple[float, bool, float | None, float]:
    """(last bpm, locked at the end, seconds to first lock, highest confidence)."""
    tracker, locked_at, top = TempoTracker(), None, 0.0
    for v in vectors:
        tracker.update(v)
        e = tracker.estimate()
        top = max(top, e.confidence)
        if locked_at is None and e.locked:
            locked_at = e.time_s
    e = tracker.estimate()
    return e.bpm, e.locked, locked_at, top


def near(bpm: float, target: float) -> bool:
    return abs(bpm / target - 1) <= 0.04


def tempo_table(clips: list[Path]) -> None:
    rows = {"design": [], "held-out": []}
    for path in clips:
        split = "design" if path.stem[-4:] in DESIGN_CHOREOGRAPHIES else "held-out"
        for view in range(9):
            seq = sequence.load(path, view=view)
            rows[split].append(track(pose_vectors(seq.keypoints, seq.image_size, "paper")))
    print("| clips | n | within 4% of 80 | at 40 or 160 | locked at end | "
          "locked & right | s to lock (median) |")
    print("|---|---|---|---|---|---|---|")
    for split, r in [*rows.items(), ("all", rows["design"] + rows["held-out"])]:
        bpm = np.array([x[0] for x in r])
        locked = np.array([x[1] for x in r])
        ok = np.array([near(b, TRUE_BPM) for b in bpm])
        octave = np.array([near(b, TRUE_BPM / 2) or near(b, TRUE_BPM * 2) for b in bpm])
        lock_s = [x[2] for x in r if x[2] is not None]
        print(f"| {split} | {len(r)} | {ok.sum()} ({ok.mean():.0%}) | {octave.sum()} | "
              f"{locked.sum()} | {(ok & locked).sum()} | "
              f"{np.median(lock_s) if lock_s else float('nan'):.1f} |")


def synthetic_table() -> None:
    print("\n| synthetic | bpm found | locked after s | highest confidence |")
    print("|---|---|---|---|")
    for bpm in (65, 80, 100, 120, 140, 160, 175):
        found, _, lock_s, top = track(pulse_dance(bpm, 16, seed=bpm)[0])
        print(f"| pulse {bpm} BPM | {found:.1f} | {lock_s} | {top:.2f} |")
    for seed in range(5):
        found, locked, lock_s, top = track(free_dance(20, seed=seed))
        print(f"| no pulse, seed {seed} | ({found:.1f}) | {lock_s} | {top:.2f} |")


def video_no_pulse() -> None:
    from dance2music.pose.extract import extract_poses
    video = SHARED / "video" / "sports2d_demo.mp4"
    if not video.exists():
        print(f"\n{video} not found: parkour check skipped")
        return
    seq = extract_poses(video).resampled(30.0)
    bpm, locked, lock_s, top = track(pose_vectors(seq.keypoints, seq.image_size, "paper"))
    print(f"\nparkour video (no pulse), {len(seq) / 30:.1f} s: locked {lock_s is not None}, "
          f"highest confidence {top:.2f} (lock at {TempoTracker().settings.lock_confidence})")


def alignment_table(clips: list[Path]) -> None:
    rows: dict[str, list[tuple[float, ...]]] = {"beam fixed": [], "beam tempo": [],
                                                "random fixed": []}
    for path in clips:
        for view in range(9):
            seq = sequence.load(path, view=view)
            for name, (composer, grid) in {"beam fixed": ("beam", "fixed"),
                                           "beam tempo": ("beam", "tempo"),
                                           "random fixed": ("random", "fixed")}.items():
                c = compose_sequence(seq, composer, grid=grid, representation="paper")
                beats = measures.dance_beats_s(c.vectors, c.fps)
                sounding = measures.sounding_onsets_s(c.notes, c.grid.onsets_s)
                rows[name].append((measures.onsets_on_beats(c.grid.onsets_s, beats),
                                   measures.onsets_on_beats(sounding, beats),
                                   measures.beat_align(beats, sounding),
                                   c.global_correlation(), c.grid.tempo_bpm is not None))
    print("\n| 63 clips | grid onsets on a beat (50 ms) | sounding onsets on a beat | "
          "Beat Align | global corr | clips locked |")
    print("|---|---|---|---|---|---|")
    for name, r in rows.items():
        a = np.array(r, dtype=np.float64)
        print(f"| {name} | {a[:, 0].mean():.3f} | {a[:, 1].mean():.3f} | {a[:, 2].mean():.3f} | "
              f"{a[:, 3].mean():.3f} | {int(a[:, 4].sum())} |")
    locked = np.array([x[4] for x in rows["beam tempo"]], dtype=bool)
    if locked.any():
        t = np.array(rows["beam tempo"])[locked]
        f = np.array(rows["beam fixed"])[locked]
        print(f"| only the {locked.sum()} clips that locked: fixed / tempo | "
              f"{f[:, 0].mean():.3f} / {t[:, 0].mean():.3f} | {f[:, 1].mean():.3f} / "
              f"{t[:, 1].mean():.3f} | {f[:, 2].mean():.3f} / {t[:, 2].mean():.3f} | "
              f"{f[:, 3].mean():.3f} / {t[:, 3].mean():.3f} | |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-video", action="store_true", help="skip the parkour video (pose model)")
    args = ap.parse_args()
    clips = sorted((SHARED / "aistpp_break").glob("*.npz"))
    if not clips:
        print(f"no AIST++ clips under {SHARED / 'aistpp_break'}")
        return 1
    start = time.perf_counter()
    tempo_table(clips)
    synthetic_table()
    if not args.no_video:
        video_no_pulse()
    alignment_table(clips)
    print(f"\n({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
