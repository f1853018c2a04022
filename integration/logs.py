"""Logging: dotted event names plus the ids an operator needs, never secrets.

Use `log_event(logger, "webhook.rejected", reason="bad-signature", installation=3)`.
Values passed here must be ids, counts and slugs: never tokens, e-mail addresses
or property values.
"""

from __future__ import annotations

import logging
from typing import Any

_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    # Add a handler only if the host (gunicorn, celery, pytest) has not set one up.
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(_FORMAT))
        root.addHandler(handler)
    root.setLevel(level.upper())


def log_event(logger: logging.Logger, event: str, level: int = logging.INFO, **ids: Any) -> None:
    fields = " ".join(f"{key}={value}" for key, value in sorted(ids.items()))
    logger.log(level, "%s %s", event, fields, extra={"event": event, **{"ids": ids}})
