"""The setup page from a real HealthServer: the page's files, the camera view (drawn, throttled,
only while watched), the piano roll's notes, and who may see it (loopback; the LAN only when
opened, then with the token)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import cv2
import numpy as np
import pytest
from health_fixtures import SnapshotSource, make_server

from dance2music.capture.source import Frame
from dance2music.config import Config, load
from dance2music.errors import InputError
from dance2music.health.http import Request
from dance2music.health.notes import RecentNotes
from dance2music.health.page import COOKIE, SetupPage
from dance2music.health.view import VIEW_WIDTH_PX, CameraView
from dance2music.live.perception import Seen
from dance2music.live.seams import NoteEvent
from dance2music.pose.result import PoseResult
from dance2music.pose.skeleton import NUM_JOINTS

TOKEN = "0123456789abcdef"
LAN_CLIENT = "192.168.1.20"
NECK, R_HIP = 1, 8


def seen_dancer() -> Seen:
    """A 960x720 grey frame with a neck and right hip found: one bone between them."""
    keypoints = np.zeros((NUM_JOINTS, 3), np.float32)
    keypoints[:, :2] = np.nan
    keypoints[NECK] = (480, 200, 0.9)
    keypoints[R_HIP] = (480, 500, 0.9)
    image = np.full((720, 960, 3), 60, np.uint8)
    return Seen(Frame(image, 0), PoseResult(keypoints, 0.97, 0.0, False), np.zeros(36), True)


class ManualTime:
    def __init__(self):
        self.now_s = 100.0

    def __call__(self) -> float:
        return self.now_s


@pytest.fixture
def page_parts():
    latest = {"seen": seen_dancer()}
    time = ManualTime()
    view = CameraView(lambda: latest["seen"], clock=time)
    notes = RecentNotes(ticks_per_s=1000)
    return latest, time, view, notes


def fetch(url: str, path: str, headers: dict | None = None):
    request = urllib.request.Request(url + path, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_the_page_and_its_files_come_from_the_box(page_parts):
    _, _, view, notes = page_parts
    with make_server(SnapshotSource(), page=SetupPage(view, notes, None)) as server:
        url = "http://%s:%d" % server.address
        status, headers, body = fetch(url, "/")
        assert status == 200 and headers["Content-Type"].startswith("text/html")
        assert b'<script src="/app.js"' in body and b"http" not in body.replace(b"http-equiv", b"")
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        for path, kind in (("/app.js", "text/javascript"), ("/app.css", "text/css")):
            status, headers, body = fetch(url, path)
            assert status == 200 and headers["Content-Type"].startswith(kind) and body
            assert b"https://" not in body and b"http://" not in body  # nothing from outside


def test_the_view_shows_the_skeleton_and_is_watched_while_requested(page_parts):
    _, time, view, notes = page_parts
    source = SnapshotSource()
    with make_server(source, page=SetupPage(view, notes, None)) as server:
        url = "http://%s:%d" % server.address
        assert json.loads(fetch(url, "/status")[2])["view_watched"] is False
        status, headers, body = fetch(url, "/view.jpg?n=1")
        assert status == 200 and headers["Content-Type"] == "image/jpeg"
        image = cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR)
        assert image.shape == (360, VIEW_WIDTH_PX, 3)  # 960x720 downscaled by half
        bone = image[150:200, 238:242].astype(int)  # between the neck (240,100) and hip (240,250)
        assert (np.abs(bone - 60).max(axis=2) > 80).mean() > 0.5  # drawn over the grey frame
        assert json.loads(fetch(url, "/status")[2])["view_watched"] is True
        time.now_s += 10
        assert json.loads(fetch(url, "/status")[2])["view_watched"] is False


def test_views_are_encoded_at_most_max_fps_whatever_the_viewers(page_parts):
    _, time, view, _ = page_parts
    first = view.jpeg()
    for _ in range(5):  # five viewers within a quarter of a second share one picture
        time.now_s += 0.04
        assert view.jpeg() is first
    time.now_s += 0.1
    assert view.jpeg() is not first
    assert view.encodes == 2


def test_no_frame_yet_is_503(page_parts):
    latest, _, view, notes = page_parts
    latest["seen"] = None
    with make_server(SnapshotSource(), page=SetupPage(view, notes, None)) as server:
        status, _, body = fetch("http://%s:%d" % server.address, "/view.jpg")
    assert status == 503 and b"no camera frame yet" in body


def note(kind, onset, midi=None, struck=True, played=0, channel=0):
    return NoteEvent(kind, 0, onset, onset, None, played, struck, False, midi, 90, channel)


def test_recent_notes_follow_the_loop_events():
    notes = RecentNotes(ticks_per_s=1000, window_s=2.0)
    for event in (note("note", 0, 60), note("note", 200, 60, struck=False),  # held
                  note("note", 400, 64), note("cue", 500, 84, channel=1),    # cue left out
                  note("fade", 600), note("note", 3000, 67)):
        notes(event)
    recent = notes.recent()
    assert recent["now_s"] == 3.0
    assert [(n["start_s"], n["end_s"], n["midi"]) for n in recent["notes"]] == [(3.0, None, 67)]
    older = RecentNotes(ticks_per_s=1000, window_s=10.0)
    for event in (note("note", 0, 60), note("note", 200, 60, struck=False), note("note", 400, 64),
                  note("fade", 600)):
        older(event)
    assert [(n["start_s"], n["end_s"]) for n in older.recent()["notes"]] == [(0, 0.4), (0.4, 0.6)]


def request(method: str, path: str, headers: dict | None = None, body: bytes = b"") -> Request:
    headers = {"host": "192.168.1.5:8765", **(headers or {})}  # the box by its address
    if body:
        headers |= {"content-type": "application/json", "content-length": str(len(body))}
    return Request(method, path, "HTTP/1.1", headers, body)


def status_of(raw: bytes) -> int:
    return int(raw.split(b" ", 2)[1])


def test_off_the_box_the_page_is_closed_unless_opened(page_parts):
    _, _, view, notes = page_parts
    server = make_server(SnapshotSource(), page=SetupPage(view, notes, TOKEN, on_lan=False))
    assert status_of(server.handle(request("GET", "/"), LAN_CLIENT)) == 403
    assert status_of(server.handle(request("GET", "/view.jpg"), LAN_CLIENT)) == 403
    assert status_of(server.handle(request("GET", "/status"), LAN_CLIENT)) == 200  # as before
    assert status_of(server.handle(request("GET", "/"), "127.0.0.1")) == 200


def test_opened_to_the_lan_every_request_needs_the_token(page_parts):
    _, _, view, notes = page_parts
    source = SnapshotSource()
    server = make_server(source, page=SetupPage(view, notes, TOKEN, on_lan=True))
    login_form = server.handle(request("GET", "/"), LAN_CLIENT)
    assert status_of(login_form) == 401 and b'id="login"' in login_form
    for path in ("/view.jpg", "/notes.json", "/status", "/metrics"):
        assert status_of(server.handle(request("GET", path), LAN_CLIENT)) == 401, path
    wrong = server.handle(request("POST", "/login", body=b'{"token": "guess"}'), LAN_CLIENT)
    assert status_of(wrong) == 401 and b"Set-Cookie" not in wrong
    right = server.handle(request("POST", "/login", body=json.dumps({"token": TOKEN}).encode()),
                          LAN_CLIENT)
    assert status_of(right) == 200
    assert f"Set-Cookie: {COOKIE}={TOKEN}; Path=/".encode() in right
    assert b"HttpOnly; SameSite=Strict" in right
    cookie = {"cookie": f"{COOKIE}={TOKEN}"}
    for path in ("/", "/view.jpg", "/status"):
        assert status_of(server.handle(request("GET", path, cookie), LAN_CLIENT)) == 200, path
    bearer = {"authorization": f"Bearer {TOKEN}"}
    assert status_of(server.handle(request("GET", "/metrics", bearer), LAN_CLIENT)) == 200
    mode = request("POST", "/mode", cookie, b'{"command": "set", "mode": "greedy"}')
    assert status_of(server.handle(mode, LAN_CLIENT)) == 202
    assert source.commands == ["set greedy"]
    stolen = {"cookie": f"{COOKIE}=not-the-token"}
    assert status_of(server.handle(request("GET", "/view.jpg", stolen), LAN_CLIENT)) == 401


def test_opening_the_page_needs_a_token_and_a_lan_address(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[health]\npage_on_lan = true\nhost = "0.0.0.0"\n')
    with pytest.raises(InputError, match=r"page_on_lan = true needs a \[health\] token"):
        load(path)
    path.write_text(f'[health]\npage_on_lan = true\ntoken = "{TOKEN}"\n')
    with pytest.raises(InputError, match=r'needs \[health\] host = "0.0.0.0"'):
        load(path)
    path.write_text(f'[health]\npage_on_lan = true\ntoken = "{TOKEN}"\nhost = "0.0.0.0"\n')
    assert load(path).health.page_on_lan and not Config().health.page_on_lan
