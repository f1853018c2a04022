"""`holisticrm events list`: the inbox, for operators."""

from __future__ import annotations

import click
from sqlalchemy import select

from integration.cli.common import echo_json, echo_table, open_database
from integration.db import db
from integration.models import WebhookEvent

STATUSES = ["pending", "processing", "done", "ignored", "dead"]


def register(main: click.Group) -> None:
    main.add_command(group)


@click.group("events")
def group() -> None:
    """Webhook events received (the inbox)."""


@group.command("list")
@click.option("--installation", "installation_id", type=int, help="Only this installation.")
@click.option("--status", type=click.Choice(STATUSES), help="Only events in this state.")
@click.option("--limit", type=int, default=100, show_default=True)
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
