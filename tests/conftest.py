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
