"""The service's HTTP face: /healthz, /readyz, /status, /metrics (read-only, GET or HEAD) and
POST /mode and POST /sound (world, volume).

Every request only reads the loop's snapshot or enqueues a validated command; a malformed or
unauthorised request is answered 4xx and never reaches the loop. Connections are served by a
bounded selector loop (health.listener); requests are parsed under hard bounds (health.http).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import socket
import threading
from http import HTTPStatus
from typing import Callable

from dance2music.errors import Dance2MusicError, InputError
from dance2music.health import metrics, platform, state
from dance2music.health.http import (HttpError, Request, is_loopback, json_body, json_response,
                                     response)
from dance2music.health.listener import LISTEN_BACKLOG, MAX_CONNECTIONS, Listener
from dance2music.health.page import PageAnswer, SetupPage
from dance2music.modes.commands import Command
from dance2music.modes.table import MODE_NAMES
from dance2music.sound.worlds import WORLD_NAMES

log = logging.getLogger(__name__)

GET_PATHS = ("/healthz", "/readyz", "/status", "/metrics")
POST_PATHS = ("/mode", "/sound")
LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")


class HealthServer:
    """Serves the endpoints from a daemon thread; `snapshot()` is the loop's stats (its key
    `last_progress_s` is time.monotonic() of the last completed iteration) and
    `submit_command(str)` hands "next" / "set <mode>" / "standby" / "wake" to the loop."""

    def __init__(self, snapshot: Callable[[], dict], submit_command: Callable[[str], None],
                 host: str = "127.0.0.1", port: int = 8765, token: str | None = None,
                 stall_after_s: float = 5.0,
                 platform_readings: Callable[[], dict] | None = None,
                 max_connections: int = MAX_CONNECTIONS, page: SetupPage | None = None):
        if stall_after_s <= 0:
            raise InputError(f"stall_after_s must be > 0 seconds, got {stall_after_s}")
        self.snapshot = snapshot
        self.submit_command = submit_command
        self.host, self.port = host, port
        self.token = token or None
        self.stall_after_s = stall_after_s
        # vcgencmd forks a process: one reading a second at most, however many requests come.
        self.platform_readings = platform_readings or platform.CachedReadings()
        self.max_connections = max_connections
        self.page = page  # the setup page at /, when the appliance serves one
        self._address: tuple[str, int] | None = None
        self._listener: Listener | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def address(self) -> tuple[str, int] | None:
        """(host, port) actually bound (the ephemeral port when constructed with port=0);
        None until started, so a caller polling it from another thread sees no half state."""
        return self._address

    def start(self) -> None:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        try:
            sock = socket.create_server((self.host, self.port), family=family,
                                        backlog=LISTEN_BACKLOG)
        except OSError as e:
            raise Dance2MusicError(f"[health] cannot listen on {self.host}:{self.port}: "
                                   f"{e.strerror or e}") from e
        listener = Listener(sock, self.handle, self.max_connections)
        with self._lock:
            self._address = sock.getsockname()[:2]
            self._listener = listener
            self._thread = threading.Thread(target=self._serve, args=(listener, sock),
                                            name="health-http", daemon=True)
            self._thread.start()
        log.info("health endpoints on http://%s:%d", *self.address)

    @staticmethod
    def _serve(listener: Listener, sock: socket.socket) -> None:
        try:
            listener.serve_forever()
        finally:
            sock.close()

    def close(self) -> None:
        with self._lock:
            listener, thread = self._listener, self._thread
            self._listener = self._thread = None
        if thread is not None and listener is not None:
            listener.stop()
            thread.join()

    def __enter__(self) -> HealthServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- the answers, computed from one snapshot each -------------------------------------

    def healthz(self, snap: dict) -> tuple[int, dict]:
        age = state.progress_age_s(snap)
        alive = state.is_alive(snap, self.stall_after_s)
        body = {"alive": alive, "progress_age_s": age, "stall_after_s": self.stall_after_s}
        return (200 if alive else 503), body

    def readyz(self, snap: dict) -> tuple[int, dict]:
        down = state.not_ready(snap)
        return (503 if down else 200), {"ready": not down, "not_ready": down,
                                        "degraded": state.degraded(snap)}

    def status(self, snap: dict) -> dict:
        down = state.not_ready(snap)
        health = {"alive": state.is_alive(snap, self.stall_after_s), "ready": not down,
                  "not_ready": down, "degraded": state.degraded(snap),
                  "progress_age_s": state.progress_age_s(snap)}
        return {**snap, "health": health, "platform": self.platform_readings(),
                "modes": MODE_NAMES, "worlds": WORLD_NAMES,
                "view_watched": self.page is not None and self.page.view_watched}

    def authorised(self, client_host: str, authorization: str | None) -> bool:
        if is_loopback(client_host):
            return True
        if self.token is None or not authorization:
            return False
        scheme, _, supplied = authorization.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            supplied.strip().encode(), self.token.encode())


    def host_allowed(self, host_header: str | None) -> bool:
        """Whether a state-changing request names this service: an IP address, a loopback
        name, this machine's name or the configured host. A browser tricked by DNS
        rebinding sends the attacker's domain name here."""
        if host_header is None:  # HTTP/1.0 without Host: not from a browser
            return True
        name = host_header.strip().lower()
        if name.startswith("["):
            name = name[1:].partition("]")[0]
        elif name.count(":") == 1:
            name = name.partition(":")[0]
        try:
            ipaddress.ip_address(name.split("%")[0])
            return True
        except ValueError:
            pass
        machine = socket.gethostname().lower()
        return name.rstrip(".") in (*LOOPBACK_NAMES, self.host.lower(), machine,
                                    f"{machine}.local")

    # --- requests ------------------------------------------------------------------------

    def handle(self, request: Request, client_host: str) -> bytes:
        """The whole response to one parsed request."""
        head = request.method == "HEAD"
        try:
            if self.page is not None:
                answer = self._page(request, client_host)
                if answer is not None:
                    return response(answer.status, answer.body, answer.content_type,
                                    answer.headers, head)
            if request.method == "POST":
                return self._post(request, client_host)
            return self._get(request.path, head)
        except HttpError as e:
            return json_response(e.status, {"error": e.message}, e.headers, head)

    def _get(self, path: str, head: bool) -> bytes:
        if path in POST_PATHS:
            raise HttpError(HTTPStatus.METHOD_NOT_ALLOWED, "use POST", {"Allow": "POST"})
        if path not in GET_PATHS:
            raise HttpError(HTTPStatus.NOT_FOUND,
                            f"no endpoint {path[:100]}; try {', '.join(GET_PATHS)}")
        try:
            snap = self.snapshot()
        except Exception as e:  # the loop's snapshot failed: say so, keep serving
            log.exception("snapshot failed")
            raise HttpError(HTTPStatus.INTERNAL_SERVER_ERROR, f"snapshot failed: {e}") from None
        if path == "/healthz":
            return json_response(*self.healthz(snap), head=head)
        if path == "/readyz":
            return json_response(*self.readyz(snap), head=head)
        if path == "/status":
            return json_response(HTTPStatus.OK, self.status(snap), head=head)
        body = metrics.exposition(lambda: snap, self.platform_readings)
        return response(HTTPStatus.OK, body, "text/plain; version=0.0.4; charset=utf-8",
                        head=head)

    def _page(self, request: Request, client_host: str) -> PageAnswer | None:
        """The setup page's routes, and its rule that once it is open to the LAN every request
        from off the box carries the token; None: not the page's to answer."""
        page = self.page
        method = "GET" if request.method == "HEAD" else request.method
        serves = page.serves(method, request.path)
        # A page rebound to an attacker's name would read the camera view from loopback.
        if serves and not self.host_allowed(request.headers.get("host")):
            raise HttpError(HTTPStatus.FORBIDDEN, "the Host header does not name this service")
        if method == "POST" and request.path == "/login":
            return page.login(json_body(request))
        if not page.authorised(client_host, request.headers):
            return page.refusal(request.path) if serves or page.on_lan else None
        return page.get(request.path) if serves and method == "GET" else None

    def _post(self, request: Request, client_host: str) -> bytes:
        if request.path in GET_PATHS:
            raise HttpError(HTTPStatus.METHOD_NOT_ALLOWED, "read-only endpoint",
                            {"Allow": "GET, HEAD"})
        if request.path not in POST_PATHS:
            raise HttpError(HTTPStatus.NOT_FOUND, f"no endpoint {request.path[:100]}")
        if not self.host_allowed(request.headers.get("host")):
            raise HttpError(HTTPStatus.FORBIDDEN, "the Host header does not name this service")
        if not (self.authorised(client_host, request.headers.get("authorization")) or (
                self.page is not None and self.page.authorised(client_host, request.headers))):
            raise HttpError(HTTPStatus.UNAUTHORIZED,
                            "mode and sound changes need loopback or 'Authorization: Bearer "
                            "<token>'")
        try:
            body = json_body(request)
            command = str(Command.from_sound_json(body) if request.path == "/sound"
                          else Command.from_json(body))
        except InputError as e:
            raise HttpError(HTTPStatus.BAD_REQUEST, str(e)) from None
        try:
            self.submit_command(command)
        except Exception as e:  # e.g. the loop's queue is full: the client may retry
            log.warning("command %r not accepted: %s", command, e)
            raise HttpError(HTTPStatus.SERVICE_UNAVAILABLE, f"command not accepted: {e}") from None
        return json_response(HTTPStatus.ACCEPTED, {"accepted": command})
