"""The camera's side of the loop: open while a mode makes music, closed in standby; each step
the poses computed since the last, and the capture's state in the statistics."""

from __future__ import annotations

from collections.abc import Callable

from dance2music.live.perception import Perception, Seen
from dance2music.live.seams import FrameFeed, PoseFeed


class Camera:
    def __init__(self, open_feed: Callable[[], FrameFeed],
                 pose_feed: Callable[[FrameFeed, Perception], PoseFeed],
                 perception: Perception, stats):
        self.open_feed, self.pose_feed = open_feed, pose_feed
        self.perception, self.stats = perception, stats
        self.feed: PoseFeed | None = None  # None: closed (standby)

    @property
    def is_open(self) -> bool:
        return self.feed is not None

    @property
    def ended(self) -> bool:
        """A video source ended and every pose of it was taken."""
        return self.feed is not None and self.feed.ended

    def open(self) -> None:
        if self.feed is None:
            self.perception.reset()
            self.feed = self.pose_feed(self.open_feed(), self.perception)

    def close(self) -> None:
        if self.feed is not None:
            self.feed.close()
            self.feed = None

    def standby(self) -> None:
        """Closed on purpose: shown as idle, not as a fault."""
        self.close()
        self.stats.component("camera", True, idle=True)
        self.stats.component("pose", True, idle=True)
        self.stats.set_person_present(False)

    def take(self, timeout_s: float) -> list[Seen]:
        """The poses computed since the last call, waiting up to `timeout_s` for one."""
        seen = self.feed.take(timeout_s)
        self.stats.set_frames_dropped(self.feed.dropped)
        self.stats.component("camera", self.feed.error is None, self.feed.error)
        return seen
