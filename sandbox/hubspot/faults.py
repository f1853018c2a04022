"""Failure knobs, changed at run time over /_sandbox/faults or from Python."""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass
class Faults:
    # API answers
    error_rate: float = 0.0  # share of API requests answered with `error_status`
    error_status: int = 500
    fail_next: int = 0  # the next N API requests fail with `error_status`
    throttle_next: int = 0  # the next N API requests get a 429, whatever the window says
    latency_ms: int = 0  # added before every API answer
    # token endpoint (HubSpot's can answer 429 and 5xx too)
    oauth_fail_next: int = 0  # the next N token requests fail with `error_status`
    oauth_throttle_next: int = 0  # the next N token requests get a 429
    # webhook delivery
    webhook_delay_ms: int = 0  # added before every webhook POST (slow delivery)
    webhook_paused: bool = False  # hold every delivery until unpaused
    webhook_refuse_rate: float = 0.0  # share of POSTs treated as refused, then retried


class FaultSwitch:
    def __init__(self, rng: random.Random) -> None:
        self.lock = threading.Lock()
        self.rng = rng
        self.faults = Faults()

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return asdict(self.faults)

    def update(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Set the named knobs; unknown names are a ValueError, not silently ignored."""
        known = {item.name: item.type for item in fields(Faults)}
        unknown = sorted(set(changes) - set(known))
        if unknown:
            raise ValueError(f"unknown fault knobs: {', '.join(unknown)}")
        with self.lock:
            for name, value in changes.items():
                current = getattr(self.faults, name)
                setattr(self.faults, name, type(current)(value))
        return self.snapshot()

    def reset(self) -> dict[str, Any]:
        with self.lock:
            self.faults = Faults()
        return self.snapshot()

    def latency_s(self) -> float:
        return self.faults.latency_ms / 1000

    def injected_status(self) -> int | None:
        """429 or 5xx to answer instead of serving this API request, if any."""
        with self.lock:
            faults = self.faults
            if faults.throttle_next > 0:
                faults.throttle_next -= 1
                return 429
            if faults.fail_next > 0:
                faults.fail_next -= 1
                return faults.error_status
            if faults.error_rate and self.rng.random() < faults.error_rate:
                return faults.error_status
        return None

    def injected_oauth_status(self) -> int | None:
        """429 or 5xx to answer instead of serving this token request, if any."""
        with self.lock:
            faults = self.faults
            if faults.oauth_throttle_next > 0:
                faults.oauth_throttle_next -= 1
                return 429
            if faults.oauth_fail_next > 0:
                faults.oauth_fail_next -= 1
                return faults.error_status
        return None

    def webhook_refused(self) -> bool:
        with self.lock:
            rate = self.faults.webhook_refuse_rate
            return bool(rate) and self.rng.random() < rate
