"""The replay composer: one worker at most, a new recording cancels the one being composed."""

import threading

import numpy as np

from dance2music.music.replay import ReplayComposer


class Gated:
    """A compose function that waits for the test to let each search finish."""

    def __init__(self):
        self.calls = []
        self.searching = threading.Event()
        self.release = threading.Semaphore(0)

    def __call__(self, vectors):
        self.calls.append(len(vectors))
        self.searching.set()
        self.release.acquire()
        return np.arange(len(vectors) // 6) % 5


def test_a_new_recording_cancels_the_one_being_composed_and_searches_never_stack():
    compose = Gated()
    replay = ReplayComposer(k=6, compose=compose)
    try:
        assert replay.start(np.zeros((60, 36)))
        assert compose.searching.wait(5)  # composing ...
        for frames in (72, 84, 96):  # ... while replay is entered three more times
            replay.start(np.zeros((frames, 36)))
        assert replay.next_note() is None
        compose.release.release()  # the first search ends: its notes are dropped
        compose.release.release()
        assert replay.composed.wait(5)
        assert compose.calls == [60, 96], "only the newest waiting recording was composed"
        assert [replay.next_note() for _ in range(18)] == [i % 16 % 5 for i in range(18)]
        workers = [t for t in threading.enumerate() if t.name == "replay-compose"]
        assert len(workers) == 1
    finally:
        compose.release.release()
        replay.close()


def test_too_short_a_recording_plays_nothing():
    replay = ReplayComposer(k=6, compose=lambda v: np.zeros(len(v) // 6, int))
    assert replay.start(np.zeros((11, 36))) is False
    assert replay.next_note() is None
    replay.close()
