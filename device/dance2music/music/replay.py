"""The replay mode's composer: the last seconds of dance composed by the beam search in one
worker thread (the loop never waits for it), then played back in a loop.

A new recording cancels the one being composed: its result is dropped, and only the newest
waiting recording is composed next, so re-entering replay never stacks searches."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import numpy as np

from dance2music.music.beam import BeamSearch

log = logging.getLogger(__name__)


class ReplayComposer:
    def __init__(self, k: int, compose: Callable[[np.ndarray], np.ndarray] | None = None):
        self.k = k
        self._compose = compose or BeamSearch(k=k).compose
        self._cond = threading.Condition()
        self._waiting: tuple[int, np.ndarray] | None = None  # (request id, vectors)
        self._request = 0
        self._notes: np.ndarray | None = None
        self._i = 0
        self._closed = False
        self._worker: threading.Thread | None = None
        self.composed = threading.Event()  # the current request's notes are ready

    def start(self, vectors: np.ndarray) -> bool:
        """Compose `vectors` (cancelling any earlier request); False if too short to play."""
        self.cancel()
        if len(vectors) < 2 * self.k:
            log.info("replay: fewer than two notes of dance recorded; nothing to replay")
            return False
        with self._cond:
            self._waiting = (self._request, np.array(vectors))
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="replay-compose",
                                                daemon=True)
                self._worker.start()
            self._cond.notify()
        return True

    def cancel(self) -> None:
        """Forget the current request and its notes (a search running finishes unheard)."""
        with self._cond:
            self._request += 1
            self._waiting, self._notes, self._i = None, None, 0
            self.composed.clear()

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._waiting is None and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                request, vectors = self._waiting
                self._waiting = None
            notes = self._compose(vectors)
            with self._cond:
                if request == self._request:
                    self._notes = notes
                    self.composed.set()

    def next_note(self) -> int | None:
        """The next note of the composed dance, round and round; None until composed."""
        with self._cond:
            if self._notes is None:
                return None
            note = int(self._notes[self._i % len(self._notes)])
            self._i += 1
            return note

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        if self._worker is not None:
            self._worker.join(timeout=5.0)
