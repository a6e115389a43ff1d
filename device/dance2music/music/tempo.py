"""A causal tempo and beat tracker on the pose stream: the same object serves offline (fed a
whole dance frame by frame) and live (fed each frame as it arrives).

- Onset strength: the joints' mean speed (central differences over joints seen in both
  neighbouring frames, so a joint dropping in or out is no movement), minus its centred 1-s
  mean, computed over the past window only (a trailing mean would be causal too, but its
  delay distorts the periodicity the tempo is read from). Kinematic beats are the local minima of speed, so the beat is where this signal
  dips.
- Tempo: the autocorrelation of the last few seconds of that signal, read by a comb at the
  beat period and its multiples (2, 3, 4 beats: dance repeats in bars, and a comb that needs
  the whole series is what keeps a tempo from being taken for its half or double), weighted
  by a broad log-normal tempo prior (120 BPM, one octave), over 60-180 BPM.
- Confidence: the comb's mean autocorrelation at the chosen tempo (0: no pulse, 1: a perfect
  one), smoothed; the tracker locks above `lock_confidence` and lets go below
  `unlock_confidence` (hysteresis). A tempo within `retarget_ratio` of the locked one only
  nudges it; a different one must win `switch_after` estimates in a row.
- Phase: the beat times that best sit on the dips of the onset signal over the window, the
  recent ones weighted most, fitted together with a fine tempo near the locked one.
"""

from __future__ import annotations

import dataclasses
from collections import deque

import numpy as np

from dance2music.errors import InputError
from dance2music.pose.features import MISSING


@dataclasses.dataclass(frozen=True)
class TempoSettings:
    fps: float = 30.0
    min_bpm: float = 60.0
    max_bpm: float = 180.0
    window_s: float = 8.0  # seconds of onset signal the tempo is read from
    min_history_s: float = 3.0  # no estimate before this much dance
    detrend_s: float = 1.0  # centred mean removed from the speed
    hop_s: float = 0.2  # a new raw estimate this often
    prior_bpm: float = 120.0  # centre of the tempo prior (preferred human tempo)
    prior_octaves: float = 1.0  # its width
    # No-pulse dances (smooth random movement, the parkour video) never exceeded 0.14.
    lock_confidence: float = 0.2
    unlock_confidence: float = 0.15
    confidence_smoothing: float = 0.3  # weight of a new estimate in the running confidence
    retarget_ratio: float = 0.04  # a tempo this close to the locked one only nudges it
    nudge: float = 0.2  # fraction of the way a close estimate moves the locked tempo
    switch_after: int = 3  # consecutive far estimates before the tempo jumps
    phase_half_life_beats: float = 4.0  # weight of past beats in the phase estimate
    fine_ratio: float = 0.02  # the beats are fitted at tempi this close to the locked one

    def __post_init__(self) -> None:
        if not 0 < self.min_bpm < self.max_bpm:
            raise InputError(f"tempo: expected 0 < min_bpm < max_bpm, got {self.min_bpm}, "
                             f"{self.max_bpm}")
        if not 0 <= self.unlock_confidence <= self.lock_confidence <= 1:
            raise InputError("tempo: expected 0 <= unlock_confidence <= lock_confidence <= 1, "
                             f"got {self.unlock_confidence}, {self.lock_confidence}")
        if self.window_s * self.min_bpm / 60 < 4 or self.min_history_s > self.window_s:
            raise InputError(f"tempo: window_s {self.window_s} must hold 4 beats at min_bpm and "
                             f"at least min_history_s {self.min_history_s}")


@dataclasses.dataclass(frozen=True)
class TempoEstimate:
    time_s: float  # time of the latest frame the estimate saw
    bpm: float  # tempo of the fitted beats (nan before any estimate)
    confidence: float  # 0..1
    locked: bool  # the grid may follow this tempo
    last_beat_s: float  # time of the latest beat (nan when unknown)

    @property
    def beat_period_s(self) -> float:
        return 60.0 / self.bpm


def joint_speed(prev: np.ndarray, nxt: np.ndarray, fps: float) -> float:
    """Mean speed (units per second) of the joints found in both poses two frames apart."""
    a, b = prev.reshape(-1, 2), nxt.reshape(-1, 2)
    both = (a != MISSING).any(axis=1) & (b != MISSING).any(axis=1)
    if not both.any():
        return 0.0
    return float(np.linalg.norm(b[both] - a[both], axis=1).mean() * fps / 2)


class TempoTracker:
    """Feed one pose vector per frame with `update`; read `estimate()` at any time."""

    def __init__(self, settings: TempoSettings = TempoSettings()):
        self.settings = settings
        s = settings
        self._window = round(s.window_s * s.fps)
        self._detrend = round(s.detrend_s * s.fps)
        self._min_history = round(s.min_history_s * s.fps)
        self._hop = max(1, round(s.hop_s * s.fps))
        self._bpms = np.arange(s.min_bpm, s.max_bpm + 1e-9, 0.5)
        self._comb_lags = np.array([m * 60 * s.fps / self._bpms for m in (1, 2, 3, 4)])
        self._prior = np.exp(-0.5 * (np.log2(self._bpms / s.prior_bpm) / s.prior_octaves) ** 2)
        self.reset()

    def reset(self) -> None:
        self._frames = 0
        self._poses: deque[np.ndarray] = deque(maxlen=2)
        self._speed: deque[float] = deque(maxlen=self._window)  # value for frame i at i-1
        self._bpm = float("nan")
        self._confidence = 0.0
        self._locked = False
        self._far_count = 0

    def update(self, vector: np.ndarray) -> None:
        """The pose vector of the next frame (frames at settings.fps)."""
        vector = np.asarray(vector, dtype=np.float64)
        if len(self._poses) == 2:  # central difference: the speed of the previous frame
            self._speed.append(joint_speed(self._poses[0], vector, self.settings.fps))
        self._poses.append(vector)
        self._frames += 1
        if len(self._speed) >= self._min_history and self._frames % self._hop == 0:
            self._re_estimate()

    def feed(self, vectors: np.ndarray) -> None:
        for v in vectors:
            self.update(v)

    # The onset signal lags the frames by one (central differences).
    def _onset_times_s(self, n: int) -> np.ndarray:
        last = self._frames - 2
        return (last - n + 1 + np.arange(n)) / self.settings.fps

    def _onset(self) -> np.ndarray:
        speed = np.asarray(self._speed)
        box = np.ones(self._detrend)
        mean = np.convolve(speed, box, "same") / np.convolve(np.ones(len(speed)), box, "same")
        return speed - mean

    def _raw_tempo(self) -> tuple[float, float]:
        x = self._onset()
        x = x - x.mean()
        energy = float(x @ x)
        if energy <= 1e-12:
            return float("nan"), 0.0
        ac = np.correlate(x, x, "full")[len(x) - 1:] / energy
        comb = np.interp(self._comb_lags, np.arange(len(ac)), ac, right=0.0).mean(axis=0)
        scored = comb * self._prior
        i = int(np.argmax(scored))
        bpm = float(self._bpms[i])
        if 0 < i < len(scored) - 1:  # parabolic refinement between grid tempi
            a, b, c = scored[i - 1], scored[i], scored[i + 1]
            denom = a - 2 * b + c
            if denom < 0:
                bpm += 0.5 * 0.5 * (a - c) / denom
        return bpm, float(np.clip(comb[i], 0.0, 1.0))

    def _re_estimate(self) -> None:
        s = self.settings
        bpm, confidence = self._raw_tempo()
        self._confidence += s.confidence_smoothing * (confidence - self._confidence)
        if np.isnan(bpm):
            return
        if np.isnan(self._bpm):
            self._bpm = bpm
        elif abs(bpm / self._bpm - 1) <= s.retarget_ratio:
            self._bpm += s.nudge * (bpm - self._bpm)
            self._far_count = 0
        else:
            self._far_count += 1
            if self._far_count >= s.switch_after or not self._locked:
                self._bpm, self._far_count = bpm, 0
        if self._locked and self._confidence < s.unlock_confidence:
            self._locked = False
        elif not self._locked and self._confidence >= s.lock_confidence:
            self._locked = True

    def _beat_fit(self) -> tuple[float, float]:
        """(bpm, time of the latest beat): the beat comb, within `fine_ratio` of the
        locked tempo, whose beats best sit on the dips of the onset signal, recent beats
        weighted most. Fitting the period with the phase keeps a slightly wrong tempo from
        dragging the phase (beats counted back from now drift by the error each beat)."""
        s = self.settings
        x = self._onset()
        periods = 60 * s.fps / (self._bpm * np.linspace(1 - s.fine_ratio, 1 + s.fine_ratio, 9))
        beats = np.arange(int(len(x) / periods.max()))
        weights = 0.5 ** (beats / s.phase_half_life_beats)
        best = (-np.inf, self._bpm, 0.0)
        for period in periods:
            phases = np.arange(0, period, 0.25)
            at = len(x) - 1 - phases[:, None] - beats[None, :] * period
            score = np.nansum(-np.interp(at, np.arange(len(x)), x, left=np.nan) * weights, axis=1)
            i = int(np.argmax(score))
            if score[i] > best[0]:
                best = (float(score[i]), 60 * s.fps / period, float(phases[i]))
        _, bpm, phase = best
        return bpm, float(self._onset_times_s(1)[0]) - phase / s.fps

    def estimate(self) -> TempoEstimate:
        now_s = (self._frames - 1) / self.settings.fps
        if not self._locked:  # the grid keeps the fixed step: no phase needed (nor its cost)
            return TempoEstimate(now_s, self._bpm, self._confidence, False, float("nan"))
        bpm, last_beat_s = self._beat_fit()
        return TempoEstimate(now_s, bpm, self._confidence, self._locked, last_beat_s)
