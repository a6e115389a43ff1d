"""Video decoding (real files), pose extraction from a whole video, and `dance2music poses`."""

from __future__ import annotations

import argparse
import struct

import numpy as np
import pytest

from dance2music.commands import poses as poses_command
from dance2music.errors import InputError
from dance2music.media.video import VideoReader, VideoWriter
from dance2music.pose.extract import extract_poses
from dance2music.pose.sequence import load
from pose_data import opencv_image, shared_video


def test_reads_every_frame_with_pts_timestamps_and_upright_size():
    with VideoReader(shared_video("pose2sim_cam01.mp4")) as video:
        assert video.info.size == (1080, 1920) and video.info.fps == 60 and video.info.frame_count == 100
        frames = list(video)
    assert len(frames) == 100
    assert frames[0].image.shape == (1920, 1080, 3) and frames[0].image.dtype == np.uint8
    times = np.array([f.timestamp_s for f in frames])
    assert times[0] == 0 and np.allclose(np.diff(times), 1 / 60, atol=1e-3)


def test_reads_a_vp9_webm_style_stream_and_an_old_avi():
    with VideoReader(shared_video("sports2d_demo.mp4")) as video:
        assert video.info.size == (1768, 994)
        assert sum(1 for _ in video) == 230
    with VideoReader(opencv_image("vtest.avi")) as video:
        first = next(iter(video))
        assert first.image.shape == (576, 768, 3) and video.info.fps == 10


def test_writer_output_decodes_to_the_same_frames(tmp_path):
    path = tmp_path / "out.mp4"
    rng = np.random.default_rng(1)
    frames = [np.full((64, 96, 3), v, dtype=np.uint8) for v in rng.integers(30, 220, size=12)]
    with VideoWriter(path, 25, (96, 64)) as writer:
        for f in frames:
            writer.write(f)
    with VideoReader(path) as video:
        got = list(video)
    assert video.info.size == (96, 64) and len(got) == 12
    assert np.allclose([g.image.mean() for g in got], [f.mean() for f in frames], atol=4)
    assert np.allclose([g.timestamp_s for g in got], np.arange(12) / 25, atol=1e-3)


@pytest.mark.parametrize("content, problem", [
    (b"this is not a video\n" * 50, "not a readable video file"),
    (b"", "not a readable video file"),
])
def test_unreadable_video_is_an_input_error_naming_the_file(tmp_path, content, problem):
    path = tmp_path / "clip.mp4"
    path.write_bytes(content)
    with pytest.raises(InputError, match=f"{path}: .*") as e:
        VideoReader(path)
    assert "clip.mp4" in str(e.value)


def test_a_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="missing.mp4: no such video file"):
        VideoReader(tmp_path / "missing.mp4")


def test_extract_poses_gives_a_timed_sequence_for_the_music_engine():
    seq = extract_poses(shared_video("pose2sim_cam01.mp4"))
    assert len(seq) == 100 and seq.image_size == (1080, 1920)
    assert (seq.keypoints[:, :, 2] > 0).any(axis=1).all()  # a person in every frame
    resampled = seq.resampled(30)
    assert resampled.fps == 30 and len(resampled) == 50


def test_poses_command_writes_npz_and_overlay(tmp_path):
    out, overlay = tmp_path / "poses.npz", tmp_path / "overlay.mp4"
    parser = argparse.ArgumentParser()
    poses_command.register(parser.add_subparsers())
    args = parser.parse_args(["poses", str(shared_video("pose2sim_cam01.mp4")), "-o", str(out), "--overlay", str(overlay)])
    assert args.func(args) == 0
    seq = load(out)
    assert len(seq) == 100 and seq.timestamps_s is not None
    with VideoReader(overlay) as video:
        assert video.info.size == (1080, 1920) and sum(1 for _ in video) == 100


def test_poses_command_on_a_broken_video_writes_nothing(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 1000)
    parser = argparse.ArgumentParser()
    poses_command.register(parser.add_subparsers())
    args = parser.parse_args(["poses", str(bad), "-o", str(tmp_path / "p.npz"), "--overlay", str(tmp_path / "o.mp4")])
    with pytest.raises(InputError, match="bad.mp4"):
        args.func(args)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.mp4"]


def _set_mp4_rotation_clockwise_90(path) -> None:
    """Write a 90-degree display matrix into the mp4's track header (what phones do)."""
    data = bytearray(path.read_bytes())
    tkhd = data.find(b"tkhd")
    assert data[tkhd + 4] == 0  # version 0 layout
    matrix = tkhd + 4 + 4 + 4 * 5 + 8 + 8  # after flags, times, track id, duration, layer...
    assert struct.unpack(">9i", data[matrix:matrix + 36]) == (0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    data[matrix:matrix + 36] = struct.pack(">9i", 0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000)
    path.write_bytes(bytes(data))


def test_rotation_metadata_turns_frames_upright(tmp_path):
    path = tmp_path / "phone.mp4"
    stored = np.zeros((32, 64, 3), dtype=np.uint8)
    stored[:, :16] = 255  # a white band on the stored frame's left
    with VideoWriter(path, 10, (64, 32)) as writer:
        for _ in range(3):
            writer.write(stored)
    _set_mp4_rotation_clockwise_90(path)
    with VideoReader(path) as video:
        frames = list(video)
    assert video.info.rotation == 90 and video.info.size == (32, 64)
    upright = frames[0].image
    assert upright.shape == (64, 32, 3)
    assert upright[:12].mean() > 200 and upright[20:].mean() < 30  # the band is now on top


def test_poses_command_refuses_an_output_in_a_missing_folder(tmp_path):
    parser = argparse.ArgumentParser()
    poses_command.register(parser.add_subparsers())
    args = parser.parse_args(["poses", str(shared_video("pose2sim_cam01.mp4")), "-o", str(tmp_path / "no" / "p.npz")])
    with pytest.raises(InputError, match="does not exist"):
        args.func(args)
