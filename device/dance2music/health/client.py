"""A small client for the service's endpoints, used by `dance2music status` and `mode`."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from dance2music.errors import Dance2MusicError


class ServiceUnreachable(Dance2MusicError):
    """Nothing answers at the service's address (not running, wrong --url, firewall)."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect would carry the bearer token to wherever it points


# The service is on this machine or the LAN: never through a proxy from http_proxy & co.,
# which would receive the bearer token.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)


def call(url: str, path: str, payload: dict | None = None, token: str | None = None,
         timeout_s: float = 3.0) -> tuple[int, dict]:
    """GET (or POST `payload` as JSON) -> (HTTP status, decoded JSON body); 4xx/5xx are
    returned, not raised, because their bodies say what is wrong."""
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url.rstrip("/") + path, data=data)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with _OPENER.open(request, timeout=timeout_s) as response:
            return response.status, _decode(response.read(), url + path)
    except urllib.error.HTTPError as e:
        return e.code, _decode(e.read(), url + path)
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise ServiceUnreachable(f"no answer from {url}{path}: {reason} "
                                 "(is dance2music.service running? see --url)") from e


def _decode(body: bytes, where: str) -> dict:
    try:
        decoded = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ServiceUnreachable(f"{where} did not answer JSON: {body[:80]!r}") from e
    if not isinstance(decoded, dict):
        raise ServiceUnreachable(f"{where} answered {type(decoded).__name__}, expected an object")
    return decoded
