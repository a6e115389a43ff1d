"""Outputs onto a full disk, a read-only file system, a folder, or an input: one message, exit 2,
nothing half-written, no input overwritten (issue 14, findings 4 and 5)."""

import os
import shutil

import pytest
from conftest import DEMO_POSES, ROOT
from fault_fixtures import tmpfs

from dance2music import files
from dance2music.cli import main
from dance2music.errors import OutputError

DEMO_VIDEO = ROOT / "assets" / "demo" / "dance.mp4"


def compose(capsys, *args):
    code = main(["compose", str(DEMO_POSES), *args])
    return code, capsys.readouterr().err


def test_compose_onto_a_full_disk_writes_nothing(tmp_path, capsys):
    with tmpfs(tmp_path, "256k") as disk:
        outputs = [disk / "m.json", disk / "m.mid", disk / "m.wav"]  # the WAV is ~2.5 MB
        code, err = compose(capsys, *[a for o in outputs for a in ("-o", str(o))])
        assert code == 2
        assert "m.wav: cannot write (No space left on device); nothing was written" in err
        assert "Traceback" not in err and err.count("\n") == 1
        assert os.listdir(disk) == []  # neither the JSON and MIDI before it nor temporaries


def test_compose_onto_a_read_only_file_system(tmp_path, capsys):
    with tmpfs(tmp_path, "1m", "ro") as disk:
        code, err = compose(capsys, "-o", str(disk / "m.json"))
        assert code == 2 and "m.json" in err and "not writable" in err
        assert "Traceback" not in err


def test_an_existing_folder_named_like_the_output(tmp_path, capsys):
    (tmp_path / "m.json").mkdir()
    code, err = compose(capsys, "-o", str(tmp_path / "m.mid"), "-o", str(tmp_path / "m.json"))
    assert code == 2 and "m.json: is an existing folder" in err
    assert sorted(os.listdir(tmp_path)) == ["m.json"]


def test_the_same_output_twice(tmp_path, capsys):
    code, err = compose(capsys, "-o", str(tmp_path / "m.json"), "-o", str(tmp_path / "m.json"))
    assert code == 2 and "given twice" in err


@pytest.mark.parametrize("args", [["-o", "{video}"], ["-o", "{dir}/p.npz", "--overlay", "{video}"],
                                  ["-o", "{link}"]])
def test_poses_never_overwrites_its_input(tmp_path, capsys, args):
    video = tmp_path / "v.mp4"
    shutil.copyfile(DEMO_VIDEO, video)
    (tmp_path / "link.npz").symlink_to(video)
    before = video.read_bytes()
    argv = [a.format(video=video, dir=tmp_path, link=tmp_path / "link.npz") for a in args]
    assert main(["poses", str(video), *argv]) == 2
    assert "is an input of this command; refusing to overwrite it" in capsys.readouterr().err
    assert video.read_bytes() == before


def test_all_or_nothing_keeps_none_when_a_later_output_fails(tmp_path):
    with pytest.raises(RuntimeError), files.all_or_nothing():
        with files.atomic_path(tmp_path / "a.txt") as tmp:
            tmp.write_text("a")
        with files.atomic_path(tmp_path / "b.txt") as tmp:
            tmp.write_text("b")
        assert os.listdir(tmp_path) != [] and not (tmp_path / "a.txt").exists()
        raise RuntimeError("the third output failed")
    assert os.listdir(tmp_path) == []
    with files.all_or_nothing():
        for name in ("a.txt", "b.txt"):
            with files.atomic_path(tmp_path / name) as tmp:
                tmp.write_text(name)
    assert sorted(os.listdir(tmp_path)) == ["a.txt", "b.txt"]


def test_a_full_disk_is_an_output_error_for_every_writer(tmp_path):
    with tmpfs(tmp_path, "64k") as disk:
        with pytest.raises(OutputError, match="No space left on device"):
            with files.atomic_path(disk / "big.bin") as tmp:
                tmp.write_bytes(b"\0" * (1 << 20))
        assert os.listdir(disk) == []
