"""Installations: one per connected CRM account."""

from __future__ import annotations

import base64
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from integration.crypto import KeyRing
from integration.models import AuditLog, Installation


def find(session: Session, connector: str, external_account_id: str) -> Installation | None:
    query = select(Installation).where(
        Installation.connector == connector,
        Installation.external_account_id == str(external_account_id),
    )
    return session.scalars(query).one_or_none()


def upsert(
    session: Session, connector: str, external_account_id: str, actor: str
) -> tuple[Installation, bool]:
    """Return the installation of this account, creating it if needed; never a duplicate."""
    installation = find(session, connector, external_account_id)
    if installation is not None:
        return installation, False
    installation = Installation(
        connector=connector, external_account_id=str(external_account_id), settings={}
    )
    session.add(installation)
    session.flush()
    audit(session, installation.id, actor, "installation.created", connector=connector)
    return installation, True


def audit(session: Session, installation_id: int | None, actor: str, action: str, **detail) -> None:
    session.add(
        AuditLog(installation_id=installation_id, actor=actor, action=action, detail=detail)
    )


def describe(installation: Installation) -> dict[str, Any]:
    """What an operator may see; tokens are reported as present or not, never shown."""
    return {
        "id": installation.id,
        "connector": installation.connector,
        "external_account_id": installation.external_account_id,
        "status": installation.status,
        "status_reason": installation.status_reason,
        "has_tokens": installation.refresh_token_enc is not None,
        "token_expires_at": installation.token_expires_at,
        "created_at": installation.created_at,
    }


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def set_webhook_secret(session: Session, installation: Installation, keyring: KeyRing) -> str:
    """Give the installation a new generic-webhook secret; return it (shown once)."""
    secret = new_webhook_secret()
    installation.webhook_secret_enc = keyring.encrypt(secret)
    audit(session, installation.id, "cli", "installation.webhook-secret-rotated")
    return secret
