"""The inbox: store accepted webhook events once, before the request is answered."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from integration.dialects import insert_for
from integration.models import Installation, UnroutedDelivery, WebhookEvent, utcnow


@dataclass(frozen=True)
class IncomingEvent:
    """One event as a connector hands it to the inbox."""

    account_id: str
    dedup_key: str
    event_type: str
    object_id: str | None
    occurred_at: int | None
    payload: dict[str, Any]
    # "ignored" for events that can never cause work (echoes of our own writes,
    # associations...): kept in the inbox for the record, never queued.
    status: str = "pending"


@dataclass
class IntakeResult:
    stored: Counter = field(default_factory=Counter)  # installation id -> new rows
    to_process: set[int] = field(default_factory=set)  # installations with new work
    duplicates: int = 0
    unrouted: int = 0

    @property
    def stored_total(self) -> int:
        return sum(self.stored.values())


def store(
    session: Session,
    connector: str,
    events: list[IncomingEvent],
    connector_of_account: str | None = None,
) -> IntakeResult:
    """Insert new events, skip redeliveries, count events of unknown accounts.

    `connector` names the event format; `connector_of_account` the CRM whose
    account ids the events carry, when they differ (the generic receiver).
    Runs inside the caller's transaction; the caller commits, then enqueues.
    """
    result = IntakeResult()
    accounts = {event.account_id for event in events}
    routes = _installations_by_account(session, connector_of_account or connector, accounts)
    unique = {event.dedup_key: event for event in events}
    result.duplicates += len(events) - len(unique)
    rows, unrouted = [], Counter()
    for event in unique.values():
        installation_id = routes.get(event.account_id)
        if installation_id is None:
            unrouted[event.account_id] += 1
            continue
        rows.append(_row(connector, installation_id, event))
    if rows:
        inserted = _insert_new(session, rows)
        result.stored.update(installation_id for installation_id, _ in inserted)
        result.to_process.update(i for i, status in inserted if status == "pending")
        result.duplicates += len(rows) - len(inserted)
    for account_id, count in unrouted.items():
        _count_unrouted(session, connector, account_id, count)
    result.unrouted = sum(unrouted.values())
    return result


def _installations_by_account(session: Session, connector: str, accounts: set[str]) -> dict:
    query = select(Installation.external_account_id, Installation.id).where(
        Installation.connector == connector,
        Installation.external_account_id.in_(accounts),
        Installation.status != "uninstalled",
    )
    return dict(session.execute(query).all())


def _row(connector: str, installation_id: int, event: IncomingEvent) -> dict[str, Any]:
    now = utcnow()
    return {
        "connector": connector,
        "installation_id": installation_id,
        "dedup_key": event.dedup_key,
        "event_type": event.event_type,
        "object_id": event.object_id,
        "occurred_at": event.occurred_at,
        "payload": event.payload,
        "status": event.status,
        "attempts": 0,
        "received_at": now,
        "processed_at": now if event.status == "ignored" else None,
    }


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> list[tuple[int, str]]:
    table = WebhookEvent.__table__
    # One cached statement run with many parameter sets (SQLAlchemy batches them as
    # "insertmanyvalues"); a literal multi-row VALUES would be compiled anew each time.
    statement = (
        insert_for(session, table)
        .on_conflict_do_nothing(index_elements=["connector", "dedup_key"])
        .returning(table.c.installation_id, table.c.status)
    )
    return [tuple(row) for row in session.execute(statement, rows)]


def _count_unrouted(session: Session, connector: str, account_id: str, count: int) -> None:
    table = UnroutedDelivery.__table__
    now = utcnow()
    statement = insert_for(session, table).values(
        connector=connector,
        external_account_id=account_id,
        event_count=count,
        first_seen_at=now,
        last_seen_at=now,
    )
    statement = statement.on_conflict_do_update(
        index_elements=["connector", "external_account_id"],
        set_={"event_count": table.c.event_count + count, "last_seen_at": now},
    )
    session.execute(statement)
