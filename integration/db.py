"""Engine and sessions, shared by the web app, the worker and the CLI.

Plain SQLAlchemy 2 rather than Flask-SQLAlchemy, because Celery tasks and the CLI
use the same sessions without a Flask app.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000


class Database:
    """One engine per process, configured from the database URL."""

    def __init__(self) -> None:
        self.url: str | None = None
        self.engine: Engine | None = None
        self.sessionmaker: sessionmaker[Session] | None = None

    def configure(self, url: str) -> None:
        if self.url == url and self.engine is not None:
            return
        if self.engine is not None:
            self.engine.dispose()
        self.url = url
        self.engine = make_engine(url)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        if self.sessionmaker is None:
            raise RuntimeError("database is not configured; call db.configure(url) first")
        return self.sessionmaker()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error."""
        session = self.session()
        try:
            with session.begin():
                yield session
        finally:
            session.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        ensure_sqlite_dir(url)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; we issue it ourselves so
        # that a claim (BEGIN IMMEDIATE) really takes the write lock up front.
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def ensure_sqlite_dir(url: str) -> None:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the web process read while a worker writes; the busy timeout makes
    # writers queue instead of failing with "database is locked".
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


db = Database()
