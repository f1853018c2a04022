"""Counters and a request log, for tests, benchmarks and the demo's summary."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from typing import Any


class Stats:
    def __init__(self, log_size: int) -> None:
        self.lock = threading.Lock()
        self.log_size = log_size
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.started = time.time()
            # key "METHOD endpoint status", endpoint being the route name
            self.requests: Counter[str] = Counter()
            self.rate_limited: Counter[str] = Counter()  # by policy name
            self.webhooks: Counter[str] = Counter()
            # Batch-update inputs applied per contact id, for writes made with an app's
            # OAuth token only (private-app writes are someone else's): lets a test
            # check that the app never wrote the same change twice.
            self.app_writes: Counter[str] = Counter()
            self.log: deque[dict[str, Any]] = deque(maxlen=self.log_size)

    def record_request(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.requests[f"{entry['method']} {entry['endpoint']} {entry['status']}"] += 1
            self.log.append(entry)

    def record_429(self, policy: str) -> None:
        with self.lock:
            self.rate_limited[policy] += 1

    def count_app_writes(self, contact_ids: list[str]) -> None:
        with self.lock:
            self.app_writes.update(contact_ids)

    def app_writes_by_contact(self) -> dict[str, int]:
        with self.lock:
            return dict(self.app_writes)

    def count_webhook(self, name: str, amount: int = 1) -> None:
        with self.lock:
            self.webhooks[name] += amount

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            by_status: Counter[str] = Counter()
            by_endpoint: Counter[str] = Counter()
            for key, count in self.requests.items():
                method, endpoint, status = key.split(" ")
                by_status[status] += count
                by_endpoint[f"{method} {endpoint}"] += count
            return {
                "since": self.started,
                "requests_total": sum(self.requests.values()),
                "requests": dict(sorted(self.requests.items())),
                "by_status": dict(sorted(by_status.items())),
                "by_endpoint": dict(sorted(by_endpoint.items())),
                "rate_limited_total": sum(self.rate_limited.values()),
                "rate_limited": dict(self.rate_limited),
                "webhooks": dict(sorted(self.webhooks.items())),
            }

    def recent(self, limit: int) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.log)[-limit:]
