"""The one HTTP client of the HubSpot connector.

It owns time-outs, the bearer token, the shared rate budget, and what happens on
failure (connectors/failures.py): a 429 waits as HubSpot says and retries, 5xx and
time-outs back off with jitter and retry, a 401 refreshes the token once. Whatever
still fails leaves as one of the errors in connectors.errors, raised from the cause.
Error text never includes the token or response bodies with personal data.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from typing import Any

import requests

from connectors import errors
from connectors.base import TokenProvider
from connectors.failures import NETWORK, classify
from connectors.hubspot import quirks
from connectors.ratelimit import AccountRateLimiter
from integration.logs import log_event

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # in all, including the first
    backoff_base_s: float = 0.5
    backoff_max_s: float = 20.0
    max_rate_limit_wait_s: float = 60.0  # longer pauses go back to the caller
    # Scales every pause; tests and the sandbox demo compress time with it.
    time_scale: float = 1.0

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter, so workers don't retry in step."""
        ceiling = min(self.backoff_max_s, self.backoff_base_s * 2**attempt)
        return random.uniform(0, ceiling) * self.time_scale


@dataclass(frozen=True)
class Timeouts:
    connect_s: float = 5.0
    read_s: float = 30.0


class HubSpotHttp:
    """Authenticated requests to one HubSpot account."""

    def __init__(
        self,
        api_base: str,
        account_id: str,
        token_provider: TokenProvider,
        limiter: AccountRateLimiter,
        session: requests.Session | None = None,
        policy: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        self.api_base = api_base.rstrip("/")
        self.account_id = account_id
        self.token_provider = token_provider
        self.limiter = limiter
        self.session = session or requests.Session()
        self.policy = policy or RetryPolicy()
        self.timeouts = timeouts or Timeouts()

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send, with the connector's retries; return a 2xx response or raise."""
        refreshed = force_refresh = False
        for attempt in range(self.policy.attempts):
            try:
                response = self._send(method, path, force_refresh, **kwargs)
                force_refresh = False
            except (requests.ConnectionError, requests.Timeout) as exc:
                self._pause_or_raise(attempt, NETWORK.error(f"{method} {path}: no answer"), exc)
                continue
            if response.status_code < 400:
                return response
            failure = classify(response.status_code)
            error = self._error(failure.error, method, path, response)
            if isinstance(error, errors.AuthExpired) and not refreshed:
                refreshed = force_refresh = True  # once: the next send gets a new token
                continue
            if not failure.retry_in_client or isinstance(error, errors.AuthExpired):
                log_event(logger, "hubspot.request-failed", logging.WARNING,
                          account=self.account_id, status=error.status, fault=failure.fault)
                raise error
            self._pause_or_raise(attempt, error, None)
        raise errors.Retryable(f"{method} {path}: gave up after {self.policy.attempts} attempts")

    def _send(self, method: str, path: str, force_refresh: bool, **kwargs) -> requests.Response:
        self.limiter.acquire(self.account_id)
        token = self.token_provider(force_refresh)
        headers = {"Authorization": f"Bearer {token}", **kwargs.get("headers", {})}
        options = {key: value for key, value in kwargs.items() if key != "headers"}
        return self.session.request(
            method,
            f"{self.api_base}{path}",
            headers=headers,
            timeout=(self.timeouts.connect_s, self.timeouts.read_s),
            **options,
        )

    def _error(self, kind, method: str, path: str, response: requests.Response):
        message = f"{method} {path}: HTTP {response.status_code}"
        if kind is errors.RateLimited:
            return errors.RateLimited(message, retry_after=rate_limit_wait(response))
        return kind(message, status=response.status_code)

    def _pause_or_raise(self, attempt: int, error: errors.ConnectorError, cause) -> None:
        last = attempt + 1 >= self.policy.attempts
        if isinstance(error, errors.RateLimited):
            log_event(
                logger, "hubspot.rate-limited", account=self.account_id, wait_s=error.retry_after
            )
            if last or error.retry_after > self.policy.max_rate_limit_wait_s:
                raise error from cause
            time.sleep(error.retry_after * self.policy.time_scale)
            return
        if last:
            raise error from cause
        pause = self.policy.backoff(attempt)
        log_event(
            logger,
            "hubspot.retry",
            logging.WARNING,
            account=self.account_id,
            reason=error.reason,
            status=error.status,
            wait_s=round(pause, 2),
        )
        time.sleep(pause)


def rate_limit_wait(response: requests.Response) -> float:
    """Seconds to wait after a 429: Retry-After if given, else by HubSpot's policy name."""
    retry_after = response.headers.get("Retry-After")
    if retry_after and retry_after.replace(".", "", 1).isdigit():
        return float(retry_after)
    try:
        policy = (response.json() or {}).get("policyName")
    except ValueError:
        policy = None
    return quirks.RATE_LIMIT_WAIT_S.get(policy, quirks.DEFAULT_RATE_LIMIT_WAIT_S)
