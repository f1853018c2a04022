"""The data model. The schema changes only through Alembic revisions in migrations/."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Named constraints so that Alembic revisions can refer to them on every database.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY, PostgreSQL gets a BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes everywhere (SQLite would hand them back naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Installation(Base):
    """One customer's CRM account connected to the app (a HubSpot portal, say)."""

    __tablename__ = "installations"
    __table_args__ = (UniqueConstraint("connector", "external_account_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connector: Mapped[str] = mapped_column(String(32))
    external_account_id: Mapped[str] = mapped_column(String(64))
    # active | needs_reauth | paused | uninstalled
    status: Mapped[str] = mapped_column(String(24), default="active")
    status_reason: Mapped[str | None] = mapped_column(Text)
    # Tokens are Fernet ciphertext (integration.crypto); never stored in clear.
    access_token_enc: Mapped[str | None] = mapped_column(Text)
    refresh_token_enc: Mapped[str | None] = mapped_column(Text)
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Standard Webhooks secret for the generic receiver, encrypted like the tokens.
    webhook_secret_enc: Mapped[str | None] = mapped_column(Text)
    scopes: Mapped[str | None] = mapped_column(Text)
    # Admin choices: label definition, field mapping, tiers, action rules.
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    events: Mapped[list[WebhookEvent]] = relationship(back_populates="installation")


class WebhookEvent(Base):
    """The inbox: one row per event a CRM sent us, written before we answer."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        # Redeliveries of the same event hit this and are dropped.
        UniqueConstraint("connector", "dedup_key"),
        Index("ix_webhook_events_pending", "installation_id", "status", "received_at"),
        Index("ix_webhook_events_contact", "installation_id", "object_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    connector: Mapped[str] = mapped_column(String(32))
    installation_id: Mapped[int] = mapped_column(ForeignKey("installations.id"))
    dedup_key: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    occurred_at: Mapped[int | None] = mapped_column(BigInteger)  # ms since epoch, CRM clock
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # pending | processing | done | ignored | dead
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    installation: Mapped[Installation] = relationship(back_populates="events")


class UnroutedDelivery(Base):
    """Counts webhook events for accounts that have not installed the app."""

    __tablename__ = "unrouted_deliveries"
    __table_args__ = (UniqueConstraint("connector", "external_account_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connector: Mapped[str] = mapped_column(String(32))
    external_account_id: Mapped[str] = mapped_column(String(64))
    event_count: Mapped[int] = mapped_column(BigInteger, default=0)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ContactState(Base):
    """What we know about a contact's life in the CRM, so old events cannot undo it."""

    __tablename__ = "contact_states"
    __table_args__ = (UniqueConstraint("installation_id", "contact_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installations.id"))
    contact_id: Mapped[str] = mapped_column(String(64))
    # active | deleted | merged | purged
    state: Mapped[str] = mapped_column(String(16), default="active")
    merged_into: Mapped[str | None] = mapped_column(String(64))
    # Newest CRM event time applied to this contact (ms since epoch).
    last_event_at: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ModelVersion(Base):
    """A trained (or rule-based) scoring model of one installation, with its evidence."""

    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("installation_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Null for models trained from a file on the command line, outside any CRM.
    installation_id: Mapped[int | None] = mapped_column(ForeignKey("installations.id"))
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))  # e.g. gradient_boosting, logistic, points
    # candidate | champion | retired
    status: Mapped[str] = mapped_column(String(16), default="candidate")
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    features: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    training_summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    artifact: Mapped[bytes | None] = mapped_column(LargeBinary)
    artifact_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Score(Base):
    """The current score of one contact, as last written (or kept) in the CRM."""

    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("installation_id", "contact_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installations.id"))
    contact_id: Mapped[str] = mapped_column(String(64))
    model_version_id: Mapped[int | None] = mapped_column(ForeignKey("model_versions.id"))
    model_version: Mapped[str] = mapped_column(String(64))  # as written to the CRM
    probability: Mapped[float] = mapped_column(Float)
    score: Mapped[int] = mapped_column(Integer)
    tier: Mapped[str] = mapped_column(String(8))
    action: Mapped[str] = mapped_column(String(64))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Hash of what is written to the CRM; an unchanged hash means no write.
    content_hash: Mapped[str] = mapped_column(String(64))
    # Newest CRM event time this score accounts for (ms since epoch).
    source_event_at: Mapped[int | None] = mapped_column(BigInteger)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    written_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Delivery(Base):
    """One write-back of a score to the CRM, with its outcome."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_contact", "installation_id", "contact_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installations.id"))
    contact_id: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # pending | delivered | failed | dead
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SyncJob(Base):
    """A long job against the CRM (training pull, backfill) that can resume."""

    __tablename__ = "sync_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installations.id"))
    kind: Mapped[str] = mapped_column(String(32))  # backfill | training_pull
    # running | done | failed | interrupted
    status: Mapped[str] = mapped_column(String(16), default="running")
    cursor: Mapped[str | None] = mapped_column(Text)  # the CRM's paging cursor
    processed: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditLog(Base):
    """Who changed what: installs, settings, promotions, replays."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_installation", "installation_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    installation_id: Mapped[int | None] = mapped_column(ForeignKey("installations.id"))
    actor: Mapped[str] = mapped_column(String(64))  # cli | oauth | admin:<id> | system
    action: Mapped[str] = mapped_column(String(64))  # dotted, e.g. installation.created
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
