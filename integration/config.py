"""Configuration in layers: defaults, then environment variables, then overrides.

Every default runs with no services: a SQLite file database and a Celery broker
on the same kind of file through kombu's SQLAlchemy transport.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

HUBSPOT_API = "https://api.hubapi.com"
HUBSPOT_AUTH = "https://app.hubspot.com"


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {value!r}") from exc


def env_float(name: str, default: float) -> float:
    value = env_str(name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {value!r}") from exc


def env_list(name: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
    value = env_str(name)
    if value is None:
        return default
    return tuple(part.strip() for part in value.split(",") if part.strip())


def home_dir() -> Path:
    """Where the embedded defaults keep their files (database, broker, models)."""
    return Path(env_str("HOLISTICRM_HOME", ".holisticrm") or ".holisticrm").resolve()


def normalize_database_url(url: str) -> str:
    """Accept the `postgres://` form hosting platforms hand out.

    SQLAlchemy only knows `postgresql://`; we also pin the psycopg 3 driver.
    """
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def default_database_url() -> str:
    return f"sqlite:///{home_dir() / 'holisticrm.db'}"


def default_broker_url() -> str:
    return f"sqla+sqlite:///{home_dir() / 'broker.db'}"


def local_secret(name: str, make) -> str:
    """A secret for the embedded defaults, created once and kept beside the database.

    Production sets the environment variable instead; this only spares a new user
    from inventing keys before the first run.
    """
    path = home_dir() / name
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def _redis_broker(config: dict[str, Any]) -> str | None:
    broker = config["CELERY_BROKER_URL"]
    return broker if broker.startswith(("redis://", "rediss://")) else None


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Read the whole configuration; `overrides` (tests) win over the environment."""
    database_url = normalize_database_url(env_str("DATABASE_URL") or default_database_url())
    config: dict[str, Any] = {
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": env_str("CELERY_BROKER_URL") or default_broker_url(),
        # Eager mode runs tasks inline; only the tests of pure web behaviour use it.
        "CELERY_TASK_ALWAYS_EAGER": False,
        "SECRET_KEY": env_str("SECRET_KEY"),
        "PUBLIC_BASE_URL": (env_str("PUBLIC_BASE_URL") or "").rstrip("/") or None,
        "PORT": env_int("PORT", 5000),
        "HUBSPOT_APP_ID": env_str("HUBSPOT_APP_ID"),
        "HUBSPOT_CLIENT_ID": env_str("HUBSPOT_CLIENT_ID"),
        "HUBSPOT_CLIENT_SECRET": env_str("HUBSPOT_CLIENT_SECRET"),
        "HUBSPOT_API_BASE_URL": (env_str("HUBSPOT_API_BASE_URL") or HUBSPOT_API).rstrip("/"),
        "HUBSPOT_AUTH_BASE_URL": (env_str("HUBSPOT_AUTH_BASE_URL") or HUBSPOT_AUTH).rstrip("/"),
        # Which HubSpot signature versions the receiver accepts; v3 is the safe one.
        "HUBSPOT_SIGNATURE_VERSIONS": env_list("HUBSPOT_SIGNATURE_VERSIONS", ("v3",)),
        "HUBSPOT_SIGNATURE_MAX_AGE_S": env_int("HUBSPOT_SIGNATURE_MAX_AGE_S", 300),
        "WEBHOOK_MAX_BODY_BYTES": env_int("WEBHOOK_MAX_BODY_BYTES", 1024 * 1024),
        # Encryption keys for tokens at rest, newest first (comma separated).
        "ENCRYPTION_KEYS": env_list("ENCRYPTION_KEYS"),
        "REDIS_URL": env_str("REDIS_URL"),
        # Requests per window per CRM account, shared by all workers (`limits` syntax).
        "HUBSPOT_RATE_LIMIT": env_str("HUBSPOT_RATE_LIMIT", "105/10seconds"),
        # Multiplies the connector's retry pauses (429 waits, 5xx backoff); below 1 only
        # against a sandbox, where tests and demos compress time.
        "HUBSPOT_RETRY_TIME_SCALE": env_float("HUBSPOT_RETRY_TIME_SCALE", 1.0),
        # The sweeper re-enqueues inbox rows still pending after this many seconds.
        "SWEEP_PENDING_AFTER_S": env_int("SWEEP_PENDING_AFTER_S", 30),
        "SWEEP_INTERVAL_S": env_float("SWEEP_INTERVAL_S", 30.0),
        # A claim older than this is considered abandoned by a dead worker.
        "CLAIM_LEASE_S": env_int("CLAIM_LEASE_S", 300),
        "DEBOUNCE_S": env_float("DEBOUNCE_S", 2.0),
        # While changes keep coming, settled events wait up to this long more for a
        # full batch (100 contacts: one read, one write); 0 claims them at once.
        "BATCH_WAIT_S": env_float("BATCH_WAIT_S", 2.0),
        # Attempts of an event before it goes to the dead-letter state.
        "PIPELINE_MAX_ATTEMPTS": env_int("PIPELINE_MAX_ATTEMPTS", 8),
        "LOG_LEVEL": env_str("LOG_LEVEL", "INFO"),
    }
    if overrides:
        config.update(overrides)
        config["DATABASE_URL"] = normalize_database_url(config["DATABASE_URL"])
    config["RATE_LIMIT_REDIS_URL"] = config["REDIS_URL"] or _redis_broker(config)
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = local_secret("secret_key", lambda: secrets.token_urlsafe(32))
    if not config["ENCRYPTION_KEYS"]:
        config["ENCRYPTION_KEYS"] = (
            local_secret("encryption_key", lambda: Fernet.generate_key().decode()),
        )
    return config
