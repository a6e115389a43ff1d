"""Faults injected into the real appliance (`dance2music run` as systemd runs it): the audio
file's disk fills up, the looping video source is truncated, a non-looping video ends. Each is
a state reported on /readyz or an exit status systemd acts on, never a crash or a silent
exit 0 (issue 14, findings 3 and 5)."""

import shutil
import time

from fault_fixtures import tmpfs
from test_live_run import ROOT, Service, models, start  # noqa: F401 (models: a fixture)

from dance2music.synth.wav import read_wav

DEMO_VIDEO = ROOT / "assets" / "demo" / "dance.mp4"


def wait_for_readyz(service, ready: bool, timeout_s: float) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        status, body = service.get("/readyz")
        if (status == 200) == ready or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


def test_a_full_disk_under_the_live_wav_is_reported_and_the_music_goes_on(tmp_path, models):
    with tmpfs(tmp_path, "1m") as disk:
        filler = disk / "filler"
        filler.write_bytes(b"\0" * 700_000)  # ~2 s of 48 kHz stereo left
        service = Service(tmp_path, "--audio-file", str(disk / "live.wav"))
        try:
            service.wait_ready_s()
            body = wait_for_readyz(service, ready=False, timeout_s=20)
            assert "No space left on device" in body["not_ready"].get("audio", ""), body
            assert service.get("/healthz")[0] == 200  # alive: the loop runs on
            played = service.get("/status")[1]["notes_played"]
            time.sleep(2.0)
            assert service.get("/status")[1]["notes_played"] > played
            filler.unlink()
            assert wait_for_readyz(service, ready=True, timeout_s=10)["not_ready"] == {}
        finally:
            assert service.stop() == 0
        audio, rate = read_wav(disk / "live.wav")
        assert len(audio) > rate  # what was written before and after the fault is kept
        assert "Traceback" not in "".join(service.lines)


def test_a_looping_source_truncated_while_running_is_retried_not_an_exit(tmp_path, models):
    video = tmp_path / "source.mp4"
    shutil.copyfile(DEMO_VIDEO, video)
    service = Service(tmp_path, "--source", str(video))
    try:
        service.wait_ready_s()
        video.write_bytes(b"")  # `: > source.mp4`
        body = wait_for_readyz(service, ready=False, timeout_s=30)
        assert "source.mp4" in body["not_ready"].get("camera", ""), body
        assert service.proc.poll() is None  # still running: systemd sees no clean exit
        shutil.copyfile(DEMO_VIDEO, video)  # the file comes back: capture recovers
        assert wait_for_readyz(service, ready=True, timeout_s=30)["not_ready"] == {}
    finally:
        assert service.stop() == 0


def test_a_video_that_ends_without_loop_video_exits_non_zero(tmp_path, models):
    cfg = tmp_path / "config.toml"
    cfg.write_text("[capture]\nloop_video = false\n[health]\nenabled = false\n"
                   "[button]\nenabled = false\n")
    proc = start("--config", str(cfg), "--source", str(DEMO_VIDEO), "--audio-file",
                 str(tmp_path / "out.wav"))
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err[-2000:]
    assert "the video source ended" in err and "Traceback" not in err
    assert (tmp_path / "out.wav").exists()  # the music up to the end is kept
