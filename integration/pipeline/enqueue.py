"""Enqueueing processing: best effort, because the inbox row is the source of truth."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from integration.logs import log_event

logger = logging.getLogger(__name__)


def enqueue_processing(installation_ids: Iterable[int], countdown: float | None = None) -> int:
    """Ask a worker to process each installation's pending events; return how many were sent.

    A broker that is down is logged and skipped: the sweeper finds the pending rows
    once it is back, so the webhook answer never waits for or fails on the broker.
    """
    from integration.pipeline.tasks import process_installation

    sent = 0
    for installation_id in installation_ids:
        try:
            process_installation.apply_async((installation_id,), countdown=countdown)
            sent += 1
        except Exception as exc:
            log_event(
                logger,
                "pipeline.enqueue-failed",
                logging.WARNING,
                installation=installation_id,
                error=type(exc).__name__,
            )
    return sent
