"""Celery tasks: process an installation's inbox, and sweep for forgotten rows.

Tasks take ids only (never tokens or contact data), re-read their rows, and are
safe to run twice: a claim makes a second run find nothing to do.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta

from celery import current_app, shared_task

from integration.db import db
from integration.logs import log_event
from integration.models import Installation, utcnow
from integration.pipeline import claims
from integration.pipeline.enqueue import enqueue_processing

logger = logging.getLogger(__name__)



def settings() -> dict:
    return current_app.conf.holisticrm


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@shared_task(name="integration.pipeline.tasks.sweep_inbox")
def sweep_inbox() -> int:
    """Re-enqueue installations whose events wait too long (e.g. the broker was down)."""
    config = settings()
    with db.transaction() as session:
        released = claims.release_abandoned(session, config["CLAIM_LEASE_S"])
        cutoff = utcnow() - timedelta(seconds=config["SWEEP_PENDING_AFTER_S"])
        waiting = claims.installations_with_pending(session, cutoff)
        active = [
            installation_id
            for installation_id in waiting
            if session.get(Installation, installation_id).status == "active"
        ]
    sent = enqueue_processing(active)
    log_event(logger, "pipeline.swept", released=released, installations=len(active), sent=sent)
    return sent


@shared_task(
    name="integration.pipeline.tasks.process_installation",
    bind=True,
    acks_late=True,
    max_retries=None,
)
def process_installation(self, installation_id: int) -> int:
    """Claim this installation's settled events and run them through the pipeline."""
    from integration.pipeline import processing

    return processing.run(self, installation_id, worker_name(), settings())
