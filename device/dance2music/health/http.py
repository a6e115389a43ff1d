"""HTTP/1.x requests parsed under hard bounds, and the responses to them.

Every malformed, oversized or unsupported request is an HttpError carrying its 4xx/5xx status
and a message; nothing a client sends can make the parser allocate more than the bounds below
or recurse deeper than MAX_JSON_DEPTH."""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import re
from http import HTTPStatus

MAX_HEADER_BYTES = 8192  # request line and headers together
MAX_HEADERS = 64
MAX_BODY_BYTES = 4096
MAX_JSON_DEPTH = 4
METHODS = ("GET", "HEAD", "POST")
_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_TARGET = re.compile(rb"/[\x21-\x7e]*")
_VERSION = re.compile(rb"HTTP/(\d)\.(\d)")


class HttpError(Exception):
    """A request the server refuses, with the status and the message it answers."""

    def __init__(self, status: HTTPStatus, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


@dataclasses.dataclass(frozen=True)
class Request:
    method: str
    path: str  # without the query string
    version: str  # "HTTP/1.0" or "HTTP/1.1"
    headers: dict[str, str]  # names in lower case
    body: bytes


def parse_request(data: bytes) -> tuple[Request, int] | None:
    """The request at the start of `data` and the bytes it used, or None while it is incomplete."""
    end = data.find(b"\r\n\r\n")
    if end < 0 or end > MAX_HEADER_BYTES:
        if len(data) > MAX_HEADER_BYTES:
            raise HttpError(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                            f"request line and headers exceed {MAX_HEADER_BYTES} bytes")
        return None
    request_line, *header_lines = data[:end].split(b"\r\n")
    method, path, version = _request_line(request_line)
    headers = _headers(header_lines)
    if version == "HTTP/1.1" and "host" not in headers:
        raise HttpError(HTTPStatus.BAD_REQUEST, "HTTP/1.1 request without a Host header")
    if "transfer-encoding" in headers:
        raise HttpError(HTTPStatus.NOT_IMPLEMENTED, "Transfer-Encoding is not accepted; send "
                                                    "Content-Length")
    length = content_length(headers)
    start = end + 4
    if len(data) < start + (length or 0):
        return None
    body = data[start:start + (length or 0)]
    return Request(method, path, version, headers, body), start + len(body)


def _request_line(line: bytes) -> tuple[str, str, str]:
    parts = line.split(b" ")
    if len(parts) != 3:
        raise HttpError(HTTPStatus.BAD_REQUEST, f"malformed request line {_shown(line)}")
    method, target, version = parts
    version_match = _VERSION.fullmatch(version)
    if not _TOKEN.fullmatch(method) or not _TARGET.fullmatch(target) or not version_match:
        raise HttpError(HTTPStatus.BAD_REQUEST, f"malformed request line {_shown(line)}")
    if version_match.groups() not in ((b"1", b"0"), (b"1", b"1")):
        raise HttpError(HTTPStatus.HTTP_VERSION_NOT_SUPPORTED, "only HTTP/1.0 and 1.1")
    if method.decode() not in METHODS:
        raise HttpError(HTTPStatus.NOT_IMPLEMENTED, f"method {method.decode()} not supported",
                        {"Allow": ", ".join(METHODS)})
    return method.decode(), target.split(b"?", 1)[0].decode(), version.decode()


def _shown(line: bytes) -> str:
    return repr(line[:80].decode("latin-1"))


def _headers(lines: list[bytes]) -> dict[str, str]:
    if len(lines) > MAX_HEADERS:
        raise HttpError(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                        f"more than {MAX_HEADERS} header fields")
    headers: dict[str, str] = {}
    for line in lines:
        name, colon, value = line.partition(b":")
        if not colon or not _TOKEN.fullmatch(name):  # also refuses obsolete line folding
            raise HttpError(HTTPStatus.BAD_REQUEST, f"malformed header line {_shown(line)}")
        key = name.decode().lower()
        if key in headers and key in ("content-length", "host", "authorization"):
            raise HttpError(HTTPStatus.BAD_REQUEST, f"header {key} given twice")
        headers[key] = value.strip(b" \t").decode("latin-1")
    return headers


def content_length(headers: dict[str, str]) -> int | None:
    """The declared body size, bounded before it is converted (a 5,000-digit number is 413)."""
    text = headers.get("content-length")
    if text is None:
        return None
    if not text.isascii() or not text.isdigit():
        raise HttpError(HTTPStatus.BAD_REQUEST, f"Content-Length {text[:20]!r} is not a byte count")
    if len(text) > len(str(MAX_BODY_BYTES)) or int(text) > MAX_BODY_BYTES:
        raise HttpError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                        f"body of {text[:20]}{'...' if len(text) > 20 else ''} bytes exceeds "
                        f"{MAX_BODY_BYTES}")
    return int(text)


def json_body(request: Request) -> object:
    """The request's JSON body, after checking its type, size and nesting depth."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise HttpError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json")
    if "content-length" not in request.headers:
        raise HttpError(HTTPStatus.LENGTH_REQUIRED, "Content-Length is required")
    depth = json_depth(request.body)
    if depth > MAX_JSON_DEPTH:
        raise HttpError(HTTPStatus.BAD_REQUEST, f"JSON nested {depth} deep; at most "
                                                f"{MAX_JSON_DEPTH} allowed")
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as e:  # JSONDecodeError is a ValueError
        raise HttpError(HTTPStatus.BAD_REQUEST, f"body is not JSON: {e}") from None


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in `body`, counted without parsing it."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b"]}":
            depth -= 1
    return deepest


def response(status: int, body: bytes, content_type: str, headers: dict | None = None,
             head: bool = False) -> bytes:
    """A complete HTTP/1.1 response that closes the connection (HEAD: without its body)."""
    phrase = HTTPStatus(status).phrase
    lines = [f"HTTP/1.1 {status} {phrase}", f"Content-Type: {content_type}",
             f"Content-Length: {len(body)}", "Cache-Control: no-store", "Connection: close",
             "Server: dance2music-health",
             *(f"{name}: {value}" for name, value in (headers or {}).items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (b"" if head else body)


def json_response(status: int, body: dict, headers: dict | None = None,
                  head: bool = False) -> bytes:
    data = (json.dumps(body, default=str) + "\n").encode()
    return response(status, data, "application/json", headers, head)


def is_loopback(host: str) -> bool:
    """Whether a client address is this machine (IPv4, IPv6 or IPv4-mapped IPv6)."""
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback
