"""HubSpot's rolling-window request limits, per portal."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass


@dataclass
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    interval_ms: int


class RollingLimit:
    """At most `limit` requests in any `interval_s` window, one window per key
    (portal id and app id)."""

    def __init__(self, limit: int, interval_s: float) -> None:
        self.lock = threading.Lock()
        self.limit = limit
        self.interval_s = interval_s
        self.windows: dict[Hashable, deque[float]] = {}

    def configure(self, limit: int, interval_s: float) -> None:
        with self.lock:
            self.limit = limit
            self.interval_s = interval_s

    def take(self, key: Hashable) -> Verdict:
        now = time.monotonic()
        with self.lock:
            window = self.windows.setdefault(key, deque())
            while window and window[0] <= now - self.interval_s:
                window.popleft()
            allowed = len(window) < self.limit
            # A refused request does not use up the window, as HubSpot counts
            # only the calls it serves.
            if allowed:
                window.append(now)
            return Verdict(
                allowed, self.limit, max(self.limit - len(window), 0), int(self.interval_s * 1000)
            )
