"""One thread serving many HTTP connections with a selector, under fixed bounds.

At most `max_connections` are open at once: a new one evicts the oldest (a slow or stalled
client; a real probe sends its request at once and is answered within one pass). Each has a
deadline from accept to its last byte sent. When the process runs out of file descriptors,
accepting pauses briefly instead of spinning on a listening socket that stays readable. One
log line, never a traceback, for each client that breaks off."""

from __future__ import annotations

import errno
import logging
import selectors
import socket
import threading
import time
from collections.abc import Callable
from http import HTTPStatus

from dance2music.health.http import (MAX_BODY_BYTES, MAX_HEADER_BYTES, HttpError, Request,
                                     json_response, parse_request)

log = logging.getLogger(__name__)

MAX_CONNECTIONS = 64
LISTEN_BACKLOG = 128
DEADLINE_S = 5.0  # from accept to the response's last byte
LINGER_S = 1.0  # after answering, read (and drop) what the client still sends, this long
ACCEPT_PAUSE_S = 0.1  # out of file descriptors: wait this long before accepting again
ACCEPTS_PER_PASS = 32
_FD_EXHAUSTED = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
_READ_LIMIT = MAX_HEADER_BYTES + MAX_BODY_BYTES + 4

Handler = Callable[[Request, str], bytes]  # (request, client host) -> the whole response


class _Connection:
    def __init__(self, sock: socket.socket, peer: str, now: float):
        self.sock, self.peer = sock, peer
        self.accepted_s = now
        self.deadline_s = now + DEADLINE_S
        self.received = bytearray()
        self.outgoing = memoryview(b"")
        self.answered = False  # the response is queued or sent; now only lingering


class Listener:
    def __init__(self, sock: socket.socket, handle: Handler,
                 max_connections: int = MAX_CONNECTIONS):
        self._listening = sock
        self._listening.setblocking(False)
        self._handle = handle
        self.max_connections = max_connections
        self._selector = selectors.DefaultSelector()
        self._connections: dict[socket.socket, _Connection] = {}
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._stopping = threading.Event()
        self._accept_paused_until: float | None = None

    @property
    def open_connections(self) -> int:
        return len(self._connections)

    def serve_forever(self) -> None:
        self._selector.register(self._listening, selectors.EVENT_READ, "listen")
        self._selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        try:
            while not self._stopping.is_set():
                ready = self._selector.select(self._timeout_s())
                for key, events in ready:
                    if key.data == "wake":
                        self._wake_r.recv(64)
                    elif key.data == "conn" and key.fileobj in self._connections:
                        self._service(self._connections[key.fileobj], events)
                # Accept after serving: a client whose request has arrived is answered before
                # newcomers can push it out.
                if any(key.data == "listen" for key, _ in ready):
                    self._accept()
                self._expire(time.monotonic())
        finally:
            for conn in list(self._connections.values()):
                self._close(conn)
            self._selector.close()
            self._wake_r.close()
            self._wake_w.close()

    def stop(self) -> None:
        self._stopping.set()
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    def _timeout_s(self) -> float:
        now = time.monotonic()
        due = [c.deadline_s for c in self._connections.values()]
        if self._accept_paused_until is not None:
            due.append(self._accept_paused_until)
        return max(0.0, min([now + 0.5, *due]) - now)

    # --- accepting ------------------------------------------------------------------------

    def _accept(self) -> None:
        for _ in range(ACCEPTS_PER_PASS):
            try:
                sock, address = self._listening.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                if e.errno in _FD_EXHAUSTED:
                    self._pause_accepting(e)
                else:
                    log.info("health: accept failed: %s", e.strerror or e)
                return
            sock.setblocking(False)
            if len(self._connections) >= self.max_connections:
                self._drop(self._eviction_candidate(), HTTPStatus.SERVICE_UNAVAILABLE,
                           f"evicted: {self.max_connections} connections open")
            conn = _Connection(sock, str(address[0]), time.monotonic())
            self._connections[sock] = conn
            self._selector.register(sock, selectors.EVENT_READ, "conn")

    def _pause_accepting(self, error: OSError) -> None:
        """Out of descriptors the listening socket stays readable: stop watching it for a
        moment (no busy loop) and free one descriptor by evicting the oldest client."""
        if self._accept_paused_until is None:
            log.warning("health: cannot accept (%s); %d connections open, pausing %.0f ms",
                        error.strerror, len(self._connections), ACCEPT_PAUSE_S * 1000)
            self._selector.unregister(self._listening)
        self._accept_paused_until = time.monotonic() + ACCEPT_PAUSE_S
        if self._connections:
            self._drop(self._eviction_candidate(), HTTPStatus.SERVICE_UNAVAILABLE,
                       "evicted: out of descriptors")

    def _eviction_candidate(self) -> _Connection:
        """One already answered if any (it is only lingering), else the oldest."""
        return min(self._connections.values(), key=lambda c: (not c.answered, c.accepted_s))

    def _expire(self, now: float) -> None:
        if self._accept_paused_until is not None and now >= self._accept_paused_until:
            self._accept_paused_until = None
            self._selector.register(self._listening, selectors.EVENT_READ, "listen")
        for conn in [c for c in self._connections.values() if now >= c.deadline_s]:
            if conn.answered:
                self._close(conn)
            else:
                self._drop(conn, HTTPStatus.REQUEST_TIMEOUT,
                           f"no complete request within {DEADLINE_S:g} s")

    # --- one connection -------------------------------------------------------------------

    def _service(self, conn: _Connection, events: int) -> None:
        try:
            if events & selectors.EVENT_READ:
                self._read(conn)
            if events & selectors.EVENT_WRITE and conn.sock in self._connections:
                self._write(conn)
        except OSError as e:  # reset, broken pipe: the client went away
            log.info("health: client %s broke off: %s", conn.peer, e.strerror or e)
            self._close(conn)

    def _read(self, conn: _Connection) -> None:
        try:
            data = conn.sock.recv(4096)
        except BlockingIOError:  # readiness that was not (it happens): wait for the next
            return
        if conn.answered:  # lingering: drop what still comes, close at its end
            if not data:
                self._close(conn)
            return
        if not data:
            if conn.received:
                log.info("health: client %s closed mid-request", conn.peer)
            self._close(conn)
            return
        conn.received += data[: _READ_LIMIT - len(conn.received)]
        try:
            parsed = parse_request(bytes(conn.received))
        except HttpError as e:
            self._answer(conn, json_response(e.status, {"error": e.message}, e.headers))
            return
        if parsed is None:
            return
        request, _ = parsed
        try:
            answer = self._handle(request, conn.peer)
        except Exception:  # a bug in a handler must not take the listener down
            log.exception("health: handler failed for %s %s", request.method, request.path)
            answer = json_response(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "internal error"})
        self._answer(conn, answer)

    def _answer(self, conn: _Connection, data: bytes) -> None:
        conn.answered = True
        conn.outgoing = memoryview(data)
        self._selector.modify(conn.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, "conn")
        self._write(conn)

    def _write(self, conn: _Connection) -> None:
        if conn.outgoing:
            try:
                sent = conn.sock.send(conn.outgoing)
            except BlockingIOError:
                return
            conn.outgoing = conn.outgoing[sent:]
        if not conn.outgoing:
            # All sent: half-close and read until the client closes, so that bytes it is still
            # sending (a body we refused) do not turn our close into a reset that loses the answer.
            conn.sock.shutdown(socket.SHUT_WR)
            self._selector.modify(conn.sock, selectors.EVENT_READ, "conn")
            conn.deadline_s = min(conn.deadline_s, time.monotonic() + LINGER_S)

    def _drop(self, conn: _Connection, status: HTTPStatus, reason: str) -> None:
        """Answer `status` if the socket takes it at once, then close: one log line."""
        if not conn.answered:
            log.info("health: client %s dropped: %s", conn.peer, reason)
            try:
                conn.sock.send(json_response(status, {"error": reason}))
            except OSError:
                pass
        self._close(conn)

    def _close(self, conn: _Connection) -> None:
        self._connections.pop(conn.sock, None)
        try:
            self._selector.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        conn.sock.close()
