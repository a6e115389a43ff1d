"""The look-ahead limiter: never above its ceiling, untouched below it, the same block by
block (live) as on a whole signal (renderings)."""

import numpy as np
import pytest

from dance2music.config import AudioSettings
from dance2music.synth.fluid import _import_fluidsynth, open_synth
from dance2music.synth.limiter import StreamingLimiter, needed_gain, smooth_gain
from dance2music.synth.output import LIVE_CEILING, LimitedRenderer

RATE = 48000


def hot_signal():
    rng = np.random.default_rng(0)
    sig = rng.normal(0, 0.1, (RATE * 2, 2))  # peaks about 0.5
    sig[30000:30100] *= 20  # a burst
    sig[70000:90000] *= 10  # a loud stretch
    return sig


def test_held_gain_is_the_minimum_over_its_window():
    from dance2music.synth.limiter import _held

    need = np.random.default_rng(1).uniform(0, 1, 500)
    half, hold = 3, 17
    expected = [need[max(0, j - half - hold):j + half + 1].min() for j in range(len(need))]
    np.testing.assert_array_equal(_held(need, half, hold), expected)


@pytest.mark.parametrize("block", [64, 128, 1000])
def test_streaming_limiter_matches_the_whole_signal_curve(block):
    sig = hot_signal()
    limiter = StreamingLimiter(RATE, 0.8)
    out = np.concatenate([limiter.process(sig[i:i + block]) for i in range(0, len(sig), block)])
    d = limiter.delay_frames
    whole = sig * smooth_gain(needed_gain(np.abs(sig).max(axis=1), 0.8), limiter.half,
                              limiter.hold)[:, None]
    assert np.abs(out).max() <= 0.8 + 1e-9
    np.testing.assert_allclose(out[d:], whole[:len(out) - d], atol=1e-9)
    quiet = slice(RATE + 2 * limiter.hold, RATE + 2 * limiter.hold + 1000)  # far from peaks
    np.testing.assert_allclose(out[quiet.start + d:quiet.stop + d], sig[quiet])
    assert limiter.limited_blocks > 0


def test_live_rendering_never_clips_however_loud():
    fluidsynth = _import_fluidsynth()
    synth, seq, _ = open_synth(AudioSettings(gain=2.0))
    try:
        renderer = LimitedRenderer(fluidsynth, synth, RATE, volume_db=18.0, follow_loudness=False)
        for note in (36, 48, 52, 55, 60, 64, 67, 72):
            synth.noteon(0, note, 127)
        out = np.concatenate([renderer.render(256) for _ in range(200)])
    finally:
        seq.delete()
        synth.delete()
    peak = np.abs(out.astype(np.int32)).max()
    assert peak <= LIVE_CEILING * 32768 + 1 and peak > 0.5 * 32768  # limited, not silenced
    assert renderer.limited_blocks > 0


def test_loudness_follower_settles_on_the_target_slowly_and_ignores_silence():
    from dance2music.synth import leveller, loudness

    follower = leveller.LoudnessFollower(RATE, -16.0)
    rng = np.random.default_rng(0)
    quiet = rng.normal(0, 0.01, (RATE * 60, 2))  # about -37 LUFS: more than RANGE_DB below
    corrections = [follower.update(quiet[i:i + 512]) for i in range(0, len(quiet), 512)]
    per_block = leveller.RATE_UP_DB_PER_S * leveller.GATING_BLOCK_S
    assert np.diff(corrections).max() <= per_block + 1e-12  # never up faster
    assert corrections[-1] == leveller.RANGE_DB  # as far as it may go, no further
    music = rng.normal(0, 0.05, (RATE * 60, 2))
    # Its K-weighted measure agrees with pyloudnorm's (BS.1770) on the same signal.
    assert leveller.LoudnessFollower(RATE, -16)._block_mean_square(music[:int(0.4 * RATE)]) \
        == pytest.approx(10 ** ((loudness.integrated_lufs(music[:int(0.4 * RATE)], RATE)
                                 + 0.691) / 10), rel=0.05)
    out = []
    for i in range(0, len(music), 512):
        block = music[i:i + 512]
        out.append(block * 10 ** (follower.update(block) / 20))
    settled = np.concatenate(out)[-RATE * 20:]
    assert loudness.integrated_lufs(settled, RATE) == pytest.approx(-16.0, abs=0.5)
    before = follower.correction_db
    for _ in range(200):
        follower.update(np.zeros((512, 2)))
    assert follower.correction_db == before  # silence leaves it alone
    loud = leveller.LoudnessFollower(RATE, -16.0)
    blaring = rng.normal(0, 0.3, (RATE * 6, 2))  # about 10 LU over the target
    down = [loud.update(blaring[i:i + 512]) for i in range(0, len(blaring), 512)]
    assert -np.diff(down).max() <= leveller.RATE_DOWN_DB_PER_S * leveller.GATING_BLOCK_S + 1e-12
    assert down[-1] <= -8.0  # turned down within seconds, not a minute
