import logging
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
AISTPP_CLIPS = sorted((SHARED / "data" / "aistpp_break").glob("*.npz"))
DEMO_POSES = ROOT / "assets" / "demo" / "aistpp_ch01_front.npz"

sys.path.insert(0, str(Path(__file__).parent))  # the test oracles
sys.path.insert(0, str(ROOT))  # the model recipes (package `models`)


@pytest.fixture(scope="session")
def aistpp_clips():
    if not AISTPP_CLIPS:
        pytest.skip(f"shared AIST++ data not found at {SHARED / 'data/aistpp_break'}")
    return AISTPP_CLIPS


def _own_handlers(root: logging.Logger) -> list[logging.Handler]:
    return [h for h in root.handlers if not type(h).__module__.startswith("_pytest")]


@pytest.fixture(autouse=True)
def root_logger_as_it_was():
    """The CLI run in-process installs its root handler on the sys.stderr of the moment,
    which pytest closes after the test ("Logging error" in later tests): each test ends
    with the root logger's own handlers and level as they were (pytest's are its own)."""
    root = logging.getLogger()
    handlers, level = _own_handlers(root), root.level
    yield
    for handler in _own_handlers(root):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)
