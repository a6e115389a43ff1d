"""The notes of the last seconds, for the setup page's piano roll: a NoteObserver of the live
loop that keeps what sounded (onset, end, pitch, velocity) on the audio clock, in seconds."""

from __future__ import annotations

import threading
from collections import deque

WINDOW_S = 8.0
_MAX_NOTES = 256  # 8 s of notes every 0.2 s is 40; cues and chords add some


class RecentNotes:
    def __init__(self, ticks_per_s: float, window_s: float = WINDOW_S):
        self.ticks_per_s = ticks_per_s
        self.window_s = window_s
        self._lock = threading.Lock()
        self._notes: deque[dict] = deque(maxlen=_MAX_NOTES)
        self._latest_s = 0.0

    def __call__(self, event) -> None:
        """One loop event (live.seams.NoteEvent). A struck note ends the one sounding on its
        channel and starts a bar; silence or a fade ends it; a held note changes nothing. The
        mode cues are not part of the music and are left out."""
        if event.kind not in ("note", "fade"):
            return
        onset_s = event.onset / self.ticks_per_s
        with self._lock:
            self._latest_s = max(self._latest_s, onset_s)
            if event.kind == "note" and not event.struck and event.played is not None:
                return
            for note in self._notes:
                if note["end_s"] is None and (event.kind == "fade"
                                              or note["channel"] == event.channel):
                    note["end_s"] = onset_s
            if event.kind == "note" and event.struck and event.midi is not None:
                self._notes.append({"start_s": onset_s, "end_s": None, "midi": event.midi,
                                    "velocity": event.velocity, "channel": event.channel})

    def recent(self) -> dict:
        """{"now_s": the latest onset known, "notes": [...]} of the last `window_s`."""
        with self._lock:
            since = self._latest_s - self.window_s
            notes = [dict(n) for n in self._notes if n["end_s"] is None or n["end_s"] >= since]
            return {"now_s": self._latest_s, "window_s": self.window_s, "notes": notes}
