"""What processing needs for one installation: its connector, client and scorer.

Built per task run; the scorer and the list of contact properties are cached per
process, because loading a model and listing properties cost time and API calls.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from connectors.base import Connector, CrmClient
from connectors.registry import get_connector
from integration.crypto import KeyRing
from integration.db import db
from integration.models import Installation
from integration.scoring import registry
from integration.scoring.scorer import Scorer
from integration.tokens import TokenStore

PROPERTIES_TTL_S = 900
_lock = threading.Lock()
_scorers: dict[int, tuple[Any, Scorer]] = {}
_properties: dict[int, tuple[float, list[str]]] = {}


@dataclass
class Runtime:
    installation_id: int
    account_id: str
    connector: Connector
    client: CrmClient
    scorer: Scorer
    config: dict[str, Any]

    def properties_to_read(self) -> list[str]:
        """Every contact property the scorer could use, plus the fields we write."""
        with _lock:
            cached = _properties.get(self.installation_id)
        if cached and time.monotonic() - cached[0] < PROPERTIES_TTL_S:
            return cached[1]
        names = sorted(
            {prop["name"] for prop in self.client.contact_properties()}
            | self.connector.score_field_names()
        )
        with _lock:
            _properties[self.installation_id] = (time.monotonic(), names)
        return names


def load_runtime(installation_id: int, config: dict[str, Any]) -> Runtime | None:
    """The runtime of an active installation; None while it is paused or gone."""
    with db.transaction() as session:
        installation = session.get(Installation, installation_id)
        if installation is None or installation.status != "active":
            return None
        connector = get_connector(installation.connector, config)
        scorer = _scorer(session, installation)
        account_id = installation.external_account_id
    tokens = TokenStore(connector, KeyRing(config["ENCRYPTION_KEYS"]))
    client = connector.client(account_id, tokens.provider(installation_id))
    return Runtime(installation_id, account_id, connector, client, scorer, config)


def _scorer(session, installation: Installation) -> Scorer:
    champion = registry.champion(session, installation.id)
    # A new champion or new settings make a new scorer; otherwise reuse the loaded one.
    key = (
        champion.id if champion else None,
        json.dumps(installation.settings or {}, sort_keys=True, default=str),
    )
    with _lock:
        cached = _scorers.get(installation.id)
    if cached and cached[0] == key:
        return cached[1]
    scorer = registry.load_scorer(session, installation.id, installation.settings)
    with _lock:
        _scorers[installation.id] = (key, scorer)
    return scorer


def forget(installation_id: int) -> None:
    with _lock:
        _scorers.pop(installation_id, None)
        _properties.pop(installation_id, None)
