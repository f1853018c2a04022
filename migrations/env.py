"""Alembic environment: the URL comes from the project's configuration, not alembic.ini."""

from alembic import context

from integration.config import load_config
from integration.db import make_engine
from integration.models import Base

config = context.config
url = config.attributes.get("database_url") or load_config()["DATABASE_URL"]


def run_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    # render_as_batch lets ALTER TABLE work on SQLite through table copies.
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
