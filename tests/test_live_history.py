"""Resampling frames onto the 30 fps grid, and the audio/monotonic clock map."""

import numpy as np
import pytest

from dance2music.live.clock import ClockMap
from dance2music.live.history import PoseGrid

RATE = 48000
SLOT = RATE / 30  # ticks per 30 fps slot


@pytest.mark.parametrize("fps", [25.0, 29.97, 30.0, 60.0])
def test_any_camera_rate_gives_30_slots_a_second(fps):
    grid = PoseGrid(origin_tick=0, slot_ticks=SLOT, keep_slots=400)
    period = RATE / fps
    for i in range(int(fps * 4) + 1):  # 4 s of frames, vector = capture time in ticks
        tick = int(i * period + 5)
        grid.add(tick, np.full(36, tick, dtype=float))
    assert grid.filled in range(119, 122)
    vectors = grid.window(grid.filled, 120)[:, 0]
    slot_times = np.array([grid.slot_tick(j) for j in range(grid.filled - len(vectors), grid.filled)])
    # Each slot holds the latest frame captured at or before it (sample and hold).
    assert np.all(vectors <= np.maximum(slot_times, 5))
    assert np.all(slot_times - vectors < period)


def test_a_slot_is_final_only_when_a_later_frame_arrived_or_the_deadline_holds_it():
    grid = PoseGrid(origin_tick=0, slot_ticks=SLOT, keep_slots=100)
    grid.add(0, np.zeros(36))
    assert grid.filled == 0
    grid.add(int(SLOT * 2.5), np.ones(36))
    assert grid.filled == 3  # slots 0, 1, 2 hold frame 0
    grid.hold_until(6)  # deadline: the camera is late, the latest frame holds
    assert grid.filled == 6
    assert grid.window(6, 6)[:, 0].tolist() == [0, 0, 0, 1, 1, 1]
    assert grid.frame_tick(5) == int(SLOT * 2.5)
    assert grid.window(6, 100).shape == (6, 36)


def test_clock_map_follows_a_rendering_clock():
    clock = ClockMap(RATE)
    # The audio clock renders 128-frame periods; it is read at arbitrary moments.
    rng = np.random.default_rng(0)
    for t_ns in np.sort(rng.uniform(0, 3e9, 3000)).astype(int):
        rendered = (int(t_ns * RATE / 1e9 + 2000) // 128 + 1) * 128  # 2000 ticks ahead
        clock.observe(rendered, int(t_ns))
    assert abs(clock.tick_at(int(2e9)) - (2 * RATE + 2000)) <= 128
    assert abs(clock.mono_at(2 * RATE + 2000) - 2e9) <= 128 / RATE * 1e9
