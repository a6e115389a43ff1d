"""Video composer benchmark: seconds of processing per second of video, per stage, for a
1080p and a 720p version of the bundled dance video (re-encoded here with H.264).

    .venv/bin/python benchmarks/video_compose.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import av

ROOT = Path(__file__).resolve().parents[1]
from dance2music.media.mux import video_span_s  # noqa: E402
from dance2music.media.video import VideoReader  # noqa: E402
from dance2music.video_composer import compose_video  # noqa: E402

SOURCE = ROOT / "assets" / "demo" / "dance.mp4"


def scaled_copy(src: Path, dst: Path, width: int, height: int) -> None:
    with av.open(str(src)) as c, av.open(str(dst), "w") as out:
        s = out.add_stream("libx264", rate=c.streams.video[0].average_rate)
        s.width, s.height, s.pix_fmt = width, height, "yuv420p"
        for frame in c.decode(video=0):
            for p in s.encode(frame.reformat(width=width, height=height, format="yuv420p")):
                out.mux(p)
        for p in s.encode(None):
            out.mux(p)


def decode_only(path: Path) -> float:
    start = time.perf_counter()
    with VideoReader(path) as video:
        for _ in video:
            pass
    return time.perf_counter() - start


def main() -> None:
    print("| input | video s | decode | pose | compose | render | mux | total | x real time |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, (w, h) in {"1080p": (1920, 1080), "720p": (1280, 720)}.items():
            src = Path(tmp) / f"{name}.mp4"
            scaled_copy(SOURCE, src, w, h)
            _, duration = video_span_s(src)
            decode = decode_only(src)
            stages = compose_video(src, [Path(tmp) / f"{name}_out.mp4"])
            per = {"decode": decode, "pose": stages["poses"] - decode, "compose": stages["compose"],
                   "render": stages["render"], "mux": stages["mux"]}
            total = sum(per.values())
            cells = " | ".join(f"{v / duration:.3f}" for v in per.values())
            print(f"| {name} {w}x{h} | {duration:.1f} | {cells} | {total / duration:.3f} | "
                  f"{duration / total:.2f}x |", flush=True)
    print("\nfigures are seconds of processing per second of video (lower is better)",
          file=sys.stderr)


if __name__ == "__main__":
    main()
