"""The video composer on real videos: real pose models, FluidSynth and PyAV."""

import json
from fractions import Fraction

import av
import numpy as np
import pytest
from conftest import SHARED

from dance2music.cli import main
from dance2music.config import AudioSettings
from dance2music.synth import fluid, midi
from onsets import onset_offsets_s

VIDEO = SHARED / "data" / "video" / "pose2sim_cam01.mp4"  # 1.7 s, 60 fps, portrait, one person


def stream_facts(path):
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        frames = [f.time for f in c.decode(v)]
    with av.open(str(path)) as c:
        a = c.streams.audio
        audio = (np.concatenate([f.to_ndarray() for f in c.decode(a[0])], axis=1).T
                 if a else None)
        rate = a[0].rate if a else None
    return frames, audio, rate


def retimed_copy(src, dst, times_s):
    """The frames of `src` re-stamped at the given times (another frame rate, or variable)."""
    with av.open(str(src)) as c, av.open(str(dst), "w") as out:
        s = out.add_stream("libx264", rate=30)
        s.width, s.height, s.pix_fmt = 540, 960, "yuv420p"
        s.time_base = s.codec_context.time_base = Fraction(1, 1000)
        for frame, t in zip(c.decode(video=0), times_s):
            f = frame.reformat(width=540, height=960, format="yuv420p")
            f.pts, f.time_base = round(t * 1000), Fraction(1, 1000)
            for p in s.encode(f):
                out.mux(p)
        for p in s.encode(None):
            out.mux(p)


def test_video_gets_its_music_aligned_to_the_frames(tmp_path):
    out, mid, js = tmp_path / "o.mp4", tmp_path / "o.mid", tmp_path / "o.json"
    assert main(["compose", str(VIDEO), "-o", str(out), "-o", str(mid), "-o", str(js)]) == 0
    in_frames, _, _ = stream_facts(VIDEO)
    out_frames, audio, rate = stream_facts(out)
    assert len(out_frames) == len(in_frames)
    np.testing.assert_allclose(out_frames, in_frames, atol=1e-6)
    duration = len(in_frames) / 60
    assert len(audio) / rate == pytest.approx(duration, abs=0.03)
    data = json.loads(js.read_text())
    notes, silent = np.array(data["notes"]), np.array(data["silent"])
    starts = [i for i in range(len(notes)) if not silent[i]
              and (i == 0 or silent[i - 1] or notes[i] != notes[i - 1])]
    # The music as written to the MIDI file (every channel), rendered offline at exactly its
    # times (sample-exact, see test_synth): each melody note must sound in the video's AAC
    # track within 5 ms of its time.
    reference = fluid.render(midi.read_midi(mid), AudioSettings(sample_rate_hz=rate),
                             duration_s=duration, programs=midi.programs_of(mid))
    times = np.array(data["onsets_s"])[starts]
    late = onset_offsets_s(audio, reference, rate, times)
    assert np.abs(late).max() < 0.005, late
    melody = [n.midi for n in midi.read_midi(mid) if n.channel == 0]
    assert melody == [data["midi"][i] for i in starts]


@pytest.mark.parametrize("name, times", [
    ("25fps", np.arange(100) / 25),
    ("2997fps", np.arange(100) * 1001 / 30000),
    ("vfr", np.cumsum(np.r_[0, np.random.default_rng(0).uniform(0.01, 0.05, 99)])),
])
def test_any_frame_rate(tmp_path, name, times):
    src = tmp_path / f"{name}.mkv"  # Matroska keeps millisecond timestamps as given
    retimed_copy(VIDEO, src, times)
    out = tmp_path / "out.mkv"
    assert main(["compose", str(src), "--composer", "greedy", "-o", str(out)]) == 0
    frames, audio, rate = stream_facts(out)
    np.testing.assert_allclose(frames, np.round(times, 3), atol=2e-3)
    assert len(audio) / rate == pytest.approx(times[-1] + (times[-1] - times[-2]), abs=0.05)


def test_overlay_and_original_audio(tmp_path):
    out = tmp_path / "o.mp4"
    assert main(["compose", str(VIDEO), "--overlay", "--keep-original-audio", "0.3",
                 "-o", str(out)]) == 0
    plain = tmp_path / "p.mp4"
    assert main(["compose", str(VIDEO), "-o", str(plain)]) == 0
    with av.open(str(out)) as a, av.open(str(plain)) as b:
        fa, fb = next(a.decode(video=0)), next(b.decode(video=0))
        assert a.streams.video[0].codec_context.name == "h264"
        diff = np.abs(fa.to_ndarray(format="rgb24").astype(int) - fb.to_ndarray(format="rgb24"))
        assert (diff.max(axis=2) > 60).mean() > 0.001  # skeleton lines drawn


def test_errors_write_nothing(tmp_path, capsys):
    junk = tmp_path / "junk.mp4"
    junk.write_text("not a video")
    assert main(["compose", str(junk), "-o", str(tmp_path / "a.mp4")]) == 2
    assert "junk.mp4" in capsys.readouterr().err

    empty = tmp_path / "empty.mp4"  # a real video with nobody in it
    with av.open(str(empty), "w") as out:
        s = out.add_stream("libx264", rate=30)
        s.width, s.height, s.pix_fmt = 320, 240, "yuv420p"
        for i in range(60):
            f = av.VideoFrame.from_ndarray(np.full((240, 320, 3), 90 + i, np.uint8), format="rgb24")
            for p in s.encode(f):
                out.mux(p)
        for p in s.encode(None):
            out.mux(p)
    assert main(["compose", str(empty), "-o", str(tmp_path / "b.mp4")]) == 2
    assert "no person" in capsys.readouterr().err

    assert main(["compose", str(VIDEO), "-o", str(junk / "c.mp4")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["compose", str(VIDEO), "-o", str(tmp_path / "d.avi")]) == 2
    assert "unknown output format" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.mp4", "junk.mp4"]


def test_folder_continues_past_bad_files_and_never_overwrites(tmp_path, capsys):
    src = tmp_path / "in"
    src.mkdir()
    (src / "dance.mp4").write_bytes(VIDEO.read_bytes())
    (src / "broken.mp4").write_text("garbage")
    out = tmp_path / "out"
    out.mkdir()
    assert main(["compose", str(src), "-o", str(out), "--composer", "greedy",
                 "--format", "mp4", "--format", "json"]) == 1
    err = capsys.readouterr().err
    assert "broken.mp4" in err and "1 of 2 videos failed" in err
    assert sorted(p.name for p in out.iterdir()) == ["dance.json", "dance.mp4"]
    before = (src / "dance.mp4").read_bytes()
    assert main(["compose", str(src), "-o", str(src), "--composer", "greedy"]) == 1
    assert "refusing to overwrite" in capsys.readouterr().err
    assert (src / "dance.mp4").read_bytes() == before
