"""The health server over real HTTP on 127.0.0.1 (ephemeral port)."""

from __future__ import annotations

import http.client
import json
import socket
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from dance2music.errors import Dance2MusicError
from dance2music.health.server import HealthServer
from health_fixtures import POSE_LATENCIES_S, SnapshotSource, make_server


@pytest.fixture
def source():
    return SnapshotSource()


@pytest.fixture
def server(source):
    with make_server(source) as srv:
        yield srv


def request(server, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection(*server.address, timeout=5)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        ctype = resp.getheader("Content-Type", "")
        return resp.status, (json.loads(data) if ctype.startswith("application/json") else data)
    finally:
        conn.close()


def post_mode(server, payload, headers=None):
    body = json.dumps(payload).encode()
    return request(server, "POST", "/mode", body,
                   {"Content-Type": "application/json", **(headers or {})})


def test_healthz_alive_then_stalled(server, source):
    status, body = request(server, "GET", "/healthz")
    assert status == 200 and body["alive"] is True
    source.stats["last_progress_s"] = time.monotonic() - 0.6
    status, body = request(server, "GET", "/healthz")
    assert status == 503 and body["alive"] is False and body["progress_age_s"] > 0.5
    source.progress()
    assert request(server, "GET", "/healthz")[0] == 200


def test_healthz_before_first_iteration_is_503(server, source):
    source.stats["last_progress_s"] = None
    assert request(server, "GET", "/healthz")[0] == 503


def test_readyz_names_the_components_not_up(server, source):
    assert request(server, "GET", "/readyz") == (200, {"ready": True, "not_ready": {},
                                                       "degraded": {}})
    source.stats["components"]["composer"] = {"ok": True, "degraded": "playing greedy"}
    assert request(server, "GET", "/readyz") == (200, {"ready": True, "not_ready": {},
                                                       "degraded": {"composer": "playing greedy"}})
    source.stats["components"]["camera"] = {"up": False, "error": "no /dev/video0"}
    del source.stats["components"]["audio"]
    status, body = request(server, "GET", "/readyz")
    assert status == 503
    assert body["not_ready"] == {"camera": "no /dev/video0", "audio": "not reported"}


def test_status_has_the_snapshot_health_and_platform(server, source):
    status, body = request(server, "GET", "/status")
    assert status == 200
    assert body["mode"] == "live" and body["notes_played"] == 42
    assert body["latency_ms"]["end_to_end"] == {"p50": 14.0, "p99": 24.0}
    assert body["models"] == {"pose.xml": "ab" * 32}
    assert body["health"]["alive"] and body["health"]["ready"]
    assert body["platform"]["cpu_temperature_c"] == 51.5


def test_metrics_follow_prometheus_conventions(server, source):
    status, data = request(server, "GET", "/metrics")
    assert status == 200
    families = {f.name: f for f in text_string_to_metric_families(data.decode())}
    sample = {(s.name, tuple(sorted(s.labels.items()))): s.value
              for f in families.values() for s in f.samples}
    assert all(f.type != "counter" or s.name.endswith(("_total", "_created"))
               for f in families.values() for s in f.samples)
    assert not [name for name in families if name.endswith("_ms")]
    assert sample[("dance2music_notes_played_total", ())] == 42
    assert sample[("dance2music_frames_per_second", ())] == pytest.approx(29.7)
    assert sample[("dance2music_fixed_latency_seconds", ())] == pytest.approx(0.25)
    assert families["dance2music_latency_seconds"].type == "histogram"
    pose = (("stage", "pose"),)
    assert sample[("dance2music_latency_seconds_bucket", (("le", "0.01"), *pose))] == 1
    assert sample[("dance2music_latency_seconds_bucket", (("le", "0.02"), *pose))] == 3
    assert sample[("dance2music_latency_seconds_bucket", (("le", "+Inf"), *pose))] == 4
    assert sample[("dance2music_latency_seconds_count", pose)] == len(POSE_LATENCIES_S)
    assert sample[("dance2music_latency_seconds_sum", pose)] == pytest.approx(sum(POSE_LATENCIES_S))
    assert sample[("process_resident_memory_bytes", ())] > 10e6
    assert sample[("process_open_fds", ())] > 2
    assert ("process_cpu_seconds_total", ()) in sample
    assert sample[("dance2music_component_up", (("component", "camera"),))] == 1.0
    assert sample[("dance2music_mode", (("mode", "live"),))] == 1.0
    assert sample[("dance2music_cpu_temperature_celsius", ())] == 51.5
    assert sample[("dance2music_throttled", (("flag", "throttled"),))] == 0.0
    assert sample[("dance2music_build_info", (("version", "0.1.0"),))] == 1.0


def test_mode_commands_from_loopback_reach_the_loop(server, source):
    assert post_mode(server, {"command": "next"}) == (202, {"accepted": "next"})
    assert post_mode(server, {"command": "set", "mode": "greedy"})[0] == 202
    assert post_mode(server, {"command": "standby"})[0] == 202
    assert source.commands == ["next", "set greedy", "standby"]


@pytest.mark.parametrize("payload, fragment", [
    ({"command": "set", "mode": "disco"}, "mode 'disco'"),
    ({"command": "reboot"}, "command 'reboot'"),
    (["next"], "JSON object"),
])
def test_invalid_commands_are_400_and_never_submitted(server, source, payload, fragment):
    status, body = post_mode(server, payload)
    assert status == 400 and fragment in body["error"]
    assert source.commands == []


def test_malformed_requests_get_4xx(server, source):
    assert request(server, "POST", "/mode", b"{not json",
                   {"Content-Type": "application/json"})[0] == 400
    assert request(server, "POST", "/mode", b"next", {"Content-Type": "text/plain"})[0] == 415
    assert request(server, "POST", "/mode", b"x" * 5000,
                   {"Content-Type": "application/json"})[0] == 413
    assert request(server, "GET", "/mode")[0] == 405
    assert request(server, "POST", "/status", b"{}", {"Content-Type": "application/json"})[0] == 405
    assert request(server, "GET", "/nope")[0] == 404
    assert request(server, "DELETE", "/mode")[0] == 501
    # A raw garbage request line and a body that never arrives.
    with socket.create_connection(server.address, timeout=5) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1 trailing-garbage\r\n\r\n")
        assert sock.makefile("rb").read().startswith(b"HTTP/1.1 400 Bad Request\r\n")
    with socket.create_connection(server.address, timeout=5) as sock:
        sock.sendall(b"POST /mode HTTP/1.1\r\nHost: localhost\r\n"
                     b"Content-Type: application/json\r\n\r\n{}")
        assert b" 411 " in sock.recv(100)
    assert source.commands == []
    assert request(server, "GET", "/healthz")[0] == 200  # still serving


def test_queue_full_is_503(server, source):
    source.fail_submit = True
    status, body = post_mode(server, {"command": "next"})
    assert status == 503 and "queue full" in body["error"]


def test_snapshot_failure_is_500_and_server_survives(source):
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise KeyError("latency_ms")
        return source.snapshot()

    with HealthServer(flaky, source.submit, port=0) as srv:
        assert request(srv, "GET", "/status")[0] == 500
        assert request(srv, "GET", "/status")[0] == 200


def test_token_rules_for_non_loopback_clients(source):
    server = HealthServer(source.snapshot, source.submit, token="s3cret")
    assert server.authorised("127.0.0.1", None)
    assert server.authorised("::1", None)
    assert server.authorised("::ffff:127.0.0.1", None)
    assert not server.authorised("192.168.1.20", None)
    assert not server.authorised("192.168.1.20", "Bearer wrong")
    assert not server.authorised("192.168.1.20", "Basic s3cret")
    assert server.authorised("192.168.1.20", "Bearer s3cret")
    open_server = HealthServer(source.snapshot, source.submit, token=None)
    assert not open_server.authorised("192.168.1.20", "Bearer ")


def non_loopback_address() -> str | None:
    """This machine's address on a real interface, to reach the server from off-loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET: no packet is sent for UDP connect
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_token_over_a_real_non_loopback_connection(source):
    address = non_loopback_address()
    if address is None:
        pytest.skip("no non-loopback IPv4 address on this machine")
    with HealthServer(source.snapshot, source.submit, host=address, port=0, token="s3cret") as srv:
        assert post_mode(srv, {"command": "next"})[0] == 401
        assert post_mode(srv, {"command": "next"}, {"Authorization": "Bearer nope"})[0] == 401
        assert post_mode(srv, {"command": "next"}, {"Authorization": "Bearer s3cret"})[0] == 202
        assert request(srv, "GET", "/healthz")[0] == 200  # reading needs no token
    assert source.commands == ["next"]


def test_port_in_use_is_a_clear_error(server, source):
    other = HealthServer(source.snapshot, source.submit, port=server.address[1])
    with pytest.raises(Dance2MusicError, match=r"cannot listen on 127.0.0.1:\d+"):
        other.start()


def test_close_is_idempotent(source):
    srv = HealthServer(source.snapshot, source.submit, port=0)
    srv.close()
    srv.start()
    srv.close()
    srv.close()
