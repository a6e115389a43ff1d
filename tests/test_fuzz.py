"""Property-based fuzzing of the three parsers that read what others write: the configuration
loader, the pose-file loader and the HTTP request parser. Every input either parses into a
valid value or fails with the project's own error and a message; never another exception, a
hang or a huge allocation (issue 14). The slow variants run thousands of inputs each."""

from __future__ import annotations

import dataclasses
import io
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from dance2music import config
from dance2music.commands import config as commands_config
from dance2music.errors import InputError
from dance2music.health import http
from dance2music.pose import sequence


def fuzz_tests(check, fast: int, slow: int, **strategies):
    """From one property, a quick test for every run and a long one marked slow: `fast` and
    `slow` inputs, each within 2 s (a hang fails), no example database on disk."""
    def make(examples: int):
        @settings(max_examples=examples, deadline=2000, database=None,
                  suppress_health_check=[HealthCheck.too_slow])
        @given(**strategies)
        def test(**drawn):
            check(**drawn)
        return test
    return make(fast), pytest.mark.slow(make(slow))


# --- the configuration loader -------------------------------------------------------------

SECTIONS = {f.name: {k.name: k for k in dataclasses.fields(getattr(config.Config(), f.name))}
            for f in dataclasses.fields(config.Config)}
names = st.sampled_from([*SECTIONS, "sound", "Loop", "x"])
scalars = st.one_of(st.integers(-10 ** 30, 10 ** 30), st.floats(allow_nan=True),
                    st.booleans(), st.text(max_size=20))


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") \
            if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return commands_config.toml_value(value)
    return str(value)


@st.composite
def config_texts(draw) -> bytes:
    if draw(st.booleans()):
        return draw(st.binary(max_size=300))
    lines = []
    for section in draw(st.lists(names, max_size=4)):
        lines.append(f"[{section}]")
        keys = list(SECTIONS.get(section, {"a": None})) + ["typo_key"]
        for key in draw(st.lists(st.sampled_from(keys), max_size=5, unique=True)):
            lines.append(f"{key} = {toml_value(draw(scalars))}")
    return "\n".join(lines).encode()


def loaded_or_refused(load, name: str, data: bytes):
    """`load` of a file holding `data`: what it returns, or None when it refused the file
    with an InputError naming it (any other exception fails the test)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            return load(path)
        except InputError as e:
            assert str(path) in str(e)
            return None


def check_config(text: bytes) -> None:
    cfg = loaded_or_refused(config.load, "fuzz.toml", text)
    if cfg is None:
        return
    for section, fields in SECTIONS.items():
        for name, field in fields.items():
            value = getattr(getattr(cfg, section), name)
            low, high = field.metadata["low"], field.metadata["high"]
            if isinstance(value, float):
                assert math.isfinite(value)
            if low is not None:
                assert low <= value <= high, (section, name, value)


test_fuzz_config_loader, test_fuzz_config_loader_thousands = fuzz_tests(
    check_config, 100, 3000, text=config_texts())


# --- the pose-file loader -----------------------------------------------------------------

dtypes = st.sampled_from(["<f4", "<f8", "<i8", "<u1", "|b1", "<c8", "<U3", "|O", "<f2"])
shapes = st.lists(st.integers(0, 40), max_size=4).map(tuple)


@st.composite
def arrays(draw):
    dtype, shape = draw(dtypes), draw(shapes)
    if shape == () or math.prod(shape) <= 4000:
        base = draw(st.sampled_from([0.0, 0.5, 30.0, 1e-6, 1e9, -5.0, np.nan, np.inf]))
        values = np.full(shape, base) + np.arange(math.prod(shape)).reshape(shape) * draw(
            st.sampled_from([0.0, 1.0, 1e-3, 1e7]))
    else:
        values = np.zeros((0,))
    if dtype == "|O":
        return values.astype(object)
    with np.errstate(all="ignore"):
        return values.astype(np.dtype(dtype)) if dtype != "<U3" else values.astype(str)


pose_keys = st.sampled_from(["keypoints", "fps", "image_size", "timestamps_s", "keypoints2d",
                             "timestamps_us", "other"])


@st.composite
def pose_files(draw) -> bytes:
    content = {"keypoints": np.full((draw(st.integers(1, 40)), 18, 3), 0.5, np.float32),
               "fps": np.float64(30.0), "image_size": np.array([640, 480])}
    for key in draw(st.lists(pose_keys, max_size=4)):
        content[key] = draw(arrays())
    for key in draw(st.lists(st.sampled_from(list(content)), max_size=2)):
        content.pop(key, None)
    buffer = io.BytesIO()
    np.savez(buffer, **content)
    data = bytearray(buffer.getvalue())
    for _ in range(draw(st.integers(0, 3))):  # flip bytes: headers, lengths, CRCs
        position = draw(st.integers(0, len(data) - 1))
        data[position] = draw(st.integers(0, 255))
    return bytes(data)


def check_pose_file(data: bytes) -> None:
    seq = loaded_or_refused(lambda path: sequence.load(path).resampled(), "fuzz.npz", data)
    if seq is not None:
        assert 1 <= len(seq) <= sequence.MAX_FRAMES and seq.duration_s <= sequence.MAX_DURATION_S


test_fuzz_pose_file_loader, test_fuzz_pose_file_loader_thousands = fuzz_tests(
    check_pose_file, 100, 2000, data=pose_files())


def test_the_pose_fuzzer_makes_files_that_load_and_files_that_do_not():
    """Not vacuous: among the generated files some load and some are refused."""
    def loads(data: bytes) -> bool:
        return loaded_or_refused(sequence.load, "f.npz", data) is not None

    quick = settings(max_examples=300, database=None)
    assert loads(find(pose_files(), loads, settings=quick))
    assert not loads(find(pose_files(), lambda data: not loads(data), settings=quick))


# --- the HTTP request parser --------------------------------------------------------------

methods = st.sampled_from(["GET", "HEAD", "POST", "PUT", "get", "", "G\x00T", "PRI"])
targets = st.sampled_from(["/healthz", "/mode", "/status?x=1", "*", "http://x/", "/\x7f", ""])
versions = st.sampled_from(["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1.10", "http/1.1", ""])
header_names = st.sampled_from(["Host", "Content-Length", "Content-Type", "Transfer-Encoding",
                                "X", "Bad Name", ""])
header_values = st.one_of(st.sampled_from(["0", "19", "-1", "1e3", "9" * 60, "application/json",
                                           "chunked", " localhost "]),
                          st.text(max_size=30))
bodies = st.one_of(st.binary(max_size=200), st.sampled_from([
    b'{"command": "next"}', b"[" * 300, b'{"a": "' + b"\\" * 50 + b'"}', b"\xff"]))


@st.composite
def raw_requests(draw) -> bytes:
    if draw(st.integers(0, 4)) == 0:
        return draw(st.binary(max_size=400))
    head = f"{draw(methods)} {draw(targets)} {draw(versions)}\r\n"
    for name, value in draw(st.lists(st.tuples(header_names, header_values), max_size=6)):
        head += f"{name}: {value}\r\n"
    return head.encode("utf-8", "surrogatepass") + b"\r\n" + draw(bodies)


def check_request(data: bytes) -> None:
    try:
        parsed = http.parse_request(data)
    except http.HttpError as e:
        assert 400 <= e.status < 600 and e.message
        return
    if parsed is None:
        return
    request, used = parsed
    assert used <= len(data) and len(request.body) <= http.MAX_BODY_BYTES
    try:
        http.json_body(request)
    except http.HttpError as e:
        assert 400 <= e.status < 500 and e.message


test_fuzz_http_request_parser, test_fuzz_http_request_parser_thousands = fuzz_tests(
    check_request, 300, 5000, data=raw_requests())
