"""`holisticrm db upgrade|current`: schema migrations."""

from __future__ import annotations

import click

from integration import migrate
from integration.config import load_config


def register(main: click.Group) -> None:
    main.add_command(db_group)


@click.group("db")
def db_group() -> None:
    """Database schema (Alembic revisions)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    migrate.upgrade(load_config()["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@db_group.command("current")
def current() -> None:
    """Show the revision the database is at."""
    migrate.current(load_config()["DATABASE_URL"])
