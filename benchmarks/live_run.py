"""The live appliance over a long run, measured in one go:

  - the loop from a dance video at 30 fps (the demo, re-encoded once at camera size, 640 px
    wide, as a camera delivers it; --full-size keeps the 1768x994 VP9 and its decoding cost)
    -> INT8 pose model -> the `live` mode's composer -> FluidSynth rendering a WAV paced by
    the wall clock (the sound card's stand-in; same timing path);
  - CPU use of the whole process (capture, pose, composer, FluidSynth rendering), per-stage
    latency p50/p99, deadline misses, dropped frames, resident memory growth after warm-up;
  - onset timing found back in the audio: the WAV against the grid-exact offline rendering of
    the notes the loop scheduled (sample difference, onset jitter) and each note's onset
    against its grid tick;
  - the garbage collector's pauses during the run (it holds every thread), against a full
    collection of the same process outside the loop, which freezes what it starts with;
  - the smallest fixed latency L with zero misses (from the worst decision lag, then verified
    by a shorter run at that L) and the end-to-end latency from a frame's capture to the onset
    of the note it decided;
  - a run with every core saturated by busy processes: notes come late, and each late one must
    be a counted miss, never a note off the grid: the audio must still equal the grid-exact
    rendering of the notes that were played.

    python benchmarks/live_run.py [--minutes 10] [--latency-ms 100] [--verify-minutes 1]
                                  [--saturated-minutes 2] [--grid fixed|tempo]
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import math
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from dance2music.capture.open import DEMO_VIDEO
from dance2music.capture.thread import CaptureThread
from dance2music.capture.video import VideoFileSource
from dance2music.config import AudioSettings, Config, LoopSettings, lookahead_latency_ms
from dance2music.live.appliance import composer_factory, make_sink
from dance2music.live.grid import GUARD_MS
from dance2music.live.loop import LiveLoop
from dance2music.live.stats import STAGES, LiveStats
from dance2music.modes.commands import CommandQueue
from dance2music.sound.live import LiveSound
from dance2music.sound.worlds import WORLD_NAMES
from dance2music.synth.fluid import render
from dance2music.synth.loudness import integrated_lufs, true_peak_dbtp
from dance2music.synth.wav import read_wav

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from live_audit import audit, fade_spans, scheduled_notes  # noqa: E402 (the tests' oracle)

GOAL_CPU_PCT, GOAL_MISSES, GOAL_RSS_MB, GOAL_JITTER_MS = 25.0, 0, 3.0, 1.0
WARM_UP_S = 60.0
# The configuration's lowest fixed latency for its lookahead: decisions can come before their
# boundary (with no lookahead the interval's last frame arrives one frame period early), so
# the worst lag may be below it.
_LOWEST_L_MS = max(next(f for f in dataclasses.fields(LoopSettings)
                        if f.name == "fixed_latency_ms").metadata["low"],
                   math.ceil(lookahead_latency_ms(Config().loop.lookahead_frames)))


def camera_sized(video: Path, width: int, out_dir: Path) -> Path:
    """The video re-encoded at `width` pixels (MJPEG: cheap to decode, like a USB camera)."""
    import cv2

    cap = cv2.VideoCapture(str(video))
    fps = cap.get(cv2.CAP_PROP_FPS)
    out = out_dir / f"{video.stem}_{width}.avi"
    writer = None
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        h = int(round(frame.shape[0] * width / frame.shape[1] / 2) * 2)
        frame = cv2.resize(frame, (width, h), interpolation=cv2.INTER_AREA)
        if writer is None:
            writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, h))
        writer.write(frame)
    writer.release()
    cap.release()
    return out


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# The Python threads measured (OpenVINO's own inference threads count in the whole process).
THREADS = ("MainThread", "pose", "capture", "audio-file")


def thread_cpu_s() -> dict[str, float]:
    """CPU seconds of each Python thread by name."""
    out = {}
    for t in threading.enumerate():
        try:
            with open(f"/proc/self/task/{t.native_id}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[t.name] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


class GcPauses:
    """Every garbage collection while installed: (generation, pause ms)."""

    def __init__(self):
        self.pauses: list[tuple[int, float]] = []
        self._start_ns = 0

    def _on_gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start_ns = time.perf_counter_ns()
        else:
            pause_ms = (time.perf_counter_ns() - self._start_ns) / 1e6
            self.pauses.append((info["generation"], pause_ms))

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self._on_gc)
        return self

    def __exit__(self, *exc) -> None:
        gc.callbacks.remove(self._on_gc)

    def longest_ms(self, generation: int) -> float:
        return max((ms for g, ms in self.pauses if g == generation), default=0.0)

    def count(self, generation: int) -> int:
        return sum(g == generation for g, _ in self.pauses)


def full_collection_ms() -> float:
    """One full collection of everything this process holds, as the loop's would be unfrozen."""
    start = time.perf_counter_ns()
    gc.collect()
    return (time.perf_counter_ns() - start) / 1e6


def run(video: Path, minutes: float, latency_ms: int, wav: Path, estimator,
        world: str | None = None, grid: str = "fixed") -> dict:
    """`world` None: the paper's piano melody, FluidSynth's raw output (sample-exact audit);
    else that world with its accompaniment, dynamics and the live level chain."""
    cfg = Config().with_overrides(loop={"mode": "live", "fixed_latency_ms": latency_ms,
                                        "grid": grid},
                                  audio={"driver": "file", "audio_file": str(wav)},
                                  sound={"level": world is not None, "world": world or "piano"})
    stats = LiveStats(latency_ms, window=10**6)
    events = []
    source = VideoFileSource(video, loop=True)
    loop = LiveLoop(lambda: CaptureThread(source).start(), estimator, make_sink(cfg),
                    composer_factory(cfg), cfg.loop, stats, CommandQueue(),
                    observers=[events.append], sound=LiveSound(world) if world else None)
    samples = []  # (seconds since start, cpu seconds, rss MB, {thread: cpu seconds})
    stop = threading.Event()
    t0 = time.monotonic()

    def sample():
        while not stop.wait(5.0):
            samples.append((time.monotonic() - t0, cpu_s(), rss_mb(), thread_cpu_s()))

    threading.Thread(target=sample, daemon=True, name="sampler").start()
    samples.append((0.0, cpu_s(), rss_mb(), thread_cpu_s()))
    with GcPauses() as collections:
        loop.run(duration_s=minutes * 60)
    stop.set()
    samples.append((time.monotonic() - t0, cpu_s(), rss_mb(), thread_cpu_s()))
    return {"stats": stats, "events": events, "samples": samples, "gc": collections,
            "unfrozen_full_gc_ms": full_collection_ms(), "gc_objects": len(gc.get_objects())}


def after_warm_up(samples, duration_s):
    warm = min(WARM_UP_S, duration_s / 4)
    first = next(s for s in samples if s[0] >= warm)
    last = samples[-1]
    wall = last[0] - first[0]
    cpu_pct = 100 * (last[1] - first[1]) / wall
    # Per thread, up to the last sample that still saw it: the pose, capture and audio threads
    # end with the run, and a sample may fall while they are being closed.
    threads = {}
    for name in THREADS:
        seen = [s for s in samples if s[0] > first[0] and name in s[3]]
        if seen:
            threads[name] = (100 * (seen[-1][3][name] - first[3].get(name, 0.0))
                             / (seen[-1][0] - first[0]))
    return (cpu_pct, threads, last[2] - first[2],
            max(s[2] for s in samples if s[0] >= warm) - first[2])


def audio_audit(wav: Path, events, fade_ms: int):
    audio, rate = read_wav(wav)
    notes = [e for e in events if e.kind == "note"]
    # Shutdown cuts the sound and renders two blocks more: compare before it.
    end = min(len(audio) - 4096, notes[-1].boundary)
    reference = render(scheduled_notes(events, rate, end, fade_ms * rate // 1000),
                       AudioSettings(), duration_s=end / rate)
    struck_s = np.array([e.onset for e in notes if e.struck and e.onset < end - rate // 50]) / rate
    grid_ok = all((e.onset - e.boundary) == notes[0].onset - notes[0].boundary for e in notes)
    return (audit(audio[:end], reference, struck_s, rate, fade_spans(events, end)), grid_ok,
            len(struck_s))


def saturated(video: Path, minutes: float, latency_ms: int, wav: Path, estimator,
              grid: str = "fixed") -> list:
    """The loop with every core kept busy by as many busy-loop processes: its audit rows."""
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(os.cpu_count() or 1)]
    try:
        result = run(video, minutes, latency_ms, wav, estimator, grid=grid)
    finally:
        for p in busy:
            p.kill()
            p.wait()
    snap = result["stats"].snapshot()
    notes = [e for e in result["events"] if e.kind == "note"]
    missed = sum(e.missed for e in notes)
    onset, grid_ok, struck = audio_audit(wav, result["events"], Config().loop.fade_ms)
    exact = onset.max_sample_diff <= 1 and onset.found_live == onset.found_reference
    return [
        (f"saturated ({len(busy)} busy processes), {minutes:g} min", f"{len(notes)} grid notes, "
         f"{struck} onsets, {snap['fps']:.1f} fps at the end", ""),
        ("  late notes / counted as misses", f"{missed} / {snap['deadline_misses']}",
         "PASS" if missed == snap["deadline_misses"] else "FAIL"),
        ("  WAV vs grid-exact rendering of the notes played: max sample diff, onsets live/ref",
         f"{onset.max_sample_diff}, {onset.found_live}/{onset.found_reference}",
         f"0 off the grid: {'PASS' if exact and grid_ok else 'FAIL'}"),
        ("  latency schedule p50 / p99 (ms)", fmt(snap["latency_ms"]["schedule"]), ""),
    ]


def fmt(p):
    return f"{p['p50']:.2f} / {p['p99']:.2f}" if p["p50"] is not None else "-"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--latency-ms", type=int, default=Config().loop.fixed_latency_ms)
    ap.add_argument("--verify-minutes", type=float, default=1.0,
                    help="length of the run at the smallest L found (0: skip)")
    ap.add_argument("--saturated-minutes", type=float, default=2.0,
                    help="length of the run with every core busy (0: skip)")
    ap.add_argument("--video", type=Path, default=DEMO_VIDEO)
    ap.add_argument("--full-size", action="store_true", help="decode the video as it is")
    ap.add_argument("--grid", choices=("fixed", "tempo"), default="fixed",
                    help="the note grid ([loop] grid); the demo video has no pulse, so a tempo "
                         "grid on it mostly keeps the fixed step")
    ap.add_argument("--world", choices=WORLD_NAMES,
                    help="play this sound world (accompaniment, dynamics, level chain): the "
                         "audio is then measured for loudness, not compared sample by sample")
    args = ap.parse_args()

    from dance2music.pose.estimator import DEFAULT_MODEL_DIR, OpenVinoPose

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        video = args.video if args.full_size else camera_sized(args.video, 640, tmp)
        estimator = OpenVinoPose(smoothing=True)
        print(f"video {video.name}, models {DEFAULT_MODEL_DIR}, {args.minutes:g} min at "
              f"L = {args.latency_ms} ms, {args.grid} grid, {os.cpu_count()} CPUs (shared)",
              flush=True)
        result = run(video, args.minutes, args.latency_ms, tmp / "live.wav", estimator,
                     args.world, args.grid)
        stats, events, collections = result["stats"], result["events"], result["gc"]
        snap = stats.snapshot()
        duration_s = result["samples"][-1][0]
        cpu_pct, threads, rss_growth, rss_peak = after_warm_up(result["samples"], duration_s)
        if args.world:
            audio, rate = read_wav(tmp / "live.wav")
            voices = sum(e.kind == "voice" and e.velocity > 0 for e in events)
            loud_rows = [("world", f"{args.world}: {voices} voices struck", ""),
                         ("live WAV integrated loudness (LUFS) / true peak (dBTP)",
                          f"{integrated_lufs(audio, rate):.2f} / {true_peak_dbtp(audio):.2f}",
                          "goal -16 +-1 / <= -1")]
            notes = [e for e in events if e.kind == "note"]
            grid_ok = all((e.onset - e.boundary) == notes[0].onset - notes[0].boundary
                          for e in notes)
            onset, struck = None, sum(e.struck for e in notes)
        else:
            onset, grid_ok, struck = audio_audit(tmp / "live.wav", events,
                                                 Config().loop.fade_ms)
            loud_rows = []
        lags = stats.latencies_ms("schedule")
        worst_lag = float(lags.max()) if len(lags) else math.nan
        l_min = max(_LOWEST_L_MS, int(math.ceil((worst_lag + GUARD_MS) / 5) * 5))
        e2e = snap["latency_ms"]["end_to_end"]
        notes = [e for e in events if e.kind == "note"]
        fades = sum(e.kind == "fade" for e in events)

        rows = [
            ("run", f"{duration_s / 60:.1f} min, {len(notes)} grid notes, {struck} onsets, "
                    f"{fades} fades", ""),
            ("CPU, whole process (% of one core)", f"{cpu_pct:.1f}",
             f"goal <= {GOAL_CPU_PCT:g}: {'PASS' if cpu_pct <= GOAL_CPU_PCT else 'FAIL'}"),
            ("  by thread: loop (composer) / pose / capture (decode) / FluidSynth render",
             " / ".join(f"{threads.get(n, 0):.1f}" for n in THREADS), ""),
            ("frames in / dropped", f"{snap['fps']:.1f} fps / {snap['frames_dropped']}", ""),
            ("garbage collections in the loop: full / longest full / longest young (ms)",
             f"{collections.count(2)} / {collections.longest_ms(2):.1f} / "
             f"{max(collections.longest_ms(0), collections.longest_ms(1)):.1f}",
             f"unfrozen: a full one takes {result['unfrozen_full_gc_ms']:.1f} ms "
             f"({result['gc_objects']} objects)"),
        ]
        rows += [(f"latency {stage} p50 / p99 (ms)", fmt(snap["latency_ms"][stage]), "")
                 for stage in STAGES]
        rows += [
            ("deadline misses", str(snap["deadline_misses"]),
             f"goal {GOAL_MISSES}: {'PASS' if snap['deadline_misses'] == GOAL_MISSES else 'FAIL'}"),
            ("RSS growth after warm-up (MB)", f"{rss_growth:+.2f} (peak {rss_peak:+.2f})",
             f"goal <= {GOAL_RSS_MB:g}: {'PASS' if rss_peak <= GOAL_RSS_MB else 'FAIL'}"),
            ("every onset at boundary + L", "yes" if grid_ok else "NO", ""),
            ("tempo grid: locked at the end, tempo, confidence",
             f"{snap['tempo_locked']}, {snap['tempo_bpm']}, {snap['tempo_confidence']}"
             if snap["grid"] == "tempo" else "-", ""),
        ]
        rows += loud_rows
        rows += [] if onset is None else [
            ("WAV vs grid-exact rendering, max sample diff (fades left out)",
             str(onset.max_sample_diff), "0-1 = sample-exact"),
            ("onset jitter vs grid-exact rendering p50 / p99 / max (ms)",
             f"{np.percentile(onset.jitter_ms, 50):.2f} / "
             f"{np.percentile(onset.jitter_ms, 99):.2f} / {onset.jitter_ms.max():.2f}",
             f"goal p99 <= {GOAL_JITTER_MS:g}: "
             f"{'PASS' if np.percentile(onset.jitter_ms, 99) <= GOAL_JITTER_MS else 'FAIL'}"),
            ("detected onset - grid tick p50 / p99 (ms, detector resolution)",
             f"{np.percentile(onset.nearest_ms, 50):.2f} / "
             f"{np.percentile(onset.nearest_ms, 99):.2f}", ""),
        ]
        rows += [
            ("worst decision lag after boundary (ms)", f"{worst_lag:.1f}", ""),
            ("end-to-end capture -> onset p50 / p99 (ms)", fmt(e2e), f"at L = {args.latency_ms}"),
        ]
        if args.verify_minutes > 0:
            check = run(video, args.verify_minutes, l_min, tmp / "verify.wav", estimator,
                        grid=args.grid)
            vsnap = check["stats"].snapshot()
            rows += [
                (f"smallest L with zero misses (verified {args.verify_minutes:g} min)",
                 f"{l_min} ms: {vsnap['deadline_misses']} misses",
                 "PASS" if vsnap["deadline_misses"] == 0 else "FAIL"),
                ("end-to-end at that L p50 / p99 (ms)", fmt(vsnap["latency_ms"]["end_to_end"]),
                 ""),
            ]
        if args.saturated_minutes > 0:
            rows += saturated(video, args.saturated_minutes, args.latency_ms,
                              tmp / "saturated.wav", estimator, args.grid)
        estimator.close()
    width = max(len(r[0]) for r in rows)
    for name, value, verdict in rows:
        print(f"{name:<{width}}  {value:<28} {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
