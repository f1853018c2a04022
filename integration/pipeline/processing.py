"""The main job for one installation: claimed inbox events -> scores in the CRM.

    claim settled events -> plan per contact (echoes dropped, deletions win)
    -> batch-read contacts -> score -> skip unchanged -> batch-write -> record

Failures follow the connector's error family: a rate limit pauses and retries;
an expired token was already refreshed by the client; a revoked authorization
pauses the installation; transient errors retry with backoff up to a limit; a
permanent error dead-letters the events with the reason.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from connectors import errors, generic
from integration.db import db
from integration.logs import log_event
from integration.models import WebhookEvent, utcnow
from integration.pipeline import claims, records
from integration.pipeline.contacts import BatchPlan, plan_batch
from integration.pipeline.runtime import Runtime, load_runtime
from integration.pipeline.scorewrite import score_and_write
from integration.tokens import NotAuthorized

logger = logging.getLogger(__name__)

# Contacts of one batch read (HubSpot's batch endpoints take 100).
FULL_BATCH = 100
BACKOFF_BASE_S = 2.0
BACKOFF_MAX_S = 600.0


def run(task, installation_id: int, worker: str, config: dict[str, Any]) -> int:
    """Process settled events until none are left; return how many were processed."""
    runtime = load_runtime(installation_id, config)
    if runtime is None:
        return 0  # paused or gone: events stay pending until it is active again
    done = 0
    while True:
        event_ids, wait = _claim(installation_id, worker, config)
        if not event_ids:
            _come_back_for_unsettled(task, installation_id, config, wait)
            return done
        try:
            with _lease_kept(event_ids, worker, config["CLAIM_LEASE_S"]):
                process_events(runtime, event_ids, config)
        except errors.ConnectorError as exc:
            _handle_failure(task, installation_id, event_ids, exc, config)
            return done
        except NotAuthorized as exc:
            _release(event_ids, str(exc), count_attempt=False, config=config)
            return done
        done += len(event_ids)


def _claim(installation_id: int, worker: str, config: dict[str, Any]) -> tuple[list[int], float]:
    """Claimed event ids, or none and how long settled events wait for a fuller batch."""
    now = utcnow()
    settled = now - timedelta(seconds=config["DEBOUNCE_S"])
    give_up = settled - timedelta(seconds=config.get("BATCH_WAIT_S", 0.0))
    with db.transaction() as session:
        wait = claims.batch_wait(session, installation_id, settled, FULL_BATCH, give_up)
        if wait > 0:
            return [], wait
        return claims.claim_pending(session, installation_id, worker, FULL_BATCH, settled), 0.0


@contextmanager
def _lease_kept(event_ids: list[int], worker: str, lease_s: float) -> Iterator[None]:
    """Renew our claims while the batch runs.

    A batch can outlive CLAIM_LEASE_S while its worker is alive (a rate-limit pause,
    retries with backoff, a slow CRM). Without renewal the sweeper would hand the
    events to another worker, and both would write the same change to the CRM.
    Only a worker that stopped renewing (killed, frozen) loses its claims.
    """
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(max(lease_s / 3, 0.2)):
            try:
                with db.transaction() as session:
                    claims.renew_claims(session, event_ids, worker)
            except Exception as exc:  # the next beat tries again; the batch goes on
                log_event(
                    logger,
                    "pipeline.lease-renewal-failed",
                    logging.WARNING,
                    error=type(exc).__name__,
                )

    thread = threading.Thread(target=renew, name="claim-lease", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _come_back_for_unsettled(
    task, installation_id: int, config: dict[str, Any], wait: float = 0.0
) -> None:
    """Events still inside the debounce window, or held back for a fuller batch, get a
    run of their own a bit later."""
    with db.transaction() as session:
        waiting = session.scalar(
            select(WebhookEvent.id)
            .where(
                WebhookEvent.installation_id == installation_id, WebhookEvent.status == "pending"
            )
            .limit(1)
        )
    if waiting is not None:
        # Held back: come back when waiting is over; the tasks enqueued by newer
        # webhooks look earlier, in case a full batch settles before that.
        task.apply_async((installation_id,), countdown=wait or config["DEBOUNCE_S"])


def process_events(runtime: Runtime, event_ids: list[int], config: dict[str, Any]) -> None:
    plan = _plan(runtime, event_ids)
    with db.transaction() as session:
        blocked = records.apply_contact_states(session, runtime.installation_id, plan)
        records.finish_events(session, plan.ignored, "ignored")
    to_score = [cid for cid in plan.to_score() if cid not in blocked]
    result = score_and_write(runtime, to_score)
    newest = {cid: contact.newest_at for cid, contact in plan.contacts.items()}
    with db.transaction() as session:
        records.record_scores(session, runtime.installation_id, result, newest)
        _finish(session, plan, result, config)
    log_event(
        logger,
        "pipeline.batch-done",
        installation=runtime.installation_id,
        events=len(event_ids),
        contacts=len(to_score),
        written=len(result.written),
        gone=len(result.gone),
        unchanged=len(result.unchanged),
        failed=len(result.failed),
    )


def _plan(runtime: Runtime, event_ids: list[int]) -> BatchPlan:
    with db.transaction() as session:
        rows = session.execute(
            select(
                WebhookEvent.id,
                WebhookEvent.connector,
                WebhookEvent.payload,
                WebhookEvent.occurred_at,
            ).where(WebhookEvent.id.in_(event_ids))
        ).all()
    parsed = []
    for event_id, connector, payload, occurred_at in rows:
        if connector == "generic":
            parsed.append((event_id, generic.parse_event(payload, occurred_at or 0)))
        else:
            parsed.extend((event_id, event) for event in runtime.connector.parse_events(payload))
    return plan_batch(parsed)


def _finish(session, plan: BatchPlan, result, config: dict[str, Any]) -> None:
    """Each contact's events end as done, dead (permanent failure) or pending again."""
    done, retry, dead = [], [], []
    for contact_id, contact in plan.contacts.items():
        failure = result.failed.get(contact_id)
        if failure is None:
            done.extend(contact.events)
        elif failure[0]:
            dead.append((contact.events, failure[1]))
        else:
            retry.extend(contact.events)
    records.finish_events(session, done, "done")
    for event_ids, reason in dead:
        records.finish_events(session, event_ids, "dead", f"permanent: {reason}")
    if retry:
        records.release_events(
            session, retry, "record failed, will retry", True, config["PIPELINE_MAX_ATTEMPTS"]
        )


def _handle_failure(
    task,
    installation_id: int,
    event_ids: list[int],
    exc: errors.ConnectorError,
    config: dict[str, Any],
) -> None:
    reason = f"{exc.reason}: {exc}"
    log_event(
        logger,
        "pipeline.batch-failed",
        logging.WARNING,
        installation=installation_id,
        reason=exc.reason,
        status=exc.status,
        events=len(event_ids),
    )
    if isinstance(exc, errors.RateLimited):
        _release(event_ids, reason, count_attempt=False, config=config)
        task.apply_async((installation_id,), countdown=exc.retry_after)
    elif isinstance(exc, errors.ReauthorizationRequired):
        # The token store has marked the installation; its events wait for a reinstall.
        _release(event_ids, reason, count_attempt=False, config=config)
    elif isinstance(exc, errors.Permanent):
        with db.transaction() as session:
            records.finish_events(session, event_ids, "dead", reason)
    else:  # Retryable, AuthExpired after a refresh: back off and try again
        attempts = _release(event_ids, reason, count_attempt=True, config=config)
        task.apply_async((installation_id,), countdown=backoff(attempts))


def _release(event_ids: list[int], reason: str, count_attempt: bool, config: dict[str, Any]) -> int:
    with db.transaction() as session:
        return records.release_events(
            session, event_ids, reason, count_attempt, config["PIPELINE_MAX_ATTEMPTS"]
        )


def backoff(attempts: int) -> float:
    """Exponential backoff with full jitter, capped."""
    return random.uniform(0, min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** max(attempts, 1)))
