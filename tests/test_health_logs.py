"""Journald is used only when stderr really is the journal (JOURNAL_STREAM = stderr's dev:inode)."""

from __future__ import annotations

import logging
import os

from dance2music.health import logs


def test_journal_stream_must_match_the_stream(tmp_path):
    with open(tmp_path / "stderr", "w") as stream:
        st = os.fstat(stream.fileno())
        assert logs.stderr_is_journal({"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}, stream)
        assert not logs.stderr_is_journal({"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino + 1}"}, stream)
        assert not logs.stderr_is_journal({"JOURNAL_STREAM": "garbage"}, stream)
        assert not logs.stderr_is_journal({}, stream)


def test_priority_prefixes_when_systemd_python_is_absent(monkeypatch):
    formatter = logs._PriorityFormatter("%(name)s: %(message)s")
    record = logging.LogRecord("d2m", logging.WARNING, __file__, 1, "camera lost\nretrying", None, None)
    assert formatter.format(record) == "<4>d2m: camera lost | retrying"


def test_configure_logging_outside_the_journal_is_plain_stderr(monkeypatch):
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    try:
        handler = logs.configure_logging(verbose=True)
        assert type(handler) is logging.StreamHandler and root.handlers == [handler]
        assert root.level == logging.DEBUG
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
