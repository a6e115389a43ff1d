"""The health server attacked over real loopback sockets: slow clients, a flood beyond the
connection cap, descriptor exhaustion, oversized and malformed requests, clients that hang up,
and a DNS-rebinding Host. /healthz keeps answering within 100 ms (issue 14, finding 2)."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import struct
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from dance2music.health import platform
from dance2music.health.server import HealthServer
from health_fixtures import SnapshotSource, make_server

CAP = 16  # a small cap makes "beyond the cap" cheap; the default (64) is the same code


@pytest.fixture
def source():
    return SnapshotSource()


@pytest.fixture
def server(source):
    with make_server(source, stall_after_s=60, max_connections=CAP) as srv:
        yield srv


def exchange(address, data: bytes, timeout_s: float = 5.0) -> bytes:
    """Send raw bytes, read the answer until the server closes."""
    with socket.create_connection(address, timeout=timeout_s) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def healthz_ms(address) -> float:
    start = time.perf_counter()
    answer = exchange(address, b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:100]
    return (time.perf_counter() - start) * 1000


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


@contextlib.contextmanager
def held_connections(address, count: int, partial: bytes = b"GET /healthz HTTP/1.1\r\n"):
    """`count` clients that connect, send `partial` and then nothing (slowloris)."""
    socks = []
    try:
        for _ in range(count):
            sock = socket.create_connection(address, timeout=5)
            sock.sendall(partial)
            socks.append(sock)
        yield socks
    finally:
        for sock in socks:
            sock.close()


def test_slow_clients_beyond_the_cap_never_block_healthz(server):
    threads_before = threading.active_count()
    with held_connections(server.address, 10 * CAP):
        probes = [healthz_ms(server.address) for _ in range(20)]
        assert threading.active_count() == threads_before  # no thread per connection
    assert max(probes) < 100, probes


def test_a_flood_of_connections_is_bounded(server):
    with held_connections(server.address, 300, partial=b""):
        time.sleep(0.2)
        probes = [healthz_ms(server.address) for _ in range(20)]
    assert max(probes) < 100, probes
    # The server's own connections: its listening socket plus at most the cap.
    assert server._listener.open_connections <= CAP


def test_evicted_and_timed_out_clients_get_an_answer(server, monkeypatch):
    with held_connections(server.address, CAP) as socks:
        healthz_ms(server.address)  # one more connection evicts the oldest
        socks[0].settimeout(2)
        assert socks[0].recv(100).startswith(b"HTTP/1.1 503 ")


SERVE_WITH_FEW_FDS = textwrap.dedent("""
    import resource, sys, time
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    from dance2music.health.server import HealthServer
    snap = lambda: {"last_progress_s": time.monotonic(), "components": {}}
    server = HealthServer(snap, lambda c: None, port=0, stall_after_s=5,
                          platform_readings=lambda: {})
    server.start()
    print(server.address[1], flush=True)
    sys.stdin.read()
""")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_descriptor_exhaustion_neither_spins_nor_stops_healthz(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", SERVE_WITH_FEW_FDS], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        address = ("127.0.0.1", int(proc.stdout.readline()))
        with held_connections(address, 70):  # more than the process has descriptors for
            time.sleep(0.3)
            cpu_before = cpu_seconds(proc.pid)
            time.sleep(1.0)
            cpu_used = cpu_seconds(proc.pid) - cpu_before
            probes = [healthz_ms(address) for _ in range(5)]
        assert cpu_used < 0.3, f"{cpu_used:.2f} s of CPU in 1 s: the accept loop spins"
        assert max(probes) < 500, probes  # waits out at most one accept pause
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)
        err = proc.stderr.read()
    assert "Traceback" not in err, err


def post(body: bytes, headers: str = "Content-Type: application/json\r\n",
         host: str = "localhost") -> bytes:
    return (f"POST /mode HTTP/1.1\r\nHost: {host}\r\n{headers}"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


@pytest.mark.parametrize("data, status", [
    (b"POST /mode HTTP/1.1\r\nHost: x\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\n", 413),
    (post(b"[" * 2000 + b"]" * 2000), 400),
    (post(b'{"command": ' + b"[" * 5 + b"]" * 5 + b"}"), 400),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-A: 1\r\n" * 100 + b"\r\n", 431),
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", 431),
    (b"POST /mode HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501),
    (b"POST /mode HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
    (b"POST /mode HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
    (b"GET /healthz HTTP/1.1\r\n\r\n", 400),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400),
    (b"GET /health\x00z HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400),
    (b"GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400),
    (b"BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 501),
    (post(b'{"command": "next"}', headers="Content-Type: text/plain\r\n"), 415),
    (post(b"\xff\xfe{}"), 400),
    (post(b'{"command": "set", "mode": ' + b"1" * 4000 + b"}"), 400),
])
def test_malformed_and_oversized_requests_get_their_4xx(server, source, caplog, data, status):
    with caplog.at_level(logging.DEBUG):
        answer = exchange(server.address, data)
    assert status_of(answer) == status, answer[:200]
    assert b'"error"' in answer
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    assert source.commands == []
    assert healthz_ms(server.address) < 100


def test_a_body_that_never_arrives_times_out(server, monkeypatch):
    monkeypatch.setattr("dance2music.health.listener.DEADLINE_S", 0.3)
    with socket.create_connection(server.address, timeout=5) as sock:
        sock.sendall(post(b'{"command": "next"}')[:-5])
        start = time.monotonic()
        answer = sock.recv(200)
    assert status_of(answer) == 408 and time.monotonic() - start < 2


def test_clients_that_hang_up_log_one_line_each(server, caplog):
    with caplog.at_level(logging.DEBUG, logger="dance2music.health"):
        for _ in range(20):
            sock = socket.create_connection(server.address)
            sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            # Close with a reset, before the answer is read.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        for _ in range(20):
            with socket.create_connection(server.address) as sock:
                sock.sendall(b"GET /hea")
        healthz_ms(server.address)
        time.sleep(0.1)
    lines = [r for r in caplog.records if r.name.startswith("dance2music.health")]
    assert len(lines) <= 40
    assert not [r for r in lines if r.exc_info], "a traceback was logged"


@pytest.mark.parametrize("host, status", [
    ("localhost", 202), ("localhost:8765", 202), ("127.0.0.1:8765", 202), ("[::1]:8765", 202),
    (socket.gethostname(), 202), ("evil.example", 403), ("evil.example:8765", 403),
    ("localhost.evil.example", 403),
])
def test_mode_changes_need_a_host_that_names_this_service(server, source, host, status):
    answer = exchange(server.address, post(b'{"command": "next"}', host=host))
    assert status_of(answer) == status
    assert source.commands == (["next"] if status == 202 else [])


@pytest.mark.parametrize("path", ["/readyz", "/metrics", "/nope"])
def test_head_answers_the_headers_of_get(server, path):
    get = exchange(server.address, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    head = exchange(server.address, f"HEAD {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    get_headers, get_body = get.split(b"\r\n\r\n", 1)
    head_headers, head_body = head.split(b"\r\n\r\n", 1)
    assert head_body == b"" and len(get_body) > 10
    if path != "/metrics":  # its uptime gauge changes length between the two
        assert head_headers == get_headers


def test_platform_readings_fork_at_most_once_a_second(source):
    calls = []
    now = [100.0]
    cached = platform.CachedReadings(lambda: calls.append(1) or {"n": len(calls)},
                                     clock=lambda: now[0])
    with HealthServer(source.snapshot, source.submit, port=0, platform_readings=cached) as srv:
        for _ in range(50):
            exchange(srv.address, b"GET /status HTTP/1.1\r\nHost: x\r\n\r\n")
        assert len(calls) == 1
        now[0] += 1.0
        exchange(srv.address, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        assert len(calls) == 2


@pytest.mark.parametrize("host, status", [("localhost:8765", 200), ("evil.example", 403)])
def test_the_setup_page_is_not_served_to_a_rebound_name(source, host, status):
    from dance2music.health.page import SetupPage

    with make_server(source, page=SetupPage(None, None, None)) as srv:
        answer = exchange(srv.address, f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    assert status_of(answer) == status
