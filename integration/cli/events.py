"""`holisticrm events list`: the inbox, for operators."""

from __future__ import annotations

import click
from sqlalchemy import select

from integration.celery_setup import init_celery
from integration.cli.common import echo_json, echo_table, open_database
from integration.db import db
from integration.installations import audit
from integration.models import WebhookEvent
from integration.pipeline.enqueue import enqueue_processing

STATUSES = ["pending", "processing", "done", "ignored", "dead"]


def register(main: click.Group) -> None:
    main.add_command(group)


@click.group("events")
def group() -> None:
    """Webhook events received (the inbox)."""


@group.command("list")
@click.option("--installation", "installation_id", type=int, help="Only this installation.")
@click.option("--status", type=click.Choice(STATUSES), help="Only events in this state.")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_(installation_id: int | None, status: str | None, limit: int, as_json: bool) -> None:
    """List inbox events, newest first."""
    open_database()
    query = select(WebhookEvent).order_by(WebhookEvent.id.desc()).limit(limit)
    if installation_id is not None:
        query = query.where(WebhookEvent.installation_id == installation_id)
    if status is not None:
        query = query.where(WebhookEvent.status == status)
    with db.transaction() as session:
        rows = [describe(event) for event in session.scalars(query)]
    if as_json:
        echo_json(rows)
        return
    columns = [
        "id",
        "installation_id",
        "event_type",
        "object_id",
        "status",
        "attempts",
        "last_error",
        "received_at",
    ]
    echo_table(rows, columns)


def describe(event: WebhookEvent) -> dict:
    # The payload is left out: it can hold property values, which are personal data.
    return {
        "id": event.id,
        "installation_id": event.installation_id,
        "connector": event.connector,
        "event_type": event.event_type,
        "object_id": event.object_id,
        "occurred_at": event.occurred_at,
        "status": event.status,
        "attempts": event.attempts,
        "last_error": event.last_error,
        "received_at": event.received_at,
        "processed_at": event.processed_at,
    }


@group.command("replay")
@click.option("--installation", "installation_id", type=int, help="Only this installation.")
@click.option("--id", "event_ids", type=int, multiple=True, help="Only these events (repeat).")
@click.option(
    "--status",
    type=click.Choice(["dead", "ignored", "done"]),
    default="dead",
    show_default=True,
    help="Which events to run again.",
)
def replay(installation_id: int | None, event_ids: tuple[int, ...], status: str) -> None:
    """Put events back in the queue (dead-lettered ones by default) and enqueue them."""
    init_celery(open_database())
    with db.transaction() as session:
        replayed = replay_events(session, installation_id, list(event_ids), status)
    sent = enqueue_processing(sorted(replayed))
    total = sum(replayed.values())
    click.echo(
        f"replaying {total} event(s) of {len(replayed)} installation(s); "
        f"{sent} enqueued"
        + (
            ""
            if sent == len(replayed)
            else " (the sweeper enqueues the rest when the broker is up)"
        )
    )


def replay_events(session, installation_id, event_ids, status) -> dict[int, int]:
    query = select(WebhookEvent).where(WebhookEvent.status == status)
    if installation_id is not None:
        query = query.where(WebhookEvent.installation_id == installation_id)
    if event_ids:
        query = query.where(WebhookEvent.id.in_(event_ids))
    counts: dict[int, int] = {}
    for event in session.scalars(query):
        event.status, event.attempts, event.claimed_by = "pending", 0, None
        event.last_error = f"replayed (was {status}): {event.last_error or ''}"[:1000]
        counts[event.installation_id] = counts.get(event.installation_id, 0) + 1
    for replayed_installation, count in counts.items():
        audit(session, replayed_installation, "cli", "events.replayed", count=count)
    return counts
