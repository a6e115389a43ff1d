"""Capture in its own thread into a one-slot latest-frame buffer: inference never blocks
capture, a frame not taken before the next arrives is dropped and counted, and a failing source
is reopened with backoff while the loop keeps running; so is one that raises anything else
("camera down: <error>"), because the thread must never end while the appliance runs."""

from __future__ import annotations

import logging
import threading

from dance2music.capture.source import CaptureError, EndOfStream, Frame, FrameSource

log = logging.getLogger(__name__)
_FIRST_BACKOFF_S = 0.1
_JOIN_TIMEOUT_S = 2.0


class CaptureThread:
    def __init__(self, source: FrameSource, max_backoff_s: float = 1.0):
        self.source = source
        self.max_backoff_s = max_backoff_s
        self.dropped = 0
        self.error: str | None = "starting"
        self.ended = False
        self._slot: Frame | None = None
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="capture", daemon=True)

    def start(self) -> CaptureThread:
        self._thread.start()
        return self

    def take(self, timeout_s: float) -> Frame | None:
        """The newest frame not taken yet, waiting up to `timeout_s`; None if none came."""
        with self._cond:
            if self._slot is None:
                self._cond.wait(timeout_s)
            frame, self._slot = self._slot, None
            return frame

    def _put(self, frame: Frame) -> None:
        with self._cond:
            if self._slot is not None:
                self.dropped += 1
            self._slot = frame
            self._cond.notify()

    def _run(self) -> None:
        backoff_s = _FIRST_BACKOFF_S
        while not self._stop.is_set():
            try:
                self.source.open()
                if self.error is not None and self.error != "starting":
                    log.info("%s: capturing again", self.source.name)
                self.error = None
                backoff_s = _FIRST_BACKOFF_S
                while not self._stop.is_set():
                    self._put(self.source.read())
            except EndOfStream:
                self.ended = True
                self.error = "end of video"
                break
            except CaptureError as e:
                self._failed(str(e))
            except Exception as e:  # a driver's or decoder's surprise: capture restarts too
                self._failed(f"camera down: {type(e).__name__}: {e}", unexpected=True)
            finally:
                self._close_source()
            self._stop.wait(backoff_s)
            backoff_s = min(backoff_s * 2, self.max_backoff_s)
        with self._cond:
            self._cond.notify_all()

    def _failed(self, error: str, unexpected: bool = False) -> None:
        """One log line per change of state (the traceback once, for a surprise)."""
        if self.error != error:
            log.warning("%s (retrying, every %.1f s at most)", error, self.max_backoff_s,
                        exc_info=unexpected)
        self.error = error

    def _close_source(self) -> None:
        try:
            self.source.close()
        except Exception as e:  # closing a broken device may fail too; reopening decides
            log.debug("%s: close failed: %s", self.source.name, e)

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=_JOIN_TIMEOUT_S)
            if self._thread.is_alive():  # a driver stuck in read(): it is a daemon thread
                log.warning("%s: capture did not stop within %.0f s", self.source.name,
                            _JOIN_TIMEOUT_S)
