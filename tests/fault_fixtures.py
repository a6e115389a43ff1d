"""A small file system of its own for the fault-injection tests: fill it, make it read-only."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import uuid

import pytest


@contextlib.contextmanager
def tmpfs(tmp_path, size: str, options: str = ""):
    """A small tmpfs of its own (the tests run as root here; skipped, saying why, otherwise)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root and mount(8)")
    where = tmp_path / f"fs-{uuid.uuid4().hex[:6]}"
    where.mkdir()
    opts = f"size={size}" + (f",{options}" if options else "")
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(where)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)
