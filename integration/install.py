"""Installing the app into a CRM account: tokens, the installation row, score fields."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from connectors.base import Connector
from integration import installations
from integration.crypto import KeyRing
from integration.db import db
from integration.logs import log_event
from integration.tokens import TokenStore, store_tokens

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class InstallOutcome:
    installation_id: int
    account_id: str
    created: bool
    fields_created: list[str]


def complete_install(
    connector: Connector, keyring: KeyRing, code: str, redirect_uri: str
) -> InstallOutcome:
    """Exchange the code, record the installation (never twice), create the fields."""
    tokens = connector.exchange_code(code, redirect_uri)
    identity = connector.identify(tokens.access_token)
    with db.transaction() as session:
        installation, created = installations.upsert(
            session, connector.slug, identity.account_id, "oauth"
        )
        store_tokens(installation, tokens, keyring)
        installation.status, installation.status_reason = "active", None
        if not created:
            installations.audit(session, installation.id, "oauth", "installation.reauthorized")
        installation_id = installation.id
    client = connector.client(
        identity.account_id, TokenStore(connector, keyring).provider(installation_id)
    )
    fields_created = client.ensure_score_fields()
    log_event(
        logger,
        "install.completed",
        installation=installation_id,
        created=created,
        fields_created=len(fields_created),
    )
    return InstallOutcome(installation_id, identity.account_id, created, fields_created)
