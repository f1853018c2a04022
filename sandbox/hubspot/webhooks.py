"""Webhook subscriptions and delivery: HubSpot-shaped events, batched, signed, retried.

https://developers.hubspot.com/docs/api/webhooks
One POST carries up to 100 events of one portal. A delivery fails on a
connection error, on no answer within the time-out, or on any status outside
2xx; it is then retried up to 10 times over about a day with random spread.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import random
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import requests

from connectors.hubspot.signature import sign_v1, sign_v3
from sandbox.hubspot.config import SandboxConfig
from sandbox.hubspot.faults import FaultSwitch
from sandbox.hubspot.stats import Stats
from sandbox.hubspot.store import Change
from sandbox.hubspot.tokens import Tokens

log = logging.getLogger(__name__)

MAX_EVENTS_PER_REQUEST = 100
# Delay before retry n+1, in seconds; with a random spread of -25 %..+10 % the ten
# retries end within 24 h, which is all HubSpot promises about its schedule.
RETRY_DELAYS_S = (60, 120, 300, 600, 1800, 3600, 7200, 14400, 21600, 28800)
# "*" for every property is a sandbox convenience: HubSpot wants one
# subscription per property name.
ALL_PROPERTIES = "*"
CONTACT_EVENT_TYPES = (
    "contact.creation",
    "contact.deletion",
    "contact.privacyDeletion",
    "contact.merge",
    "contact.restore",
    "contact.propertyChange",
)
# Recent real creation payloads say CREATED (older HubSpot samples said NEW);
# property changes carry no changeFlag.
CHANGE_FLAGS = {"creation": "CREATED", "deletion": "DELETED", "privacyDeletion": "DELETED"}


@dataclass
class Subscription:
    id: int
    event_type: str
    property_name: str | None = None
    active: bool = True

    def matches(self, change: Change) -> bool:
        if not self.active or self.event_type != f"contact.{change.kind}":
            return False
        if change.kind != "propertyChange":
            return True
        return self.property_name in (ALL_PROPERTIES, change.property_name)

    def to_api(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "eventType": self.event_type, "active": self.active}
        if self.property_name:
            body["propertyName"] = self.property_name
        return body


@dataclass
class Batch:
    portal_id: int
    events: list[dict[str, Any]]
    attempt: int = 0
    first_queued: float = 0.0


def retry_delay_s(attempt: int, rng: random.Random, compression: float) -> float:
    """Delay before retry number `attempt` (1-based), divided by the compression."""
    base = RETRY_DELAYS_S[min(attempt, len(RETRY_DELAYS_S)) - 1]
    return base * rng.uniform(0.75, 1.10) / max(compression, 1e-9)


class Dispatcher:
    def __init__(
        self, config: SandboxConfig, tokens: Tokens, stats: Stats, faults: FaultSwitch
    ) -> None:
        self.config = config
        self.tokens = tokens
        self.stats = stats
        self.faults = faults
        self.rng = random.Random(config.random_seed)
        self.target_url = config.webhook_url
        self.subscriptions = [
            Subscription(
                index + 1, event_type, ALL_PROPERTIES if "propertyChange" in event_type else None
            )
            for index, event_type in enumerate(CONTACT_EVENT_TYPES)
        ]
        self.cond = threading.Condition()
        self.pending: deque[tuple[float, dict[str, Any]]] = deque()
        self.retries: list[tuple[float, int, Batch]] = []
        self.in_flight = 0
        self.deliveries: deque[dict[str, Any]] = deque(maxlen=config.request_log_size)
        # Ids keep growing across runs (start from the clock) so that a receiver's
        # deduplication never mistakes a new run's events for old ones; below 2**53.
        self.event_ids = itertools.count(int(time.time() * 1000) * 1000)
        self.sequence = itertools.count()
        self.stopping = False
        self.pool = ThreadPoolExecutor(config.webhook_max_concurrency, "sandbox-webhook")
        self.thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)

    # -- settings ------------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        with self.cond:
            return {
                "targetUrl": self.target_url,
                "throttling": {"maxConcurrentRequests": self.config.webhook_max_concurrency},
                "subscriptions": [sub.to_api() for sub in self.subscriptions],
            }

    def set_target(self, url: str | None) -> None:
        with self.cond:
            self.target_url = url

    def add_subscription(
        self, event_type: str, property_name: str | None, active: bool
    ) -> Subscription:
        with self.cond:
            sub = Subscription(
                max((s.id for s in self.subscriptions), default=0) + 1,
                event_type,
                property_name,
                active,
            )
            self.subscriptions.append(sub)
            return sub

    def replace_subscriptions(self, subs: list[dict[str, Any]]) -> None:
        with self.cond:
            self.subscriptions = [
                Subscription(
                    index + 1, item["eventType"], item.get("propertyName"), item.get("active", True)
                )
                for index, item in enumerate(subs)
            ]

    # -- intake ----------------------------------------------------------------------

    def on_changes(self, changes: list[Change]) -> None:
        """Store listener: turn changes into events and queue them (never blocks on I/O)."""
        with self.cond:
            for change in changes:
                self._queue_change(change)
            self.cond.notify_all()

    def _queue_change(self, change: Change) -> None:
        if self.target_url is None:
            self.stats.count_webhook("events_without_target")
            return
        if self.config.webhooks_need_install and change.portal_id not in self.tokens.installed:
            self.stats.count_webhook("events_app_not_installed")
            return
        for sub in self.subscriptions:
            if sub.matches(change):
                self.pending.append((time.monotonic(), self._event(change, sub)))
                self.stats.count_webhook("events_queued")

    def _event(self, change: Change, sub: Subscription) -> dict[str, Any]:
        event: dict[str, Any] = {
            "eventId": next(self.event_ids),
            "subscriptionId": sub.id,
            "portalId": change.portal_id,
            "appId": self.config.app_id,
            "occurredAt": change.occurred_at,
            "subscriptionType": sub.event_type,
            "attemptNumber": 0,
            "objectId": change.object_id,
            "changeSource": change.source.change_source,
        }
        if change.source.source_id:
            event["sourceId"] = change.source.source_id
        if change.kind == "propertyChange":
            event["propertyName"] = change.property_name
            event["propertyValue"] = change.property_value or ""
        if change.kind in CHANGE_FLAGS:
            event["changeFlag"] = CHANGE_FLAGS[change.kind]
        event.update(change.extra)
        return event

    # -- the delivery loop -------------------------------------------------------------

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        with self.cond:
            self.stopping = True
            self.cond.notify_all()
        self.thread.join(timeout=5)
        self.pool.shutdown(wait=False, cancel_futures=True)

    def _run(self) -> None:
        while True:
            with self.cond:
                if self.stopping:
                    return
                batches = self._due_batches()
                if not batches:
                    self.cond.wait(timeout=self._sleep_s())
                    continue
                self.in_flight += len(batches)
            for batch in batches:
                self.pool.submit(self._deliver, batch)

    def _sleep_s(self) -> float:
        if self.faults.faults.webhook_paused:
            return 0.05  # poll until unpaused; nothing is due meanwhile
        waits = [0.5]
        if self.retries:
            waits.append(self.retries[0][0] - time.monotonic())
        if self.pending:
            waits.append(self.pending[0][0] + self.config.webhook_batch_window_s - time.monotonic())
        return max(min(waits), 0.005)

    def _due_batches(self) -> list[Batch]:
        """Retries that are due, and new events once the oldest waited a batch window."""
        if self.faults.faults.webhook_paused:
            return []
        now = time.monotonic()
        batches = []
        while self.retries and self.retries[0][0] <= now:
            batches.append(heapq.heappop(self.retries)[2])
        window = self.config.webhook_batch_window_s
        full = len(self.pending) >= MAX_EVENTS_PER_REQUEST
        if self.pending and (full or self.pending[0][0] + window <= now):
            batches += self._take_pending()
        return batches

    def _take_pending(self) -> list[Batch]:
        by_portal: dict[int, list[Batch]] = {}
        while self.pending:
            queued, event = self.pending.popleft()
            portal_batches = by_portal.setdefault(event["portalId"], [])
            if not portal_batches or len(portal_batches[-1].events) >= MAX_EVENTS_PER_REQUEST:
                portal_batches.append(Batch(event["portalId"], [], 0, queued))
            portal_batches[-1].events.append(event)
        return [batch for batches in by_portal.values() for batch in batches]

    def _deliver(self, batch: Batch) -> None:
        try:
            ok, status, elapsed_ms = self._post(batch)
        except Exception:  # a bug here must not kill the pool thread silently
            log.exception("sandbox.webhook.delivery-crashed")
            ok, status, elapsed_ms = False, "crash", 0.0
        self._record(batch, ok, status, elapsed_ms)
        with self.cond:
            self.in_flight -= 1
            if not ok:
                self._schedule_retry(batch)
            self.cond.notify_all()

    def _post(self, batch: Batch) -> tuple[bool, int | str, float]:
        delay_ms = self.faults.faults.webhook_delay_ms
        if delay_ms:
            time.sleep(delay_ms / 1000)
        url = self.target_url
        if url is None:
            return False, "no-target", 0.0
        for event in batch.events:
            event["attemptNumber"] = batch.attempt
        body = json.dumps(batch.events, separators=(",", ":")).encode()
        started = time.monotonic()
        if self.faults.webhook_refused():
            return False, "refused", 0.0
        try:
            response = requests.post(
                url,
                data=body,
                headers=self._headers(url, body),
                timeout=self.config.webhook_timeout_s,
            )
        except requests.Timeout:
            return False, "timeout", (time.monotonic() - started) * 1000
        except requests.RequestException:
            return False, "connection-error", (time.monotonic() - started) * 1000
        elapsed_ms = (time.monotonic() - started) * 1000
        return 200 <= response.status_code < 300, response.status_code, elapsed_ms

    def _headers(self, url: str, body: bytes) -> dict[str, str]:
        secret = self.config.client_secret
        timestamp = str(int(time.time() * 1000))
        return {
            "Content-Type": "application/json",
            "User-Agent": "HubSpot Connect 2.0 (http://dev.hubspot.com/) - sandbox",
            "X-HubSpot-Signature": sign_v1(secret, body),
            "X-HubSpot-Signature-Version": "v1",
            "X-HubSpot-Signature-v3": sign_v3(secret, "POST", url, body, timestamp),
            "X-HubSpot-Request-Timestamp": timestamp,
        }

    def _record(self, batch: Batch, ok: bool, status: int | str, elapsed_ms: float) -> None:
        self.stats.count_webhook("requests")
        self.stats.count_webhook("requests_ok" if ok else "requests_failed")
        if ok:
            self.stats.count_webhook("events_delivered", len(batch.events))
        else:
            log.info(
                "sandbox.webhook.delivery-failed",
                extra={"portal_id": batch.portal_id, "attempt": batch.attempt, "status": status},
            )
        self.deliveries.append(
            {
                "at": time.time(),
                "portalId": batch.portal_id,
                "events": len(batch.events),
                "attemptNumber": batch.attempt,
                "status": status,
                "ok": ok,
                "ms": round(elapsed_ms, 1),
            }
        )

    def _schedule_retry(self, batch: Batch) -> None:
        if batch.attempt >= self.config.webhook_max_retries:
            self.stats.count_webhook("batches_given_up")
            self.stats.count_webhook("events_given_up", len(batch.events))
            return
        batch.attempt += 1
        due = time.monotonic() + retry_delay_s(
            batch.attempt, self.rng, self.config.retry_compression
        )
        heapq.heappush(self.retries, (due, next(self.sequence), batch))
        self.stats.count_webhook("retries_scheduled")

    # -- for tests and the demo ---------------------------------------------------------

    def idle(self) -> bool:
        with self.cond:
            return not self.pending and not self.retries and self.in_flight == 0

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is queued, in flight or waiting for a retry."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.pending or self.retries or self.in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(timeout=min(left, 0.05))
            return True

    def recent_deliveries(self, limit: int) -> list[dict[str, Any]]:
        with self.cond:
            return list(self.deliveries)[-limit:]
