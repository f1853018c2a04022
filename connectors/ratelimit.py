"""A request budget per CRM account, shared by every worker.

Built on the `limits` library: a moving window in Redis when REDIS_URL (or a Redis
broker) is configured, so all processes draw on one budget; in process memory
otherwise.

Known shortcoming: in memory, each process has a budget of its own, so on the
embedded default a worker with several processes (or a backfill running beside
the worker) can together exceed the CRM's limit. The client then waits out the
429s the CRM answers; nothing is lost, but the pace is not shared. Set REDIS_URL
to share it.
"""

from __future__ import annotations

import time

from limits import parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

_MEMORY = MemoryStorage()


class AccountRateLimiter:
    def __init__(self, rate: str, redis_url: str | None = None, namespace: str = "crm") -> None:
        self.item = parse(rate)
        storage = storage_from_string(redis_url) if redis_url else _MEMORY
        self.limiter = MovingWindowRateLimiter(storage)
        self.namespace = namespace

    def acquire(self, account_id: str, max_wait_s: float = 120.0) -> float:
        """Block until one request of `account_id` fits the budget; return seconds waited."""
        waited = 0.0
        while not self.limiter.hit(self.item, self.namespace, account_id):
            reset_at, _remaining = self.limiter.get_window_stats(
                self.item, self.namespace, account_id
            )
            pause = min(max(reset_at - time.time(), 0.01), 1.0)
            if waited + pause > max_wait_s:
                raise TimeoutError(f"rate budget of account {account_id} not free in time")
            time.sleep(pause)
            waited += pause
        return waited

    def clear(self, account_id: str) -> None:
        self.limiter.clear(self.item, self.namespace, account_id)
