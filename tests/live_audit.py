"""Test oracle: a live run's audio checked against what the loop scheduled: the notes rendered
offline at exactly their grid ticks, and onsets found back in both (the tests and
benchmarks/live_run.py use it; it is not part of the device package)."""

from __future__ import annotations

import dataclasses

import numpy as np

from dance2music.synth.score import TimedNote
from onsets import detect_onsets

_CHUNK_S = 20.0  # onset detection in chunks: its spectrogram of 10 min would not fit in RAM
_OVERLAP_S = 1.0


def scheduled_notes(events, ticks_per_s: int, end_tick: int, fade_ticks: int
                    ) -> list[TimedNote]:
    """The piano notes of a run's NoteEvents: each struck note lasts until the next struck
    note or the end of a fade (silence), whichever comes first."""
    out, sounding = [], None
    for e in events:
        if e.kind == "note" and e.struck or e.kind == "fade":
            stop = e.onset + (fade_ticks if e.kind == "fade" else 0)
            if sounding is not None:
                out.append(TimedNote(sounding.onset / ticks_per_s,
                                     min(stop, end_tick) / ticks_per_s, sounding.midi))
            sounding = e if e.kind == "note" else None
    if sounding is not None:
        out.append(TimedNote(sounding.onset / ticks_per_s, end_tick / ticks_per_s,
                             sounding.midi))
    return [n for n in out if n.start_s * ticks_per_s < end_tick]


def fade_spans(events, end_tick: int) -> list[tuple[int, int]]:
    """(start, end) ticks of each fade to the next struck note: the live piano fades by volume
    and is then cut, which the offline rendering (notes only) does not model."""
    spans, start = [], None
    for e in events:
        if e.kind == "fade":
            start = e.onset
        elif e.kind == "note" and e.struck and start is not None:
            spans.append((start, e.onset))
            start = None
    if start is not None:
        spans.append((start, end_tick))
    return spans


def onsets(samples: np.ndarray, rate: int) -> np.ndarray:
    """detect_onsets over a long recording, chunk by chunk."""
    found = []
    step, pad = int(_CHUNK_S * rate), int(_OVERLAP_S * rate)
    for start in range(0, len(samples), step):
        lo = max(0, start - pad)
        chunk = detect_onsets(samples[lo:start + step + pad], rate) + lo / rate
        found.append(chunk[(chunk >= start / rate) & (chunk < (start + step) / rate)])
    return np.concatenate(found) if found else np.zeros(0)


@dataclasses.dataclass(frozen=True)
class OnsetAudit:
    max_sample_diff: int  # live vs grid-exact reference, over the compared span
    jitter_ms: np.ndarray  # |live onset - reference onset| for each onset found in both
    nearest_ms: np.ndarray  # each struck note: distance to the nearest onset found live
    found_live: int
    found_reference: int


def audit(live: np.ndarray, reference: np.ndarray, struck_s: np.ndarray, rate: int,
          fades: list[tuple[int, int]] = ()) -> OnsetAudit:
    """`fades`: sample spans left out of the sample comparison (fade_spans)."""
    n = min(len(live), len(reference))
    live, reference = live[:n], reference[:n]
    compared = np.ones(n, dtype=bool)
    for start, end in fades:
        compared[start:end] = False
    delta = np.abs(live.astype(np.int32) - reference.astype(np.int32))[compared]
    diff = int(delta.max()) if len(delta) else 0
    found, found_ref = onsets(live, rate), onsets(reference, rate)
    pairs = [np.abs(found - t).min() for t in found_ref] if len(found) else []
    nearest = [np.abs(found - t).min() for t in struck_s] if len(found) else [np.inf]
    return OnsetAudit(diff, np.asarray(pairs) * 1000, np.asarray(nearest) * 1000, len(found),
                      len(found_ref))
