"""The setup page in a real browser (Debian's Chromium, headless) against the running
appliance (real pose model, FluidSynth to a file) whose camera is a video of one person: the
page shows the view with the skeleton drawn on that person, and pressing a mode button (then a
sound world's, then moving the volume slider) changes the service's mode (world, volume). DANCE2MUSIC_DOCS_DIR=docs keeps the screenshot as docs/setup-page.png."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import cv2
import numpy as np
import pytest
from cdp import Chromium, chromium_path
from conftest import ROOT
from pose_data import FIXTURES, opencv_image

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(chromium_path() is None, reason="chromium not installed (apt: chromium)"),
]
ORANGE_RGB, BLUE_RGB = (255, 140, 0), (0, 120, 255)  # the overlay's right and left sides
NEAR_PX = 6  # a drawn joint lies within this many view pixels of the reviewed reference


def still_video(image: np.ndarray, path: Path, seconds: float = 2.0, fps: int = 30) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps,
                             (image.shape[1], image.shape[0]))
    for _ in range(int(seconds * fps)):
        writer.write(image)
    writer.release()
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_status(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=5) as answer:
        return json.loads(answer.read())


@pytest.fixture(scope="module")
def reference():
    refs = json.loads((FIXTURES / "reference_keypoints.json").read_text())["references"]
    return next(r for r in refs if r["source"] == ["opencv-doc", "messi5.jpg"])


@pytest.fixture(scope="module")
def appliance(tmp_path_factory, reference):
    """`dance2music run` with a still video of one person as its camera."""
    folder = tmp_path_factory.mktemp("appliance")
    image = cv2.imread(str(opencv_image("messi5.jpg")))
    port = free_port()
    config = folder / "config.toml"
    video = still_video(image, folder / "still.mp4", seconds=10.0)
    config.write_text(f'[capture]\nsource = "{video}"\n'
                      f'[button]\nenabled = false\n[health]\nport = {port}\n'
                      f'[sound]\nvolume_file = "{folder / "volume.json"}"\n')
    env = {**os.environ, "PYTHONPATH": str(ROOT / "device")}
    process = subprocess.Popen(
        [sys.executable, "-m", "dance2music", "run", "--config", str(config), "--mode", "greedy",
         "--audio-file", str(folder / "out.wav")], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if get_status(port)["fps"] > 0:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the appliance did not start: {process.stderr.read()}")
            time.sleep(0.5)
        yield port, image.shape[1]
    finally:
        process.terminate()
        process.wait(timeout=30)


def skeleton_mask(rgb: np.ndarray) -> np.ndarray:
    near = lambda colour: np.abs(rgb.astype(int) - colour).max(axis=2) < 40  # noqa: E731
    return near(ORANGE_RGB) | near(BLUE_RGB)


def browser_view(browser) -> np.ndarray:
    data_url = browser.evaluate(
        "(() => { const img = document.getElementById('view');"
        " const c = document.createElement('canvas');"
        " c.width = img.naturalWidth; c.height = img.naturalHeight;"
        " c.getContext('2d').drawImage(img, 0, 0); return c.toDataURL('image/png'); })()")
    return cv2.imdecode(np.frombuffer(base64.b64decode(data_url.split(",", 1)[1]), np.uint8),
                        cv2.IMREAD_COLOR)[..., ::-1]


def skeleton_on_person(mask: np.ndarray, reference: dict, scale: float) -> tuple[float, float]:
    """(share of the reference joints with a drawn pixel within NEAR_PX, share of the drawn
    pixels inside the reference joints' box, 20 px around)."""
    joints = [(x * scale, y * scale) for x, y, c in reference["keypoints"] if c >= 0.5]
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return 0.0, 0.0
    drawn = [np.min(np.hypot(xs - x, ys - y)) <= NEAR_PX for x, y in joints]
    box_x, box_y = [x for x, _ in joints], [y for _, y in joints]
    inside = ((xs > min(box_x) - 20) & (xs < max(box_x) + 20)
              & (ys > min(box_y) - 20) & (ys < max(box_y) + 20))
    return float(np.mean(drawn)), float(inside.mean())


def test_the_page_shows_the_skeleton_on_the_person_and_switches_modes(appliance, reference,
                                                                      tmp_path):
    port, image_width_px = appliance
    with Chromium() as browser:
        browser.open(f"http://127.0.0.1:{port}/")
        browser.wait_for("document.getElementById('view').naturalWidth > 0 && "
                         "document.getElementById('mode').textContent === 'greedy' && "
                         "!document.getElementById('world-section').hidden", 30,
                         "the camera view, the mode and the sound world")
        # The view as the browser shows it, read back through a canvas; the tracker settles on
        # the person within frames of each start of the (looping) video, so a few views are
        # looked at before judging.
        found = (0.0, 0.0)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            view = browser_view(browser)
            scale = view.shape[1] / image_width_px
            found = skeleton_on_person(skeleton_mask(view), reference, scale)
            if found[0] >= 0.8 and found[1] > 0.95:
                break
            time.sleep(0.3)
        assert found[0] >= 0.8, f"{found[0]:.0%} of the person's joints drawn near them"
        assert found[1] > 0.95, f"{found[1]:.0%} of the skeleton on the person"

        browser.wait_for("document.querySelector('#modes button[data-name=baseline]') !== null",
                         10, "the mode buttons")
        browser.click("#modes button[data-name=baseline]")
        browser.wait_for("document.getElementById('mode').textContent === 'baseline'", 10,
                         "the page to show the new mode")
        assert get_status(port)["mode"] == "baseline"
        assert get_status(port)["view_watched"] is True

        browser.click("#worlds button[data-name=night]")
        browser.wait_for("document.getElementById('world').textContent === 'night'", 10,
                         "the page to show the new sound world")
        assert get_status(port)["sound"]["world"] == "night"
        browser.evaluate("(() => { const slider = document.getElementById('volume-slider');"
                         " slider.value = -6; slider.dispatchEvent(new Event('change')); })()")
        browser.wait_for("document.getElementById('volume').textContent === '-6 dB'", 10,
                         "the page to show the new volume")
        assert get_status(port)["sound"]["volume_db"] == -6
        shot = tmp_path / "setup-page.png"
        browser.screenshot(shot)
        assert cv2.imread(str(shot)).shape[1] == 412 * 2
        docs = os.environ.get("DANCE2MUSIC_DOCS_DIR")
        if docs:
            (Path(docs) / "setup-page.png").write_bytes(shot.read_bytes())
