"""A short soak of the real appliance under HTTP abuse (benchmarks/soak.py, 2 minutes): the
`dance2music run` process on the looping demo video, its health server flooded beyond its cap
with slow clients, malformed and oversized requests. Nothing grows, /healthz answers within
100 ms throughout, the loop misses no deadline, SIGTERM stops it cleanly (issue 14).

Timing-sensitive: on a machine whose cores are saturated by other work the loop misses
deadlines whatever the HTTP load does (the result's `under_load` says which)."""

import sys
from pathlib import Path

import pytest

from dance2music.errors import ModelError
from dance2music.pose.modelfiles import DEFAULT_MODEL_DIR, read_manifest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import soak  # noqa: E402

def _fd_verdict(counts: list[int]) -> bool:
    samples = [{"t_s": 5.0 * i, "rss_mib": 300.0, "threads": 15, "fds": n, "misses": 0,
                "dropped": 0, "notes": i} for i, n in enumerate(counts)]
    result = soak.summary(samples, [1.0], {"s": 0.0, "misses": 0})
    return soak.goals(result | {"exit_code": 0, "tracebacks": 0})["fd floor not raised (no leak)"]


def test_a_file_closed_for_a_moment_is_no_leak_but_a_raised_floor_is():
    # A CI run's soak read 14 fds once in its first quarter (the looped video reopening) and
    # 15 ever after: not a leak. One more fd held from the middle on is.
    assert _fd_verdict([15, 14, 15, 15, 15, 15, 15, 15] * 3)
    assert _fd_verdict([15, 15, 17, 15, 15, 15, 15, 15])  # a health connection in flight
    assert not _fd_verdict([15] * 12 + [16] * 12)


@pytest.mark.slow
def test_a_short_soak_under_http_abuse_meets_every_goal():
    try:
        read_manifest(DEFAULT_MODEL_DIR)
    except ModelError as e:
        pytest.skip(f"the INT8 pose models are not built ({e})")
    if not Path(soak.REPO / "assets" / "demo" / "dance.mp4").is_file():
        pytest.skip("the demo video is not in this checkout")
    result = soak.soak(minutes=2, sample_s=5, load_every_s=20, warm_up_s=15,
                       source=str(soak.REPO / "assets" / "demo" / "dance.mp4"))
    print(result)
    assert result["healthz_ms_under_load"]["probes"] >= 100
    assert all(soak.goals(result).values()), soak.goals(result)
