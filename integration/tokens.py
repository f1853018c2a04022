"""OAuth tokens of installations: encrypted at rest, refreshed once, shared by workers.

The refresh is single-flight across processes: the installation row is locked
(FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE serialises writers), and the
second worker in finds the token already fresh and uses it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from connectors.base import Connector, TokenProvider, TokenSet
from connectors.errors import ReauthorizationRequired
from integration.crypto import KeyRing
from integration.db import db
from integration.installations import audit
from integration.logs import log_event
from integration.models import Installation

logger = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(minutes=5)


class NotAuthorized(Exception):
    """The installation has no usable tokens; an admin must install the app again."""


def store_tokens(installation: Installation, tokens: TokenSet, keyring: KeyRing) -> None:
    installation.access_token_enc = keyring.encrypt(tokens.access_token)
    if tokens.refresh_token:  # HubSpot may or may not rotate it; keep what we have
        installation.refresh_token_enc = keyring.encrypt(tokens.refresh_token)
    installation.token_expires_at = tokens.expires_at
    if tokens.scopes:
        installation.scopes = " ".join(tokens.scopes)


class TokenStore:
    def __init__(self, connector: Connector, keyring: KeyRing, margin=REFRESH_MARGIN) -> None:
        self.connector = connector
        self.keyring = keyring
        self.margin = margin

    def provider(self, installation_id: int) -> TokenProvider:
        """A token source for one installation's client; caches until near expiry."""
        cached: dict[str, object] = {}

        def token(force_refresh: bool) -> str:
            expires = cached.get("expires_at")
            if not force_refresh and expires is not None and self._fresh(expires):
                return cached["token"]
            refused = cached.get("token") if force_refresh else None
            value, expires_at = self.access_token(installation_id, refused)
            cached.update(token=value, expires_at=expires_at)
            return value

        return token

    def access_token(self, installation_id: int, refused: str | None = None):
        """A valid (token, expires_at); refreshes if near expiry or if `refused` is current."""
        with db.transaction() as session:
            installation = session.get(Installation, installation_id)
            current = self._decrypt(installation)
            if current and self._fresh(installation.token_expires_at) and current != refused:
                return current, installation.token_expires_at
        return self._refresh(installation_id, refused)

    def _refresh(self, installation_id: int, refused: str | None):
        try:
            with db.transaction() as session:
                installation = self._locked(session, installation_id)
                current = self._decrypt(installation)
                # Someone else refreshed while we waited for the lock: use theirs.
                if current and self._fresh(installation.token_expires_at) and current != refused:
                    return current, installation.token_expires_at
                if installation.refresh_token_enc is None:
                    raise NotAuthorized(f"installation {installation_id} has no refresh token")
                refresh_token = self.keyring.decrypt(installation.refresh_token_enc)
                tokens = self.connector.refresh(refresh_token)
                store_tokens(installation, tokens, self.keyring)
                log_event(logger, "tokens.refreshed", installation=installation_id)
                return tokens.access_token, tokens.expires_at
        except ReauthorizationRequired as exc:
            mark_needs_reauth(installation_id, str(exc))
            raise

    def _locked(self, session, installation_id: int) -> Installation:
        query = select(Installation).where(Installation.id == installation_id).with_for_update()
        return session.scalars(query).one()

    def _decrypt(self, installation: Installation | None) -> str | None:
        if installation is None:
            raise NotAuthorized("no such installation")
        if installation.access_token_enc is None:
            return None
        return self.keyring.decrypt(installation.access_token_enc)

    def _fresh(self, expires_at: datetime | None) -> bool:
        return expires_at is not None and expires_at - self.margin > datetime.now(UTC)


def mark_needs_reauth(installation_id: int, reason: str) -> None:
    """Pause the installation's processing until an admin installs the app again."""
    with db.transaction() as session:
        installation = session.get(Installation, installation_id)
        installation.status = "needs_reauth"
        installation.status_reason = reason[:500]
        audit(session, installation_id, "system", "installation.needs-reauth")
    log_event(logger, "tokens.needs-reauth", logging.WARNING, installation=installation_id)
