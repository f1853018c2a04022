"""Shared fixtures: a migrated database per test, the Flask app and its client.

The suite runs on SQLite by default. With DATABASE_URL pointing at PostgreSQL and
CELERY_BROKER_URL at Redis (as .ci/run does), the same tests run on those; in CI
(CI=true) a service that cannot be reached fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from integration import migrate
from integration.config import normalize_database_url
from integration.crypto import new_key
from integration.db import db
from integration.models import Base

HUBSPOT_SECRET = "test-client-secret"
ENV_DATABASE_URL = os.environ.get("DATABASE_URL")
ENV_BROKER_URL = os.environ.get("CELERY_BROKER_URL")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
REPO_ROOT = Path(__file__).resolve().parent.parent


def service_unavailable(message: str) -> None:
    """In CI a missing service is a failure; on a laptop it is a skip."""
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_server_url() -> str | None:
    if not ENV_DATABASE_URL or "postgres" not in ENV_DATABASE_URL:
        return None
    return normalize_database_url(ENV_DATABASE_URL)


@pytest.fixture(scope="session")
def _postgres_test_db(postgres_server_url):
    """A throw-away PostgreSQL database for this test session, migrated once."""
    if postgres_server_url is None:
        yield None
        return
    name = f"holisticrm_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        service_unavailable(f"PostgreSQL at DATABASE_URL is not reachable: {exc}")
    url = postgres_server_url.rsplit("/", 1)[0] + f"/{name}"
    migrate.upgrade(url)
    yield url
    db.configure("sqlite://")  # let go of the pooled connections before dropping
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def database_url(_postgres_test_db, _sqlite_template, tmp_path) -> str:
    """A migrated, empty database for one test."""
    if _postgres_test_db is not None:
        engine = create_engine(_postgres_test_db)
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return _postgres_test_db
    path = tmp_path / "holisticrm.db"
    shutil.copy(_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def broker_url(tmp_path) -> str:
    """Redis from CELERY_BROKER_URL when given (emptied first), else the embedded broker."""
    if ENV_BROKER_URL and ENV_BROKER_URL.startswith("redis"):
        import redis

        try:
            redis.Redis.from_url(ENV_BROKER_URL, socket_connect_timeout=2).flushdb()
        except redis.RedisError as exc:
            service_unavailable(f"Redis at CELERY_BROKER_URL is not reachable: {exc}")
        return ENV_BROKER_URL
    return f"sqla+sqlite:///{tmp_path / 'broker.db'}"


@pytest.fixture
def config_overrides(database_url, broker_url, tmp_path) -> dict:
    return {
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "SECRET_KEY": "test-secret-key",
        "ENCRYPTION_KEYS": (new_key(),),
        "HUBSPOT_APP_ID": "1001",
        "HUBSPOT_CLIENT_ID": "test-client-id",
        "HUBSPOT_CLIENT_SECRET": HUBSPOT_SECRET,
        "PUBLIC_BASE_URL": "https://scoring.example.com",
    }


@pytest.fixture
def app(config_overrides, monkeypatch, tmp_path):
    from integration.app import create_app

    monkeypatch.setenv("HOLISTICRM_HOME", str(tmp_path / "home"))
    app = create_app(config_overrides)
    app.config["TESTING"] = True
    yield app
    if db.engine is not None:
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


SANDBOX_CLIENT_ID = "sandbox-client-id"
SANDBOX_CLIENT_SECRET = "sandbox-client-secret"


@pytest.fixture
def sandbox():
    """A HubSpot look-alike over real HTTP, with 300 bank-marketing contacts."""
    from sandbox.hubspot.server import SandboxServer

    server = SandboxServer(
        seed_limit=300,
        auto_consent=True,
        client_id=SANDBOX_CLIENT_ID,
        client_secret=SANDBOX_CLIENT_SECRET,
        retry_compression=86400.0,
        random_seed=7,
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sandbox_overrides(config_overrides, sandbox) -> dict:
    """Our configuration pointed at the sandbox, as an operator would set it."""
    return {
        **config_overrides,
        "HUBSPOT_API_BASE_URL": sandbox.base_url,
        "HUBSPOT_AUTH_BASE_URL": sandbox.base_url,
        "HUBSPOT_CLIENT_ID": SANDBOX_CLIENT_ID,
        "HUBSPOT_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
        "HUBSPOT_APP_ID": str(sandbox.config.app_id),
    }


@pytest.fixture
def live_app(sandbox_overrides, monkeypatch, tmp_path):
    """Our Flask app on real HTTP; PUBLIC_BASE_URL is its address."""
    from integration.app import create_app
    from integration.ports import free_port
    from tests.live import LiveServer

    monkeypatch.setenv("HOLISTICRM_HOME", str(tmp_path / "home"))
    port = free_port()
    app = create_app({**sandbox_overrides, "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"})
    server = LiveServer(app, port).start()
    yield app, server.url
    server.stop()


def pytest_collection_modifyitems(config, items):
    """The `slow` tests train on the full bank data and never touch the database or the
    broker, so the PostgreSQL + Redis pass of CI leaves them to the SQLite pass."""
    if not (ENV_DATABASE_URL and "postgres" in ENV_DATABASE_URL):
        return
    once = pytest.mark.skip(reason="database-independent; runs in the SQLite pass")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(once)
