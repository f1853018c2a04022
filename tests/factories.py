"""Builders for rows and for signed HubSpot webhook requests."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from connectors.hubspot import signature
from integration import installations
from integration.db import db

PORTAL_ID = 62515
_event_ids = itertools.count(1)


def make_installation(portal_id: int = PORTAL_ID, connector: str = "hubspot") -> int:
    with db.transaction() as session:
        installation, _ = installations.upsert(session, connector, str(portal_id), "test")
        return installation.id


def hubspot_event(
    object_id: int = 123,
    subscription_type: str = "contact.propertyChange",
    portal_id: int = PORTAL_ID,
    **extra: Any,
) -> dict[str, Any]:
    event = {
        "eventId": next(_event_ids),
        "subscriptionId": 12345,
        "portalId": portal_id,
        "appId": 1001,
        "occurredAt": int(time.time() * 1000),
        "subscriptionType": subscription_type,
        "attemptNumber": 0,
        "objectId": object_id,
        "changeSource": "CRM_UI",
    }
    if subscription_type.endswith("propertyChange"):
        event.update(propertyName="campaign", propertyValue="3")
    event.update(extra)
    return event


def signed_headers(
    body: bytes,
    secret: str,
    uri: str = "https://scoring.example.com/webhooks/hubspot",
    timestamp_ms: int | None = None,
) -> dict[str, str]:
    timestamp = str(int(time.time() * 1000) if timestamp_ms is None else timestamp_ms)
    return {
        "Content-Type": "application/json",
        "X-HubSpot-Signature-v3": signature.sign_v3(secret, "POST", uri, body, timestamp),
        "X-HubSpot-Request-Timestamp": timestamp,
    }


def body_of(events: Any) -> bytes:
    return json.dumps(events).encode()
