"""`holisticrm installations add|list`."""

from __future__ import annotations

import click
from sqlalchemy import select

from integration import installations
from integration.cli.common import echo_json, echo_table, open_database
from integration.crypto import KeyRing
from integration.db import db
from integration.models import Installation

CONNECTORS = ["hubspot"]


def register(main: click.Group) -> None:
    main.add_command(group)


def _account_id(value: str) -> str:
    if not value.isdigit() or len(value) > 20:
        raise click.BadParameter("a HubSpot portal id is a positive whole number")
    return value


@click.group("installations")
def group() -> None:
    """Connected CRM accounts."""


@group.command("add")
@click.argument("connector", type=click.Choice(CONNECTORS))
@click.option("--portal-id", "account_id", required=True, callback=lambda _c, _p, value:
              _account_id(value), help="The CRM account id (digits).")
def add(connector: str, account_id: str) -> None:
    """Register an account by hand (the OAuth install does this for real customers)."""
    open_database()
    with db.transaction() as session:
        installation, created = installations.upsert(session, connector, account_id, "cli")
        installation_id = installation.id
    verb = "created" if created else "already exists:"
    click.echo(f"installation {installation_id} {verb} {connector} account {account_id}")


@group.command("webhook-secret")
@click.argument("installation_id", type=int)
def webhook_secret(installation_id: int) -> None:
    """Create (or replace) the secret for POST /webhooks/generic/INSTALLATION_ID."""
    config = open_database()
    with db.transaction() as session:
        installation = session.get(Installation, installation_id)
        if installation is None:
            raise click.ClickException(f"no installation {installation_id}")
        secret = installations.set_webhook_secret(
            session, installation, KeyRing(config["ENCRYPTION_KEYS"])
        )
    click.echo("Standard Webhooks secret (shown once; store it in the sending tool):")
    click.echo(secret)


@group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_(as_json: bool) -> None:
    """List installations and their status (e.g. needs_reauth)."""
    open_database()
    with db.transaction() as session:
        rows = [
            installations.describe(item)
            for item in session.scalars(select(Installation).order_by(Installation.id))
        ]
    if as_json:
        echo_json(rows)
        return
    columns = ["id", "connector", "external_account_id", "status", "status_reason", "created_at"]
    echo_table(rows, columns)
