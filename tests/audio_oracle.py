"""Test oracles that read music back from audio: the pitch of a note, an instrument's timbre."""

import numpy as np

_SPAN_S = (0.03, 0.18)  # after the onset: past the attack, before the next note


def _spectrum(audio, rate, start_s):
    x = np.asarray(audio, dtype=np.float64)
    x = x.mean(axis=1) if x.ndim == 2 else x
    seg = x[int((start_s + _SPAN_S[0]) * rate):int((start_s + _SPAN_S[1]) * rate)]
    seg = np.pad(seg * np.hanning(len(seg)), (0, 8 * len(seg)))  # zero-padded: fine bins
    return np.abs(np.fft.rfft(seg)), rate / len(seg)


def pitch_class_at(audio, rate, start_s, low_midi=40, high_midi=100):
    """The pitch class (0 = C) sounding from `start_s`: the candidate whose first five
    harmonics hold the most energy (harmonic summation, octave-agnostic)."""
    mag, hz_per_bin = _spectrum(audio, rate, start_s)
    scores = np.zeros(12)
    for midi in range(low_midi, high_midi):
        f0 = 440 * 2 ** ((midi - 69) / 12)
        bins = [int(round(h * f0 / hz_per_bin)) for h in range(1, 6)]
        scores[midi % 12] = max(scores[midi % 12],
                                sum(mag[max(b - 2, 0):b + 3].max() / h
                                    for h, b in enumerate(bins, 1) if b + 3 < len(mag)))
    return int(np.argmax(scores))


def timbre(audio, rate, start_s, midi):
    """Relative levels (dB) of harmonics 1-8 of a note of known pitch: an instrument's
    fingerprint, independent of loudness."""
    mag, hz_per_bin = _spectrum(audio, rate, start_s)
    f0 = 440 * 2 ** ((midi - 69) / 12)
    levels = np.array([mag[max(int(round(h * f0 / hz_per_bin)) - 2, 0):
                           int(round(h * f0 / hz_per_bin)) + 3].max() for h in range(1, 9)])
    db = 20 * np.log10(levels + 1e-9)
    return db - db.max()
