"""The small family of errors every connector raises; callers never see HTTP details.

What to do about each (the pipeline's side of the table in connectors/failures.py):
- RateLimited: wait `retry_after` seconds, then retry. A pause, not a failure.
- AuthExpired: the access token was refused; refresh it, then retry once.
- ReauthorizationRequired: the refresh token is revoked or invalid; pause the
  installation until an admin installs the app again.
- Retryable: the CRM or the network failed for now (5xx, time-out); retry later.
- Permanent: the request itself is wrong or forbidden; retrying will not help.
"""

from __future__ import annotations


class WebhookRejected(Exception):
    """An incoming webhook request failed a check; nothing from it may be stored.

    `reason` is a stable slug (it names the log event), `status` the HTTP answer and
    `message` says what is wrong without echoing secrets or request data.
    """

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message


class NotConfigured(Exception):
    """The connector lacks a setting it needs (e.g. HUBSPOT_CLIENT_ID); an operator's fix."""


class ConnectorError(Exception):
    """Base of the errors an outbound call to a CRM can end in."""

    reason = "connector-error"

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RateLimited(ConnectorError):
    reason = "rate-limited"

    def __init__(self, message: str, retry_after: float, status: int | None = 429) -> None:
        super().__init__(message, status)
        self.retry_after = retry_after


class AuthExpired(ConnectorError):
    reason = "auth-expired"


class ReauthorizationRequired(ConnectorError):
    reason = "reauthorization-required"


class Retryable(ConnectorError):
    reason = "retryable"


class Permanent(ConnectorError):
    reason = "permanent"
