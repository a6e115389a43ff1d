"""The service's HTTP face: /healthz, /readyz, /status, /metrics (read-only) and POST /mode.

Every request only reads the loop's snapshot or enqueues a validated command; a malformed or
unauthorised request is answered 4xx in its own thread and never reaches the loop.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import socket
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

from dance2music.errors import Dance2MusicError, InputError
from dance2music.health import metrics, platform, state
from dance2music.modes.commands import Command

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 4096
READ_TIMEOUT_S = 5.0          # a client that stops sending mid-request loses its thread after this
GET_PATHS = ("/healthz", "/readyz", "/status", "/metrics")
POST_PATHS = ("/mode",)


class HealthServer:
    """Serves the endpoints from a daemon thread; `snapshot()` is the loop's stats (its key
    `last_progress_s` is time.monotonic() of the last completed iteration) and
    `submit_command(str)` hands "next" / "set <mode>" / "standby" / "wake" to the loop."""

    def __init__(self, snapshot: Callable[[], dict], submit_command: Callable[[str], None],
                 host: str = "127.0.0.1", port: int = 8765, token: str | None = None,
                 stall_after_s: float = 5.0,
                 platform_readings: Callable[[], dict] = platform.platform_readings):
        if stall_after_s <= 0:
            raise InputError(f"stall_after_s must be > 0 seconds, got {stall_after_s}")
        self.snapshot = snapshot
        self.submit_command = submit_command
        self.host, self.port = host, port
        self.token = token or None
        self.stall_after_s = stall_after_s
        self.platform_readings = platform_readings
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) actually bound: the ephemeral port when constructed with port=0."""
        if self._httpd is None:
            raise RuntimeError("HealthServer is not started")
        return self._httpd.server_address[:2]

    def start(self) -> None:
        handler = type("BoundHandler", (_Handler,), {"app": self})
        server_class = _IPv6Server if ":" in self.host else _IPv4Server
        try:
            httpd = server_class((self.host, self.port), handler)
        except OSError as e:
            raise Dance2MusicError(f"[health] cannot listen on {self.host}:{self.port}: "
                                   f"{e.strerror or e}") from e
        with self._lock:
            self._httpd = httpd
            self._thread = threading.Thread(target=httpd.serve_forever, args=(0.1,),
                                            name="health-http", daemon=True)
            self._thread.start()
        log.info("health endpoints on http://%s:%d", *self.address[:2])

    def close(self) -> None:
        with self._lock:
            httpd, thread = self._httpd, self._thread
            self._thread = None
        if thread is not None and httpd is not None:
            httpd.shutdown()
            httpd.server_close()
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
        return {**snap, "health": health, "platform": self.platform_readings()}

    def authorised(self, client_host: str, authorization: str | None) -> bool:
        if _is_loopback(client_host):
            return True
        if self.token is None or not authorization:
            return False
        scheme, _, supplied = authorization.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            supplied.strip().encode(), self.token.encode())


def _is_loopback(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


class _IPv4Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class _IPv6Server(_IPv4Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    app: HealthServer
    server_version = "dance2music-health"
    timeout = READ_TIMEOUT_S

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path in POST_PATHS:
            return self._error(HTTPStatus.METHOD_NOT_ALLOWED, "use POST", allow="POST")
        if path not in GET_PATHS:
            return self._error(HTTPStatus.NOT_FOUND, f"no endpoint {path}; try {', '.join(GET_PATHS)}")
        try:
            snap = self.app.snapshot()
        except Exception as e:  # the loop's snapshot failed: say so, keep serving
            log.exception("snapshot failed")
            return self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"snapshot failed: {e}"})
        if path == "/healthz":
            self._json(*self.app.healthz(snap))
        elif path == "/readyz":
            self._json(*self.app.readyz(snap))
        elif path == "/status":
            self._json(HTTPStatus.OK, self.app.status(snap))
        else:
            body = metrics.exposition(lambda: snap, self.app.platform_readings)
            self._send(HTTPStatus.OK, body, "text/plain; version=0.0.4; charset=utf-8")

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        if path in GET_PATHS:
            return self._error(HTTPStatus.METHOD_NOT_ALLOWED, "read-only endpoint", allow="GET")
        if path not in POST_PATHS:
            return self._error(HTTPStatus.NOT_FOUND, f"no endpoint {path}")
        if not self.app.authorised(self.client_address[0], self.headers.get("Authorization")):
            return self._error(HTTPStatus.UNAUTHORIZED,
                               "mode changes need loopback or 'Authorization: Bearer <token>'")
        try:
            body = self._read_body()
            command = str(Command.from_json(json.loads(body)))
        except _HttpError as e:
            return self._error(e.status, e.message)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            return self._error(HTTPStatus.BAD_REQUEST, f"body is not JSON: {e}")
        except InputError as e:
            return self._error(HTTPStatus.BAD_REQUEST, str(e))
        try:
            self.app.submit_command(command)
        except Exception as e:  # e.g. the loop's queue is full: the client may retry
            log.warning("command %r not accepted: %s", command, e)
            return self._error(HTTPStatus.SERVICE_UNAVAILABLE, f"command not accepted: {e}")
        self._json(HTTPStatus.ACCEPTED, {"accepted": command})

    def _read_body(self) -> bytes:
        if self.headers.get_content_type() != "application/json":
            raise _HttpError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json")
        length = self.headers.get("Content-Length")
        if length is None:
            raise _HttpError(HTTPStatus.LENGTH_REQUIRED, "Content-Length is required")
        if not length.isdigit():
            raise _HttpError(HTTPStatus.BAD_REQUEST, f"Content-Length {length!r} is not a byte count")
        if int(length) > MAX_BODY_BYTES:
            raise _HttpError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                             f"body of {length} bytes exceeds {MAX_BODY_BYTES}")
        try:
            body = self.rfile.read(int(length))
        except TimeoutError:
            raise _HttpError(HTTPStatus.REQUEST_TIMEOUT, "body not received in time") from None
        if len(body) != int(length):
            raise _HttpError(HTTPStatus.BAD_REQUEST, "body shorter than Content-Length")
        return body

    def _error(self, status: HTTPStatus, message: str, allow: str | None = None) -> None:
        self._json(status, {"error": message}, {"Allow": allow} if allow else {})

    def _json(self, status: int, body: dict, headers: dict | None = None) -> None:
        data = (json.dumps(body, default=str) + "\n").encode()
        self._send(status, data, "application/json", headers)

    def _send(self, status: int, data: bytes, content_type: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        log.debug("%s %s", self.client_address[0], format % args)


class _HttpError(Exception):
    def __init__(self, status: HTTPStatus, message: str):
        super().__init__(message)
        self.status, self.message = status, message
