"""The setup page at `/`: plain HTML, CSS and JavaScript shipped in the package (nothing
fetched from anywhere else), the camera's view (/view.jpg) and the last seconds of notes
(/notes.json). The page itself reads /status and posts to /mode like any other client.

Who may see it: loopback always (ssh -L 8765:127.0.0.1:8765 pi@dance.local, then a browser on
http://127.0.0.1:8765/); the LAN only with [health] page_on_lan, and then every request from
off the box carries the token, as a bearer header or as the cookie /login sets."""

from __future__ import annotations

import dataclasses
import hmac
import json
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from importlib import resources
from typing import Mapping

from dance2music.health.http import is_loopback
from dance2music.health.notes import RecentNotes
from dance2music.health.view import CameraView

COOKIE = "dance2music_token"
COOKIE_MAX_AGE_S = 365 * 24 * 3600
STATIC = {  # path -> (file in health/static, content type)
    "/": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/app.css": ("app.css", "text/css; charset=utf-8"),
    "/login.js": ("login.js", "text/javascript; charset=utf-8"),
}
LOGIN = ("login.html", "text/html; charset=utf-8")
DYNAMIC_PATHS = ("/view.jpg", "/notes.json")
PAGE_GET_PATHS = (*STATIC, *DYNAMIC_PATHS)
PAGE_POST_PATHS = ("/login",)
# The page's own rules for the browser: only this box's scripts, styles and images.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self'; object-src 'none'; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@dataclasses.dataclass(frozen=True)
class PageAnswer:
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = dataclasses.field(default_factory=dict)


def _json(status: int, value: dict) -> PageAnswer:
    return PageAnswer(status, (json.dumps(value) + "\n").encode(), "application/json")


class SetupPage:
    def __init__(self, view: CameraView | None, notes: RecentNotes | None, token: str | None,
                 on_lan: bool = False):
        self.view = view
        self.notes = notes
        self.token = token or None
        self.on_lan = on_lan
        files = resources.files("dance2music.health") / "static"
        self._static = {path: (files.joinpath(name).read_bytes(), kind)
                        for path, (name, kind) in {**STATIC, "login": LOGIN}.items()}

    @property
    def view_watched(self) -> bool:
        return self.view is not None and self.view.watched

    def serves(self, method: str, path: str) -> bool:
        return path in (PAGE_POST_PATHS if method == "POST" else PAGE_GET_PATHS)

    def authorised(self, client_host: str, headers: Mapping[str, str]) -> bool:
        """Loopback, or (page on the LAN) the token as a bearer header or the page's cookie."""
        if is_loopback(client_host):
            return True
        if not self.on_lan or self.token is None:
            return False
        scheme, _, bearer = (headers.get("authorization") or "").partition(" ")
        supplied = bearer.strip() if scheme.lower() == "bearer" else _cookie(headers)
        return supplied is not None and hmac.compare_digest(supplied.encode(),
                                                            self.token.encode())

    def refusal(self, path: str) -> PageAnswer:
        """What an unauthorised client gets: on the LAN, the login form for the page itself."""
        if not self.on_lan:
            return _json(HTTPStatus.FORBIDDEN, {
                "error": "the setup page is served to this box only (loopback); set [health] "
                         "page_on_lan = true (with a token) to open it to the LAN, or use "
                         "ssh -L 8765:127.0.0.1:8765 to reach it"})
        if path == "/":
            body, kind = self._static["login"]
            return PageAnswer(HTTPStatus.UNAUTHORIZED, body, kind, dict(SECURITY_HEADERS))
        return _json(HTTPStatus.UNAUTHORIZED, {"error": "the token is needed: open / to log in, "
                                                        "or send 'Authorization: Bearer ...'"})

    def get(self, path: str) -> PageAnswer:
        if path in STATIC:
            body, kind = self._static[path]
            return PageAnswer(HTTPStatus.OK, body, kind, dict(SECURITY_HEADERS))
        if path == "/notes.json":
            return _json(HTTPStatus.OK, self.notes.recent() if self.notes is not None
                         else {"now_s": 0.0, "window_s": 0.0, "notes": []})
        jpeg = self.view.jpeg() if self.view is not None else None
        if jpeg is None:
            return _json(HTTPStatus.SERVICE_UNAVAILABLE,
                         {"error": "no camera frame yet (starting, standby or camera down)"})
        return PageAnswer(HTTPStatus.OK, jpeg, "image/jpeg")

    def login(self, body: object) -> PageAnswer:
        """POST /login {"token": "..."}: the cookie that lets this browser in."""
        supplied = body.get("token") if isinstance(body, dict) else None
        if (not self.on_lan or self.token is None or not isinstance(supplied, str)
                or not hmac.compare_digest(supplied.encode(), self.token.encode())):
            return _json(HTTPStatus.UNAUTHORIZED, {"error": "wrong token"})
        cookie = (f"{COOKIE}={self.token}; Path=/; Max-Age={COOKIE_MAX_AGE_S}; HttpOnly; "
                  f"SameSite=Strict")
        answer = _json(HTTPStatus.OK, {"ok": True})
        return dataclasses.replace(answer, headers={"Set-Cookie": cookie})


def _cookie(headers: Mapping[str, str]) -> str | None:
    try:
        morsel = SimpleCookie(headers.get("cookie") or "").get(COOKIE)
    except CookieError:
        return None
    return morsel.value if morsel is not None else None
