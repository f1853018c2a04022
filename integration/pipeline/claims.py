"""Row claims on the inbox, so that two workers never process the same event.

PostgreSQL: the candidate rows are locked with FOR UPDATE SKIP LOCKED, so workers
claim disjoint sets without waiting on each other. SQLite: every transaction
starts with BEGIN IMMEDIATE (integration.db), so claims are serialised.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from integration.models import WebhookEvent, utcnow


def claim_pending(
    session: Session,
    installation_id: int,
    worker: str,
    contacts: int,
    settled_before=None,
    max_events: int = 5000,
) -> list[int]:
    """Mark as ours every pending event of up to `contacts` contacts; return their ids.

    Whole contacts are claimed, oldest first: a contact whose events were split over
    two claims would be read and written twice. `settled_before` leaves events
    received after that time for a later run (debounce).
    """
    pending = [WebhookEvent.installation_id == installation_id, WebhookEvent.status == "pending"]
    if settled_before is not None:
        pending.append(WebhookEvent.received_at <= settled_before)
    oldest_contacts = (
        select(WebhookEvent.object_id)
        .where(*pending)
        .group_by(WebhookEvent.object_id)
        .order_by(func.min(WebhookEvent.id))
        .limit(contacts)
    )
    candidates = (
        select(WebhookEvent.id)
        .where(*pending, WebhookEvent.object_id.in_(oldest_contacts.scalar_subquery()))
        .order_by(WebhookEvent.id)
        .limit(max_events)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(WebhookEvent)
        .where(WebhookEvent.id.in_(candidates.scalar_subquery()))
        .values(status="processing", claimed_by=worker, claimed_at=utcnow())
        .returning(WebhookEvent.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(session.execute(statement).scalars())


def renew_claims(session: Session, event_ids: list[int], worker: str) -> int:
    """Extend the lease of events this worker still holds (it is alive and busy)."""
    statement = (
        update(WebhookEvent)
        .where(
            WebhookEvent.id.in_(event_ids),
            WebhookEvent.status == "processing",
            WebhookEvent.claimed_by == worker,
        )
        .values(claimed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return session.execute(statement).rowcount or 0


def batch_wait(
    session: Session,
    installation_id: int,
    settled_before,
    full_batch: int,
    give_up_before,
) -> float:
    """Seconds to hold back the settled events in the hope of a fuller batch; 0 for now.

    Claimed as they settle, a steady stream of changes was read and written a few
    contacts at a time: 86 calls per 1,000 contacts instead of 20 (bench/pipeline.py).
    Settled events wait while more are still arriving, until they cover `full_batch`
    contacts or the oldest was received before `give_up_before`.
    """
    pending = (WebhookEvent.installation_id == installation_id, WebhookEvent.status == "pending")
    oldest = session.scalar(
        select(WebhookEvent.received_at).where(*pending).order_by(WebhookEvent.id).limit(1)
    )
    if oldest is None or oldest > settled_before or oldest <= give_up_before:
        return 0.0
    arriving = session.scalar(
        select(WebhookEvent.id).where(*pending, WebhookEvent.received_at > settled_before).limit(1)
    )
    if arriving is None:
        return 0.0  # the burst is over: nothing more to wait for
    settled = (
        select(WebhookEvent.object_id)
        .where(*pending, WebhookEvent.received_at <= settled_before)
        .distinct()
        .limit(full_batch)
        .subquery()
    )
    if session.scalar(select(func.count()).select_from(settled)) >= full_batch:
        return 0.0
    return (oldest - give_up_before).total_seconds()


def release_abandoned(session: Session, lease_s: int) -> int:
    """Put back events claimed by a worker that died before finishing them."""
    statement = (
        update(WebhookEvent)
        .where(
            WebhookEvent.status == "processing",
            WebhookEvent.claimed_at < utcnow() - timedelta(seconds=lease_s),
        )
        .values(status="pending", claimed_by=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    return session.execute(statement).rowcount or 0


def installations_with_pending(session: Session, received_before) -> list[int]:
    query = (
        select(WebhookEvent.installation_id)
        .where(WebhookEvent.status == "pending", WebhookEvent.received_at <= received_before)
        .distinct()
    )
    return sorted(session.execute(query).scalars())
