"""Putting composed music into a copy of a video (PyAV).

The video stream is copied packet for packet where the output container accepts its codec,
and re-encoded (H.264, or VP9 for WebM) otherwise or when frames are drawn on. The music
starts at the video's first frame, so a note composed for frame i sounds at that frame.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from dance2music.errors import InputError
from dance2music.files import atomic_path

VIDEO_FORMATS = (".mp4", ".mov", ".m4v", ".mkv", ".webm")
_AUDIO_CODEC = {".webm": "libopus"}  # everything else gets AAC
_VIDEO_CODEC = {".webm": "libvpx-vp9"}  # re-encoding: everything else gets H.264
_AUDIO_FRAME = 1024
FrameDrawer = Callable[[np.ndarray, float], np.ndarray]  # (BGR frame, time s) -> BGR frame


def _open(path: Path):
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as e:
        raise InputError(f"{path}: not a readable video ({e})") from None
    if not container.streams.video:
        container.close()
        raise InputError(f"{path}: has no video stream")
    return container


def video_span_s(path: Path) -> tuple[float, float]:
    """(start, duration) of the first video stream in seconds, from its packets."""
    with _open(path) as container:
        stream = container.streams.video[0]
        first, end = None, None
        for packet in container.demux(stream):
            if packet.pts is None:
                continue
            t0 = float(packet.pts * stream.time_base)
            t1 = t0 + float((packet.duration or 0) * stream.time_base)
            first = t0 if first is None else min(first, t0)
            end = t1 if end is None else max(end, t1)
        if first is None:
            raise InputError(f"{path}: the video stream has no frames")
        return first, end - first


def original_audio(path: Path, sample_rate_hz: int, samples: int) -> np.ndarray | None:
    """The video's own sound as float stereo (samples, 2) at `sample_rate_hz`, or None."""
    with _open(path) as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=sample_rate_hz)
        chunks = []
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray())
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray())
    audio = np.concatenate(chunks, axis=1).T if chunks else np.zeros((0, 2), np.float32)
    padded = np.zeros((samples, 2), np.float32)
    padded[: min(samples, len(audio))] = audio[:samples]
    return padded


def mix(music: np.ndarray, original: np.ndarray | None, original_level: float) -> np.ndarray:
    """int16 music + `original_level` x original float audio -> int16, clipped."""
    out = music.astype(np.float32) / 32768
    if original is not None and original_level > 0:
        out = out + original_level * original[: len(out)]
    return (np.clip(out, -1, 32767 / 32768) * 32768).astype(np.int16)


class _AudioFeed:
    """Encodes the music in blocks as the video advances, so the muxer can interleave."""

    _LEAD_S = 0.5

    def __init__(self, out, suffix: str, audio: np.ndarray, sample_rate_hz: int, start_s: float):
        self.out, self.audio, self.rate = out, audio, sample_rate_hz
        self.offset = round(start_s * sample_rate_hz)  # the video's first frame
        self.stream = out.add_stream(_AUDIO_CODEC.get(suffix, "aac"), rate=sample_rate_hz)
        self.stream.layout = "stereo"
        self.pos = 0

    def until(self, time_s: float) -> None:
        stop = min(len(self.audio), int((time_s + self._LEAD_S) * self.rate) - self.offset)
        while self.pos < stop:
            block = np.ascontiguousarray(self.audio[self.pos:self.pos + _AUDIO_FRAME].reshape(1, -1))
            frame = av.AudioFrame.from_ndarray(block, format="s16", layout="stereo")
            frame.sample_rate = self.rate
            frame.pts = self.offset + self.pos
            frame.time_base = Fraction(1, self.rate)
            self._mux(self.stream.encode(frame))
            self.pos += _AUDIO_FRAME

    def finish(self) -> None:
        self.until((self.offset + len(self.audio)) / self.rate)
        self._mux(self.stream.encode(None))

    def _mux(self, packets) -> None:
        for packet in packets:
            self.out.mux(packet)


def _copy_video(src, out, make_feed) -> None:
    stream = src.streams.video[0]
    copy = out.add_stream_from_template(stream)
    feed = make_feed()
    for packet in src.demux(stream):
        if packet.size == 0:  # the demuxer's final flush packet
            continue
        stamp = packet.dts if packet.dts is not None else packet.pts  # Matroska: pts only
        if stamp is not None:
            feed.until(float(stamp * stream.time_base))
        packet.stream = copy
        out.mux(packet)
    feed.finish()


def _encode_video(src, out, suffix: str, draw: FrameDrawer | None, make_feed) -> None:
    stream = src.streams.video[0]
    enc = out.add_stream(_VIDEO_CODEC.get(suffix, "libx264"), rate=stream.average_rate or 30)
    enc.width, enc.height = stream.codec_context.width, stream.codec_context.height
    enc.pix_fmt = "yuv420p"
    enc.time_base = stream.time_base
    enc.options = {"crf": "20", "preset": "veryfast"} if enc.codec_context.name == "libx264" else {}
    feed = make_feed()
    for frame in src.decode(stream):
        if draw is not None:
            image = draw(frame.to_ndarray(format="bgr24"), float(frame.time))
            new = av.VideoFrame.from_ndarray(image, format="bgr24")
            new.pts, new.time_base = frame.pts, frame.time_base
            frame = new
        feed.until(float(frame.time))
        for packet in enc.encode(frame.reformat(format="yuv420p")):
            out.mux(packet)
    for packet in enc.encode(None):
        out.mux(packet)
    feed.finish()


def write_video_with_music(video: Path, output: Path, audio: np.ndarray, sample_rate_hz: int,
                           start_s: float, draw: FrameDrawer | None = None) -> bool:
    """Write `output`: `video`'s picture with `audio` (int16 stereo, starting at the first
    frame, at `start_s` on the video's clock: see video_span_s) as its only sound. Returns
    whether the video stream was copied (not re-encoded)."""
    suffix = output.suffix.lower()
    attempts = [False, True] if draw is None else [True]
    for reencode in attempts:
        try:
            with atomic_path(output) as tmp, _open(video) as src, av.open(str(tmp), "w") as out:
                def make_feed():
                    return _AudioFeed(out, suffix, audio, sample_rate_hz, start_s)
                if reencode:
                    _encode_video(src, out, suffix, draw, make_feed)
                else:
                    _copy_video(src, out, make_feed)
            return not reencode
        except (av.error.FFmpegError, ValueError) as e:
            if reencode:
                raise InputError(f"{output}: cannot write this video ({e})") from None
    raise AssertionError("unreachable")
