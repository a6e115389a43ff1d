"""The live calibration table is current: each world re-measured lands within 0.5 dB."""

import pytest

from dance2music.sound import calibration
from dance2music.sound.worlds import WORLD_NAMES


def test_every_world_is_calibrated():
    assert set(calibration.LEVEL_DB) == set(WORLD_NAMES)


@pytest.mark.slow
@pytest.mark.parametrize("world", WORLD_NAMES)
def test_calibration_table_is_current(world, aistpp_clips):
    folder = aistpp_clips[0].parent
    assert calibration.measure_db(world, folder) == pytest.approx(calibration.gain_db(world),
                                                                  abs=0.5)
