"""Logging set-up: the journal with structured fields when stderr really is the journal,
otherwise plain stderr. (journald's JournalHandler silently drops everything when journald is
absent, so it is chosen only when JOURNAL_STREAM names stderr's own device and inode.)"""

from __future__ import annotations

import logging
import os
import sys
from typing import Mapping, TextIO

PLAIN_FORMAT = "%(levelname)s %(name)s: %(message)s"


def stderr_is_journal(env: Mapping[str, str] | None = None, stream: TextIO | None = None) -> bool:
    env = os.environ if env is None else env
    stream = sys.stderr if stream is None else stream
    device, _, inode = (env.get("JOURNAL_STREAM") or "").partition(":")
    if not (device.isdigit() and inode.isdigit()):
        return False
    try:
        st = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return (st.st_dev, st.st_ino) == (int(device), int(inode))


def journal_handler() -> logging.Handler:
    """systemd-python's JournalHandler where installed; else stderr lines with `<N>` syslog
    priority prefixes, which journald parses from a unit's stderr."""
    try:
        from systemd.journal import JournalHandler
    except ImportError:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_PriorityFormatter("%(name)s: %(message)s"))
        return handler
    handler = JournalHandler(SYSLOG_IDENTIFIER="dance2music")
    handler.setFormatter(logging.Formatter("%(message)s"))
    return handler


class _PriorityFormatter(logging.Formatter):
    PRIORITIES = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3,
                  logging.CRITICAL: 2}

    def format(self, record: logging.LogRecord) -> str:
        priority = self.PRIORITIES.get(record.levelno, 6)
        return f"<{priority}>" + super().format(record).replace("\n", " | ")


def configure_logging(verbose: bool = False, quiet: bool = False) -> logging.Handler:
    """Installs one root handler (journal or stderr) and returns it; verbose shows debug
    messages, quiet only warnings and errors."""
    handler = journal_handler() if stderr_is_journal() else logging.StreamHandler(sys.stderr)
    if not handler.formatter:
        handler.setFormatter(logging.Formatter(PLAIN_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    return handler
