"""What processing writes to our database: contact states, scores, deliveries, events."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from integration.models import ContactState, Delivery, Score, WebhookEvent, utcnow
from integration.pipeline.contacts import BatchPlan, ContactPlan
from integration.pipeline.scorewrite import ScoreWriteResult

# Contact ids per IN (...) query; well under SQLite's limit of bound parameters.
IN_CHUNK = 500


def apply_contact_states(session: Session, installation_id: int, plan: BatchPlan) -> set[str]:
    """Record deletions, privacy purges and merges; return contacts not to score.

    A contact deleted in an earlier batch stays deleted unless this batch restores
    it after the deletion; changes that happened before a deletion are dropped.
    """
    blocked: set[str] = set()
    states = _states(session, installation_id, list(plan.contacts))
    for contact in plan.contacts.values():
        state = states.get(contact.contact_id) or _new_state(
            session, installation_id, contact.contact_id
        )
        if contact.privacy_deleted:
            purge(session, installation_id, contact.contact_id)
            state.state, state.merged_into = "purged", None
        elif contact.deleted:
            _forget_score(session, installation_id, contact.contact_id)
            state.state = "deleted"
        elif contact.merged_into is not None:
            _move_score(session, installation_id, contact.contact_id, contact.merged_into)
            state.state, state.merged_into = "merged", contact.merged_into
        elif state.state in ("deleted", "purged", "merged") and not _revived(contact, state):
            blocked.add(contact.contact_id)
        elif contact.restored_at is not None:
            state.state = "active"
        state.last_event_at = max(state.last_event_at or 0, contact.newest_at)
    return blocked


def _revived(contact: ContactPlan, state: ContactState) -> bool:
    return contact.restored_at is not None and contact.restored_at > (state.last_event_at or 0)


def _states(
    session: Session, installation_id: int, contact_ids: list[str]
) -> dict[str, ContactState]:
    """The known states of a batch's contacts, in one query per chunk, not one per contact."""
    states: dict[str, ContactState] = {}
    for start in range(0, len(contact_ids), IN_CHUNK):
        query = select(ContactState).where(
            ContactState.installation_id == installation_id,
            ContactState.contact_id.in_(contact_ids[start : start + IN_CHUNK]),
        )
        states.update((state.contact_id, state) for state in session.scalars(query))
    return states


def _new_state(session: Session, installation_id: int, contact_id: str) -> ContactState:
    state = ContactState(installation_id=installation_id, contact_id=contact_id, state="active")
    session.add(state)
    return state


def purge(session: Session, installation_id: int, contact_id: str) -> None:
    """Remove everything we stored about one contact (GDPR / privacy deletion)."""
    for model in (Score, Delivery):
        session.execute(
            delete(model).where(
                model.installation_id == installation_id, model.contact_id == contact_id
            )
        )
    session.execute(
        update(WebhookEvent)
        .where(
            WebhookEvent.installation_id == installation_id, WebhookEvent.object_id == contact_id
        )
        .values(payload={"purged": True})
        .execution_options(synchronize_session=False)
    )


def _forget_score(session: Session, installation_id: int, contact_id: str) -> None:
    session.execute(
        delete(Score).where(
            Score.installation_id == installation_id, Score.contact_id == contact_id
        )
    )


def _move_score(session: Session, installation_id: int, merged_id: str, survivor: str) -> None:
    """The merged contact's score becomes the survivor's, unless it has its own."""
    survivor_score = _score(session, installation_id, survivor)
    merged_score = _score(session, installation_id, merged_id)
    if merged_score is None:
        return
    if survivor_score is None:
        merged_score.contact_id = survivor
    else:
        session.delete(merged_score)
    session.execute(
        update(Delivery)
        .where(Delivery.installation_id == installation_id, Delivery.contact_id == merged_id)
        .values(contact_id=survivor)
        .execution_options(synchronize_session=False)
    )


def _score(session: Session, installation_id: int, contact_id: str) -> Score | None:
    query = select(Score).where(
        Score.installation_id == installation_id, Score.contact_id == contact_id
    )
    return session.scalars(query).one_or_none()


def _scores(session: Session, installation_id: int, contact_ids: list[str]) -> dict[str, Score]:
    rows: dict[str, Score] = {}
    for start in range(0, len(contact_ids), IN_CHUNK):
        query = select(Score).where(
            Score.installation_id == installation_id,
            Score.contact_id.in_(contact_ids[start : start + IN_CHUNK]),
        )
        rows.update((row.contact_id, row) for row in session.scalars(query))
    return rows


def record_scores(
    session: Session, installation_id: int, result: ScoreWriteResult, newest_at: dict[str, int]
) -> None:
    now = utcnow()
    written = set(result.written)
    # One query for the whole batch: a query per contact also flushed the rows added
    # so far, one INSERT at a time, and made a backfill page cost seconds on SQLite.
    rows = _scores(session, installation_id, list(result.scored))
    for contact_id, outcome in result.scored.items():
        if contact_id in result.failed:
            continue
        row = rows.get(contact_id)
        if row is None:
            row = Score(installation_id=installation_id, contact_id=contact_id)
            session.add(row)
        score = outcome.score
        row.probability, row.score, row.tier = score.probability, score.score, score.tier
        row.action, row.reasons = score.action, score.reasons
        row.model_version = score.model_version
        row.content_hash, row.scored_at = outcome.content_hash, now
        row.source_event_at = max(row.source_event_at or 0, newest_at.get(contact_id, 0))
        if contact_id in written:
            row.written_at = now
            session.add(_delivery(installation_id, contact_id, outcome, "delivered", None, now))
    for contact_id, (permanent, reason) in result.failed.items():
        outcome = result.scored[contact_id]
        status = "dead" if permanent else "failed"
        session.add(_delivery(installation_id, contact_id, outcome, status, reason, None))


def _delivery(installation_id, contact_id, outcome, status, error, delivered_at) -> Delivery:
    return Delivery(
        installation_id=installation_id,
        contact_id=contact_id,
        content_hash=outcome.content_hash,
        properties=outcome.properties,
        status=status,
        attempts=1,
        error=error,
        delivered_at=delivered_at,
    )


def finish_events(
    session: Session, event_ids: list[int], status: str, error: str | None = None
) -> None:
    if not event_ids:
        return
    session.execute(
        update(WebhookEvent)
        .where(WebhookEvent.id.in_(event_ids))
        .values(status=status, last_error=error, processed_at=utcnow(), claimed_by=None)
        .execution_options(synchronize_session=False)
    )


def release_events(
    session: Session,
    event_ids: list[int],
    error: str | None,
    count_attempt: bool,
    max_attempts: int,
) -> int:
    """Put events back to pending (or dead once out of attempts); return the max attempts."""
    rows = session.scalars(select(WebhookEvent).where(WebhookEvent.id.in_(event_ids))).all()
    highest = 0
    for row in rows:
        if count_attempt:
            row.attempts += 1
        row.last_error = error
        row.claimed_by, row.claimed_at = None, None
        exhausted = count_attempt and row.attempts >= max_attempts
        row.status = "dead" if exhausted else "pending"
        if exhausted:
            row.processed_at = utcnow()
        highest = max(highest, row.attempts)
    return highest
