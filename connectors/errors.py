"""Errors connectors raise. Web and pipeline code map these onto answers and retries."""

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
