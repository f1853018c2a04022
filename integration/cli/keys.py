"""`holisticrm keys new|rotate`: encryption keys for secrets at rest."""

from __future__ import annotations

import click
from sqlalchemy import select

from integration.cli.common import open_database
from integration.crypto import KeyRing, new_key
from integration.db import db
from integration.installations import audit
from integration.models import Installation

SECRET_COLUMNS = ("access_token_enc", "refresh_token_enc", "webhook_secret_enc")


def register(main: click.Group) -> None:
    main.add_command(group)


@click.group("keys")
def group() -> None:
    """Encryption keys for tokens and secrets at rest (ENCRYPTION_KEYS)."""


@group.command("new")
def new() -> None:
    """Print a new key; put it first in ENCRYPTION_KEYS, then run `keys rotate`."""
    click.echo(new_key())


@group.command("rotate")
def rotate() -> None:
    """Re-encrypt every stored secret with the first key of ENCRYPTION_KEYS."""
    config = open_database()
    keyring = KeyRing(config["ENCRYPTION_KEYS"])
    with db.transaction() as session:
        count = rotate_all(session, keyring)
    click.echo(f"re-encrypted {count} secret(s) with the newest key; older keys may now be "
               "removed from ENCRYPTION_KEYS")


def rotate_all(session, keyring: KeyRing) -> int:
    count = 0
    for installation in session.scalars(select(Installation)):
        for column in SECRET_COLUMNS:
            value = getattr(installation, column)
            if value is not None:
                setattr(installation, column, keyring.rotate(value))
                count += 1
        audit(session, installation.id, "cli", "keys.rotated")
    return count
