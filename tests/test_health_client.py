"""The status client talks to the service directly: never through a proxy from the environment
and never along a redirect, either of which would receive the bearer token (issue 14, 7)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dance2music.health import client


class Recorder(BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.seen.append((self.path, self.headers.get("Authorization")))
        if self.server.redirect_to:
            self.send_response(302)
            self.send_header("Location", self.server.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"ok": True}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def servers():
    started = []

    def start(redirect_to=None):
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
        httpd.seen, httpd.redirect_to = [], redirect_to
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        started.append(httpd)
        return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"

    yield start
    for httpd in started:
        httpd.shutdown()
        httpd.server_close()


def test_the_proxy_from_the_environment_is_not_used(servers, monkeypatch):
    proxy, proxy_url = servers()
    service, service_url = servers()
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy"):
        monkeypatch.setenv(name, proxy_url)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    assert client.call(service_url, "/mode", {"command": "next"}, token="t0ken") == (200, {"ok": True})
    assert proxy.seen == [] and service.seen == [("/mode", "Bearer t0ken")]


def test_a_redirect_is_not_followed_with_the_token(servers):
    elsewhere, elsewhere_url = servers()
    service, service_url = servers(redirect_to=elsewhere_url + "/steal")
    with pytest.raises(client.ServiceUnreachable):
        client.call(service_url, "/mode", {"command": "next"}, token="t0ken")
    assert elsewhere.seen == [] and len(service.seen) == 1
